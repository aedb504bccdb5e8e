import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listTgz } from '../../test/support/chart-archive.js';
import { DEFAULT_CHART_ARCHIVE_LIMITS } from '../protocol/helm/chart-archive.js';
import { packChart } from '../protocol/helm/chart-package.js';
import { InvalidRequestError } from '../shared/errors.js';
import { packageChartFolder } from './chart-folder.js';
import { DEMO_CHART_FILES, DEMO_CHART_YAML } from '../../test/fixtures/demo-chart.js';

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

async function refused(dir: string, pattern: RegExp, limits = DEFAULT_CHART_ARCHIVE_LIMITS): Promise<void> {
  await assert.rejects(packageChartFolder(dir, limits), (err: unknown) => {
    assert.ok(err instanceof InvalidRequestError, String(err));
    assert.equal(err.code, 'invalid_chart_folder');
    assert.match(err.message, pattern);
    return true;
  });
}

const names = async (dir: string): Promise<string[]> =>
  (await listTgz((await packageChartFolder(dir)).archive)).map((e) => e.name);

const CHART_YAML = DEMO_CHART_YAML;

describe('packageChartFolder', () => {
  it('gives the bytes packChart gives for the same files, whatever the folder', async () => {
    const files = {
      ...DEMO_CHART_FILES,
      'a-c.txt': 'sorts before a/ by bytes, after it in a folder walk\n',
      'a/b.txt': 'b\n',
    };
    const one = await packageChartFolder(await chartDir(files));
    const two = await packageChartFolder(await chartDir(files));
    assert.deepEqual(one.archive, two.archive);
    const inMemory = await packChart(
      Object.entries(files).map(([path, text]) => ({ path, content: Buffer.from(text) })),
    );
    assert.deepEqual(one, inMemory);
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
    assert.deepEqual(await names(dir), [
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
    assert.deepEqual(await names(dir), ['demo/Chart.yaml', 'demo/.helmignore']);

    const inside = await chartDir({ 'Chart.yaml': CHART_YAML, 'values.yaml': 'a: 1\n' });
    await symlink('values.yaml', join(inside, 'link.yaml'));
    await refused(inside, /"link.yaml" is a symbolic link/);

    // A link to a folder matches a folder-only rule, as in Helm (which follows it).
    const toDir = await chartDir({
      'Chart.yaml': CHART_YAML,
      '.helmignore': 'linked/\n',
      'real/a.txt': 'a\n',
    });
    await symlink('real', join(toDir, 'linked'));
    assert.deepEqual(await names(toDir), ['demo/Chart.yaml', 'demo/.helmignore', 'demo/real/a.txt']);
  });

  it('refuses FIFOs unless .helmignore lists them', async () => {
    const dir = await chartDir({ 'Chart.yaml': CHART_YAML });
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    await refused(dir, /"pipe" is not a regular file \(a socket, FIFO or device\)/);
    await writeFile(join(dir, '.helmignore'), 'pipe\n');
    assert.deepEqual(await names(dir), ['demo/Chart.yaml', 'demo/.helmignore']);
  });

  it('refuses names with a backslash unless .helmignore lists them', async () => {
    const dir = await chartDir({ 'Chart.yaml': CHART_YAML, 'templates/a\\b.yaml': 'x\n' });
    await refused(dir, /"templates\/a\\\\b.yaml" has a backslash in its name; rename it/);
    await writeFile(join(dir, '.helmignore'), 'a\\\\b.yaml\n');
    assert.deepEqual(await names(dir), ['demo/Chart.yaml', 'demo/.helmignore']);
  });

  it('refuses a folder without a valid Chart.yaml', async () => {
    await refused(await chartDir({ 'values.yaml': '' }), /has no Chart.yaml file; is it a chart folder/);
    await refused(
      await chartDir({ 'Chart.yaml': 'name: demo\n' }),
      /^The chart folder cannot be packaged: Chart.yaml has no version/,
    );
    await refused(
      await chartDir({ 'Chart.yaml': CHART_YAML, '.helmignore': 'Chart.yaml\n' }),
      /excludes Chart.yaml/,
    );
  });

  it('refuses a bad .helmignore on disk', async () => {
    await refused(await chartDir({ 'Chart.yaml': CHART_YAML, '.helmignore': 'a/**/b\n' }), /"\*\*"/);
    await refused(
      await chartDir({ 'Chart.yaml': CHART_YAML, '.helmignore': 'a[\n' }),
      /"a\[" is not a valid pattern/,
    );
    await refused(
      await chartDir({ 'Chart.yaml': CHART_YAML, '.helmignore/x': '' }),
      /.helmignore is not a regular file/,
    );
  });

  it('enforces the archive limits while walking the folder', async () => {
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
    // An ignored folder is not walked, however deep.
    await writeFile(join(deep, '.helmignore'), 'a/\n');
    await packageChartFolder(deep, { ...DEFAULT_CHART_ARCHIVE_LIMITS, maxDepth: 2 });
  });
});
