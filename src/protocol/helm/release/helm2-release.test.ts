import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { gzipBombBytes } from '../../../../test/support/fixture-servers.js';
import { decodeHelm2Release } from './helm2-release.js';
import { ReleaseDecodeError } from './release-payload.js';

const RELEASES = new URL('../../../../../shared/corpus/releases/', import.meta.url);

interface ConfigMap {
  metadata: { labels: Record<string, string> };
  data: { release: string };
}
const configMap = (name: string) => yaml.load(readFileSync(new URL(name, RELEASES), 'utf8')) as ConfigMap;

function refused(payload: string, code: string, pattern: RegExp, labels: Record<string, string> = {}) {
  assert.throws(
    () => decodeHelm2Release(payload, labels),
    (err: unknown) => {
      assert.ok(err instanceof ReleaseDecodeError, String(err));
      assert.equal(err.code, code);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

/** A protobuf field: key varint then the value (varint number or length-delimited bytes). */
function field(number: number, value: number | Buffer | string): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    out.push(n);
    return Buffer.from(out);
  };
  if (typeof value === 'number') return Buffer.concat([varint(number * 8), varint(value)]);
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint(number * 8 + 2), varint(bytes.length), bytes]);
}
const payload = (...fields: Buffer[]) => gzipSync(Buffer.concat(fields)).toString('base64');

describe('decodeHelm2Release', () => {
  it('reads the deckhouse Tiller ConfigMap (no VERSION label: the revision comes from the protobuf)', () => {
    const cm = configMap('deckhouse-helm2-release-configmap.yaml');
    assert.equal(cm.metadata.labels['VERSION'], undefined);
    assert.deepEqual(decodeHelm2Release(cm.data.release, cm.metadata.labels), {
      summary: {
        name: 'bar',
        namespace: 'default',
        revision: 1,
        status: 'DEPLOYED',
        chartName: 'var',
        chartVersion: '0.1.0',
        appVersion: '1.0',
        firstDeployed: '2022-04-25T14:30:59.963115556Z',
        lastDeployed: '2022-04-25T14:30:59.963115556Z',
        driver: 'configmap',
        helmMajor: 2,
      },
      chart: null,
      config: {},
    });
  });

  it('reads the rancher Tiller ConfigMap (142 KB of protobuf with templates it skips)', () => {
    const cm = configMap('rancher-helm2-release-configmap.yaml');
    const { summary } = decodeHelm2Release(cm.data.release, cm.metadata.labels);
    assert.equal(gunzipSync(Buffer.from(cm.data.release, 'base64')).length > 100_000, true);
    assert.deepEqual(
      [
        summary.name,
        summary.namespace,
        summary.revision,
        summary.status,
        summary.chartName,
        summary.chartVersion,
      ],
      ['mariadb', 'default', 1, 'DEPLOYED', 'mariadb', '7.3.14'],
    );
    assert.equal(summary.appVersion, '10.3.22');
    assert.equal(summary.firstDeployed, '2025-04-24T15:24:35.169071328Z');
  });

  it('maps status codes, and takes the revision and status from the labels when the protobuf leaves them out', () => {
    const chart = field(3, field(1, Buffer.concat([field(1, 'nginx'), field(4, '1.2.3')])));
    const superseded = payload(
      field(1, 'web'),
      field(2, field(1, field(1, 3))),
      chart,
      field(7, 4),
      field(8, 'apps'),
    );
    const decoded = decodeHelm2Release(superseded, {});
    assert.equal(decoded.summary.status, 'SUPERSEDED');
    assert.equal(decoded.summary.revision, 4);
    assert.equal(decoded.summary.firstDeployed, null);
    const bare = payload(field(1, 'web'), chart, field(8, 'apps'));
    const fromLabels = decodeHelm2Release(bare, { VERSION: '9', STATUS: 'FAILED' });
    assert.equal(fromLabels.summary.revision, 9);
    assert.equal(fromLabels.summary.status, 'FAILED');
  });

  it('refuses what it cannot read, with what is wrong', () => {
    refused(
      '%%%',
      'invalid_release',
      /^The Helm 2 release is not readable: the release payload is not base64/,
    );
    refused(
      gzipSync(Buffer.from([0x0a, 0x50, 0x01])).toString('base64'),
      'invalid_release',
      /longer than the message/,
    );
    refused(gzipSync(Buffer.from([0x0b])).toString('base64'), 'invalid_release', /wire type 3/);
    refused(payload(field(1, 'web'), field(8, 'apps')), 'invalid_release', /no chart metadata/);
    const chart = field(3, field(1, Buffer.concat([field(1, '../x'), field(4, '1.0.0')])));
    refused(
      payload(field(1, 'web'), chart, field(7, 1), field(8, 'apps')),
      'invalid_release',
      /chart name "..\/x"/,
    );
    refused(gzipBombBytes(32).toString('base64'), 'release_too_large', /more than the limit of 16 MiB/);
  });
});
