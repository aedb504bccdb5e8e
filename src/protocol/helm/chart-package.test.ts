import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listTgz } from '../../../test/support/chart-archive.js';
import { InvalidRequestError } from '../../shared/errors.js';
import { DEFAULT_CHART_ARCHIVE_LIMITS, readChartFiles } from './chart-archive.js';
import { isIgnored, packChart, parseHelmignore, type ChartPackFile } from './chart-package.js';
import { DEMO_CHART_FILES, DEMO_CHART_YAML } from '../../../test/fixtures/demo-chart.js';

/** In-memory chart files from a path → text record. */
const filesOf = (files: Record<string, string>): ChartPackFile[] =>
  Object.entries(files).map(([path, text]) => ({ path, content: Buffer.from(text) }));

const isRefusal =
  (pattern: RegExp) =>
  (err: unknown): boolean => {
    assert.ok(err instanceof InvalidRequestError, String(err));
    assert.equal(err.code, 'invalid_chart_folder');
    assert.match(err.message, pattern);
    return true;
  };

async function refused(
  files: Record<string, string> | ChartPackFile[],
  pattern: RegExp,
  limits = DEFAULT_CHART_ARCHIVE_LIMITS,
): Promise<void> {
  await assert.rejects(packChart(Array.isArray(files) ? files : filesOf(files), limits), isRefusal(pattern));
}

const CHART_YAML = DEMO_CHART_YAML;

describe('packChart', () => {
  it('packs files reproducibly, Chart.yaml first, under the chart name, readable by readChartFiles', async () => {
    const files = filesOf(DEMO_CHART_FILES);
    const one = await packChart(files);
    // The order the files come in does not matter.
    const two = await packChart([...files].reverse());
    assert.equal(one.name, 'demo');
    assert.equal(one.version, '1.10.0');
    assert.deepEqual(one.archive, two.archive);

    const entries = await listTgz(one.archive);
    assert.deepEqual(
      entries.map((e) => e.name),
      [
        'demo/Chart.yaml',
        'demo/README.md',
        'demo/a-very-long-folder-name-to-need-a-ustar-prefix/and-another-long-folder-name-for-good-measure/file-name.yaml',
        'demo/charts/sub/Chart.yaml',
        'demo/templates/_helpers.tpl',
        'demo/templates/deploy.yaml',
        'demo/values.yaml',
        'demo/ünïcode.txt',
      ],
    );
    for (const e of entries) {
      assert.deepEqual(
        {
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          uname: e.uname,
          gname: e.gname,
          mtime: e.mtime,
          type: e.type,
        },
        { mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, type: 'file' },
        e.name,
      );
    }
    const read = await readChartFiles(one.archive);
    assert.equal(read.chartYaml, CHART_YAML);
    assert.equal(read.valuesYaml, 'replicas: 1\n');
    assert.equal(read.readme, '# Demo\n');
  });

  it('orders paths by their bytes, not by locale or folder', async () => {
    const { archive } = await packChart(
      filesOf({ 'b.txt': '', 'a/b.txt': '', 'a-c.txt': '', 'B.txt': '', 'Chart.yaml': CHART_YAML }),
    );
    assert.deepEqual(
      (await listTgz(archive)).map((e) => e.name),
      ['demo/Chart.yaml', 'demo/B.txt', 'demo/a-c.txt', 'demo/a/b.txt', 'demo/b.txt'],
    );
  });

  it("packs .helmignore like any other file: ignoring is the reader's job", async () => {
    const { archive } = await packChart(
      filesOf({ 'Chart.yaml': CHART_YAML, '.helmignore': '*.bak\n', 'values.yaml.bak': 'old\n' }),
    );
    assert.deepEqual(
      (await listTgz(archive)).map((e) => e.name),
      ['demo/Chart.yaml', 'demo/.helmignore', 'demo/values.yaml.bak'],
    );
  });

  it('refuses files without a valid Chart.yaml', async () => {
    await refused({ 'values.yaml': '' }, /has no Chart.yaml file/);
    // Only the chart's own Chart.yaml counts, not a subchart's.
    await refused({ 'charts/sub/Chart.yaml': CHART_YAML }, /has no Chart.yaml file/);
    await refused(
      { 'Chart.yaml': 'name: demo\n' },
      /^The chart folder cannot be packaged: Chart.yaml has no version/,
    );
  });

  it('refuses paths readChartFiles would refuse', async () => {
    for (const [path, pattern] of [
      ['/abs.txt', /"\/abs.txt" is not a plain relative path/],
      ['a/../b.txt', /"a\/..\/b.txt" is not a plain relative path/],
      ['./x.txt', /is not a plain relative path/],
      ['a//b.txt', /is not a plain relative path/],
      ['', /"" is not a plain relative path/],
      ['a\\b.txt', /"a\\\\b.txt" has a backslash in its name/],
      ['a\u0000b', /has a NUL character/],
    ] as const) {
      await refused([...filesOf({ 'Chart.yaml': CHART_YAML }), { path, content: Buffer.from('x') }], pattern);
    }
    await refused(
      [...filesOf({ 'Chart.yaml': CHART_YAML, 'a.txt': 'x' }), { path: 'a.txt', content: Buffer.from('y') }],
      /"a.txt" is listed twice/,
    );
  });

  it('enforces the archive limits', async () => {
    const files: Record<string, string> = { 'Chart.yaml': CHART_YAML };
    for (let i = 0; i < 5; i += 1) files[`f${i}.txt`] = 'x';
    await refused(files, /more than 3 files/, { ...DEFAULT_CHART_ARCHIVE_LIMITS, maxEntries: 3 });
    await refused(files, /"Chart.yaml" is larger than the limit of 10 bytes/, {
      ...DEFAULT_CHART_ARCHIVE_LIMITS,
      maxFileBytes: 10,
    });
    await refused(
      { 'Chart.yaml': CHART_YAML, 'a/b/c.txt': 'x' },
      /"a\/b\/c.txt" is nested deeper than 2 folders/,
      {
        ...DEFAULT_CHART_ARCHIVE_LIMITS,
        maxDepth: 2,
      },
    );
    // Six entries of one header and one padded block each: 6 KiB of tar.
    await refused(files, /its files add up to more than 6143 bytes/, {
      ...DEFAULT_CHART_ARCHIVE_LIMITS,
      maxExpandedBytes: 6 * 1024 - 1,
    });
    await packChart(filesOf(files), { ...DEFAULT_CHART_ARCHIVE_LIMITS, maxExpandedBytes: 6 * 1024 });
    await refused(files, /the packaged chart is larger than 50 bytes/, {
      ...DEFAULT_CHART_ARCHIVE_LIMITS,
      maxCompressedBytes: 50,
    });
  });
});

describe('parseHelmignore errors', () => {
  it('refuses bad .helmignore patterns as Helm does', () => {
    assert.throws(() => parseHelmignore('a/**/b\n'), isRefusal(/"\*\*"/));
    assert.throws(() => parseHelmignore('a[\n'), isRefusal(/"a\[" is not a valid pattern/));
  });
});

describe('.helmignore rules (Helm pkg/ignore)', () => {
  const ignored = (rules: string, path: string, isDir = false): boolean =>
    isIgnored(parseHelmignore(rules), path, isDir);

  it('matches base names at any depth, paths from the root, and folders only with a trailing "/"', () => {
    assert.equal(ignored('*.txt', 'a/b/c.txt'), true);
    assert.equal(ignored('a/*.txt', 'a/c.txt'), true);
    assert.equal(ignored('a/*.txt', 'x/a/c.txt'), false);
    assert.equal(ignored('/c.txt', 'c.txt'), true);
    assert.equal(ignored('/c.txt', 'a/c.txt'), false);
    assert.equal(ignored('build/', 'build', true), true);
    assert.equal(ignored('build/', 'build', false), false);
    assert.equal(ignored('*', 'a/b'), true);
    assert.equal(ignored('a*', 'a/b'), false);
  });

  it('reads Go glob syntax: ?, classes, negated classes, ranges and escapes', () => {
    assert.equal(ignored('file?.txt', 'file1.txt'), true);
    assert.equal(ignored('file?.txt', 'file10.txt'), false);
    assert.equal(ignored('[ab].txt', 'b.txt'), true);
    assert.equal(ignored('[^ab].txt', 'b.txt'), false);
    assert.equal(ignored('[^ab].txt', 'c.txt'), true);
    assert.equal(ignored('[a-c]x', 'bx'), true);
    assert.equal(ignored('[a-c]x', 'dx'), false);
    assert.equal(ignored('\\*x', '*x'), true);
    assert.equal(ignored('\\*x', 'ax'), false);
    assert.equal(ignored('a.b', 'axb'), false);
    assert.equal(ignored('(x)+', '(x)+'), true);
    assert.equal(ignored('[\\-]', '-'), true);
  });

  it('keeps Helm\'s negation: a "!" rule ignores every path it does not match', () => {
    assert.equal(ignored('!keep.txt', 'keep.txt'), false);
    assert.equal(ignored('!keep.txt', 'other.txt'), true);
    assert.equal(ignored('*.txt\n!keep.txt', 'keep.txt'), true);
  });

  it('never ignores the chart root and refuses malformed patterns', () => {
    assert.equal(ignored('*', ''), false);
    assert.equal(ignored('*', '.'), false);
    for (const bad of ['[', '[]', 'a\\', '[a-]', '[-a]'])
      assert.throws(() => parseHelmignore(bad), /not a valid pattern/, bad);
  });
});
