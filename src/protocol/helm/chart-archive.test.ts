import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createTar, createTgz, packageChartDir, type TarEntry } from '../../../test/support/chart-archive.js';
import { gzipBombBytes } from '../../../test/support/fixture-servers.js';
import { InvalidRequestError } from '../../shared/errors.js';
import { DEFAULT_CHART_ARCHIVE_LIMITS, readChartFiles } from './chart-archive.js';

const CORPUS = new URL('../../../../shared/corpus/', import.meta.url);
const CHART_YAML = 'apiVersion: v2\nname: demo\nversion: 1.10\n';

const chart = (...extra: TarEntry[]): TarEntry[] => [
  { path: 'demo/Chart.yaml', content: CHART_YAML },
  ...extra,
];

/** Asserts the archive is refused with invalid_chart_archive and a message matching `pattern`. */
async function refused(tgz: Buffer | Readable, pattern: RegExp, limits = DEFAULT_CHART_ARCHIVE_LIMITS) {
  await assert.rejects(readChartFiles(tgz, limits), (err: unknown) => {
    assert.ok(err instanceof InvalidRequestError, String(err));
    assert.equal(err.code, 'invalid_chart_archive');
    assert.match(err.message, pattern);
    return true;
  });
}

describe('readChartFiles', () => {
  it('reads values.yaml, README.md and values.schema.json of a packaged corpus chart', async () => {
    const dir = new URL('charts/prometheus/', CORPUS).pathname;
    const packaged = await packageChartDir(dir);
    const files = await readChartFiles(packaged.tgz);
    assert.equal(files.valuesYaml, readFileSync(`${dir}values.yaml`, 'utf8'));
    assert.equal(files.readme, readFileSync(`${dir}README.md`, 'utf8'));
    assert.equal(files.valuesSchema, readFileSync(`${dir}values.schema.json`, 'utf8'));
    assert.match(files.chartYaml, /name: prometheus/);
  });

  it('reads from a stream as well as a buffer', async () => {
    const packaged = await packageChartDir(new URL('charts/memcached/', CORPUS).pathname);
    const half = Math.floor(packaged.tgz.length / 2);
    const files = await readChartFiles(
      Readable.from([packaged.tgz.subarray(0, half), packaged.tgz.subarray(half)]),
    );
    assert.ok(files.valuesYaml && files.valuesYaml.length > 100);
    assert.ok(files.readme?.includes('memcached'));
    assert.equal(files.valuesSchema, null);
  });

  it('accepts the corpus archive whose top folder is "./" (argo-lite-0.1.0)', async () => {
    const tgz = readFileSync(new URL('packages/argo-helm-gh-pages/argo-lite-0.1.0.tgz', CORPUS));
    const files = await readChartFiles(tgz);
    assert.match(files.chartYaml, /argo-lite/);
    assert.ok(files.valuesYaml);
    assert.equal(files.readme, null);
  });

  it('reads every corpus package and the provenance test chart', async () => {
    const dir = new URL('packages/argo-helm-gh-pages/', CORPUS);
    for (const name of ['argo-1.0.0.tgz', 'argo-events-0.6.1.tgz', 'argocd-notifications-1.0.0.tgz']) {
      const files = await readChartFiles(readFileSync(new URL(name, dir)));
      assert.ok(files.chartYaml.length > 0, name);
    }
    const signtest = await readChartFiles(readFileSync(new URL('provenance/signtest-0.1.0.tgz', CORPUS)));
    assert.match(signtest.chartYaml, /signtest/);
  });

  it("returns the chart's own files, not a subchart's, and any spelling of README.md", async () => {
    const files = await readChartFiles(
      createTgz(
        chart(
          { path: 'demo/charts/sub/Chart.yaml', content: 'name: sub\nversion: 1.0.0\n' },
          { path: 'demo/charts/sub/values.yaml', content: 'sub: true\n' },
          { path: 'demo/charts/sub/README.md', content: '# sub' },
          { path: 'demo/Readme.MD', content: '\uFEFF# demo' },
          { path: 'demo/values.yaml', content: 'top: true\n' },
        ),
      ),
    );
    assert.equal(files.valuesYaml, 'top: true\n');
    assert.equal(files.readme, '# demo', 'the BOM is stripped');
    assert.equal(files.valuesSchema, null);
    // Every file is listed with its sha256, BOM stripped as Helm's loader strips it.
    const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
    assert.deepEqual(files.contents, [
      { path: 'Chart.yaml', sha256: sha(CHART_YAML) },
      { path: 'charts/sub/Chart.yaml', sha256: sha('name: sub\nversion: 1.0.0\n') },
      { path: 'charts/sub/values.yaml', sha256: sha('sub: true\n') },
      { path: 'charts/sub/README.md', sha256: sha('# sub') },
      { path: 'Readme.MD', sha256: sha('# demo') },
      { path: 'values.yaml', sha256: sha('top: true\n') },
    ]);
  });

  it('accepts directory entries, PAX long paths and a top folder of any name', async () => {
    const long = `demo/${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(90)}.yaml`;
    const files = await readChartFiles(
      createTgz([
        { path: 'demo/', type: 'directory' },
        { path: 'demo/Chart.yaml', content: CHART_YAML },
        { path: long, content: 'x: 1\n' },
        { path: 'demo//values.yaml', content: 'v: 1\n' },
      ]),
    );
    assert.equal(files.valuesYaml, 'v: 1\n');
  });

  it('refuses hostile paths', async () => {
    const cases: [string, RegExp][] = [
      ['/etc/passwd', /absolute path/],
      ['////abs', /absolute path/],
      ['C:/x/Chart.yaml', /absolute path/],
      ['demo/../../x', /contains ".."/],
      ['../x', /contains ".."/],
      ['demo/a/../../x', /contains ".."/],
      ['demo\\..\\x', /backslash/],
      ['other/values.yaml', /more than one top-level folder/],
      ['Chart.yaml', /not inside the chart's folder/],
    ];
    for (const [path, pattern] of cases) {
      await refused(createTgz(chart({ path, content: 'x' })), pattern);
    }
  });

  it('refuses symlinks and hardlinks, inside the chart or not', async () => {
    await refused(
      createTgz(chart({ path: 'demo/values.yaml', type: 'symlink', linkname: '/etc/passwd' })),
      /is a symlink/,
    );
    await refused(
      createTgz(chart({ path: 'demo/x', type: 'symlink', linkname: 'values.yaml' })),
      /is a symlink/,
    );
    await refused(
      createTgz(chart({ path: 'demo/values.yaml', type: 'hardlink', linkname: 'demo/Chart.yaml' })),
      /is a link/,
    );
  });

  it('refuses devices and FIFOs', async () => {
    // createTar writes files, folders and links only: patch a file header's type flag to a FIFO ('6').
    const tar = createTar(chart({ path: 'demo/fifo', content: '' }));
    const second = 512 * 2; // Chart.yaml's header and one block of content, then ours
    tar.write('6', second + 156, 1, 'latin1');
    let sum = 0;
    tar.fill(0x20, second + 148, second + 156);
    for (const byte of tar.subarray(second, second + 512)) sum += byte;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, second + 148, 8, 'latin1');
    await refused(gzipSync(tar), /is a fifo/);
  });

  it('refuses too many entries, too deep nesting and a missing Chart.yaml', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ path: `demo/f${i}`, content: '' }));
    await refused(createTgz(chart(...many)), /more than 1000 entries/);
    const deep = `demo/${Array.from({ length: 21 }, () => 'd').join('/')}`;
    await refused(createTgz(chart({ path: deep, content: '' })), /nested deeper than 20/);
    await refused(createTgz([{ path: 'demo/values.yaml', content: 'a: 1' }]), /Chart.yaml is missing/);
    await refused(
      createTgz([{ path: 'demo/charts/sub/Chart.yaml', content: CHART_YAML }]),
      /Chart.yaml is missing/,
    );
    await refused(createTgz([{ path: 'demo/Chart.yaml', content: '- a list' }]), /not a YAML mapping/);
    await refused(createTgz([{ path: 'demo/Chart.yaml', content: 'name: x\n' }]), /has no version/);
  });

  it('refuses files, archives and expansions over the limits', async () => {
    const limits = { ...DEFAULT_CHART_ARCHIVE_LIMITS, maxFileBytes: 1024 };
    await refused(
      createTgz(chart({ path: 'demo/values.yaml', content: 'x'.repeat(1025) })),
      /larger than the limit of 1024 bytes per file/,
      limits,
    );
    // Incompressible content, so the archive itself passes the compressed limit.
    const bigTgz = createTgz(chart({ path: 'demo/blob', content: randomBytes(8192) }));
    const compressedOnly = { ...DEFAULT_CHART_ARCHIVE_LIMITS, maxCompressedBytes: 4096 };
    await refused(bigTgz, /larger than 4096 bytes compressed/, compressedOnly);
    await refused(Readable.from([bigTgz]), /larger than 4096 bytes compressed/, compressedOnly);
    // A gzip bomb: 64 MiB of zeros against a 1 MiB expansion limit stops at the limit.
    await refused(gzipBombBytes(64), /expands to more than 1048576 bytes/, {
      ...DEFAULT_CHART_ARCHIVE_LIMITS,
      maxExpandedBytes: 1024 * 1024,
    });
  });

  it('refuses what is not a gzip tar', async () => {
    await refused(Buffer.from('not gzip at all'), /not a readable gzip file/);
    await refused(gzipSync(Buffer.from('x'.repeat(2000))), /not a readable tar archive|holds no files/);
    const truncated = createTgz(chart({ path: 'demo/values.yaml', content: 'a: 1\n' }));
    await refused(truncated.subarray(0, truncated.length - 30), /not a readable/);
    await refused(createTgz(chart({ path: 'demo/values.yaml', content: 'a\u0000b' })), /not text/);
  });
});
