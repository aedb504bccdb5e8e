import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createTgz } from '../../test/support/chart-archive.js';
import { gzipBombBytes } from '../../test/support/fixture-servers.js';
import { chartTgz } from '../../test/support/hosted.js';
import { checkArchive } from './chart-verify.js';

const hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('checkArchive', () => {
  it('accepts the pinned bytes of the layer chart, with or without the sha256: prefix', async () => {
    const tgz = chartTgz('demo', '1.2.3');
    for (const digest of [`sha256:${hex(tgz)}`, hex(tgz), null]) {
      assert.deepEqual(await checkArchive(tgz, { chart: 'demo', version: '1.2.3', digest }), {
        ok: true,
        digest: `sha256:${hex(tgz)}`,
        chart: { name: 'demo', version: '1.2.3' },
      });
    }
  });

  it('checks the digest before reading the archive, so a bomb with the wrong digest is never inflated', async () => {
    const check = await checkArchive(gzipBombBytes(1), {
      chart: 'x',
      version: '1.0.0',
      digest: 'a'.repeat(64),
    });
    assert.equal(check.ok ? 'ok' : check.kind, 'digest_mismatch');
  });

  it('refuses archives by the upload rules, and another chart or version', async () => {
    const kind = async (tgz: Buffer, chart = 'demo', version = '1.2.3'): Promise<string> => {
      const check = await checkArchive(tgz, { chart, version, digest: null });
      return check.ok ? 'ok' : `${check.kind}: ${check.reason}`;
    };
    assert.match(
      await kind(chartTgz('demo', '1.2.4')),
      /^chart_mismatch: .*"demo" version "1\.2\.4", but the layer names "demo" version "1\.2\.3"/,
    );
    assert.match(await kind(chartTgz('other', '1.2.3')), /^chart_mismatch/);
    assert.match(
      await kind(
        createTgz([
          { path: 'demo/Chart.yaml', content: 'name: demo\nversion: 1.2.3\n' },
          { path: 'demo/link', type: 'symlink' },
        ]),
      ),
      /^invalid_archive: the chart archive was refused: "demo\/link" is a symlink/,
    );
    assert.match(await kind(Buffer.from('not gzip')), /^invalid_archive: .*not a readable gzip file/);
  });
});
