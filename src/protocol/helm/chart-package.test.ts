import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { InvalidRequestError } from '../../shared/errors.js';
import { DEFAULT_CHART_ARCHIVE_LIMITS, readChartFiles } from './chart-archive.js';
import { isIgnored, packageChart, parseHelmignore } from './chart-package.js';

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

/** A fresh chart folder holding `files` (path → content). */
async function chartDir(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'charthouse-package-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

interface Listed {
  name: string;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
  mtime: number | undefined;
  type: string | null | undefined;
}

async function list(archive: Buffer): Promise<Listed[]> {
  const tar = extract();
  const entries: Listed[] = [];
  const done = (async () => {
    for await (const entry of tar) {
      const h = entry.header;
      entries.push({
        name: h.name,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        uname: h.uname,
        gname: h.gname,
        mtime: h.mtime?.getTime(),
        type: h.type,
      });
      entry.resume();
    }
  })();
  tar.end(gunzipSync(archive));
  await done;
  return entries;
}

async function refused(dir: string, pattern: RegExp, limits = DEFAULT_CHART_ARCHIVE_LIMITS): Promise<void> {
  await assert.rejects(packageChart(dir, limits), (err: unknown) => {
    assert.ok(err instanceof InvalidRequestError, String(err));
    assert.equal(err.code, 'invalid_chart_folder');
    assert.match(err.message, pattern);
    return true;
  });
}

const CHART_YAML = 'apiVersion: v2\nname: demo\nversion: 1.10.0\n';

describe('packageChart', () => {
  it('packages a folder reproducibly, Chart.yaml first, under the chart name, readable by readChartFiles', async () => {
    const files = {
      'values.yaml': 'replicas: 1\n',
      'README.md': '# Demo\n',
      'templates/deploy.yaml': 'kind: Deployment\n',
      'templates/_helpers.tpl': '{{/* helpers */}}\n',
      'Chart.yaml': CHART_YAML,
      'charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
      'a-very-long-folder-name-to-need-a-ustar-prefix/and-another-long-folder-name-for-good-measure/file-name.yaml':
        'x: 1\n',
      'ünïcode.txt': 'u\n',
    };
    const one = await packageChart(await chartDir(files));
    const two = await packageChart(await chartDir(files));
    assert.equal(one.name, 'demo');
    assert.equal(one.version, '1.10.0');
    assert.deepEqual(one.archive, two.archive);

    const entries = await list(one.archive);
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

  it("applies .helmignore and Helm's default templates/.?* rule", async () => {
    const dir = await chartDir({
      'Chart.yaml': CHART_YAML,
      '.helmignore': '# comment\n\n*.bak\n.git/\nsecrets/\n/top-only.txt\ndocs/*.md\nskip-dir/\n',
      'values.yaml': 'a: 1\n',
      'values.yaml.bak': 'old\n',
      'templates/x.yaml.bak': 'old\n',
      'templates/.hidden': 'h\n',
      'templates/ok.yaml': 'ok\n',
      '.git/config': '[core]\n',
      'secrets/key': 'k\n',
      'top-only.txt': 't\n',
      'nested/top-only.txt': 'kept\n',
      'docs/a.md': 'a\n',
      'docs/deeper/b.md': 'kept\n',
      'skip-dir': 'a file named like a folder rule is kept\n',
    });
    const names = (await list((await packageChart(dir)).archive)).map((e) => e.name);
    assert.deepEqual(names, [
      'demo/Chart.yaml',
      'demo/.helmignore',
      'demo/docs/deeper/b.md',
      'demo/nested/top-only.txt',
      'demo/skip-dir',
      'demo/templates/ok.yaml',
      'demo/values.yaml',
    ]);
  });

  it('refuses symbolic links unless .helmignore lists them', async () => {
    const dir = await chartDir({ 'Chart.yaml': CHART_YAML });
    await symlink('/etc/passwd', join(dir, 'passwd'));
    await refused(dir, /"passwd" is a symbolic link/);
    await writeFile(join(dir, '.helmignore'), 'passwd\n');
    const names = (await list((await packageChart(dir)).archive)).map((e) => e.name);
    assert.deepEqual(names, ['demo/Chart.yaml', 'demo/.helmignore']);

    const inside = await chartDir({ 'Chart.yaml': CHART_YAML, 'values.yaml': 'a: 1\n' });
    await symlink('values.yaml', join(inside, 'link.yaml'));
    await refused(inside, /"link.yaml" is a symbolic link/);
  });

  it('refuses a folder without a valid Chart.yaml', async () => {
    await refused(await chartDir({ 'values.yaml': '' }), /has no Chart.yaml file/);
    await refused(
      await chartDir({ 'Chart.yaml': 'name: demo\n' }),
      /^The chart folder cannot be packaged: Chart.yaml has no version/,
    );
    await refused(
      await chartDir({ 'Chart.yaml': CHART_YAML, '.helmignore': 'Chart.yaml\n' }),
      /excludes Chart.yaml/,
    );
  });

  it('refuses bad .helmignore patterns as Helm does', async () => {
    await refused(await chartDir({ 'Chart.yaml': CHART_YAML, '.helmignore': 'a/**/b\n' }), /"\*\*"/);
    await refused(
      await chartDir({ 'Chart.yaml': CHART_YAML, '.helmignore': 'a[\n' }),
      /"a\[" is not a valid pattern/,
    );
  });

  it('enforces the archive limits while packing', async () => {
    const files: Record<string, string> = { 'Chart.yaml': CHART_YAML };
    for (let i = 0; i < 5; i += 1) files[`f${i}.txt`] = 'x';
    const dir = await chartDir(files);
    await refused(dir, /more than 3 files/, { ...DEFAULT_CHART_ARCHIVE_LIMITS, maxEntries: 3 });
    await refused(dir, /"Chart.yaml" is larger than the limit of 10 bytes/, {
      ...DEFAULT_CHART_ARCHIVE_LIMITS,
      maxFileBytes: 10,
    });
    const deep = await chartDir({ 'Chart.yaml': CHART_YAML, 'a/b/c.txt': 'x' });
    await refused(deep, /"a\/b\/c.txt" is nested deeper than 2 folders/, {
      ...DEFAULT_CHART_ARCHIVE_LIMITS,
      maxDepth: 2,
    });
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
