import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { gzipBombBytes } from '../../../../test/support/fixture-servers.js';
import { decodeHelm3Release, ReleaseDecodeError } from './release-payload.js';

const RELEASES = new URL('../../../../../shared/corpus/releases/', import.meta.url);
const corpus = (name: string) => readFileSync(new URL(name, RELEASES));

/** A Helm 3 release JSON like Helm writes it, with `patch` applied on top. */
function releaseJson(
  patch: (doc: Record<string, unknown>) => void = () => undefined,
): Record<string, unknown> {
  const doc = JSON.parse(corpus('deckhouse-helm3-release-secret.decoded.json').toString('utf8')) as Record<
    string,
    unknown
  >;
  patch(doc);
  return doc;
}

const gzipPayload = (doc: unknown) => gzipSync(Buffer.from(JSON.stringify(doc))).toString('base64');
const plainPayload = (doc: unknown) => Buffer.from(JSON.stringify(doc)).toString('base64');
const chartOf = (doc: Record<string, unknown>) => doc['chart'] as Record<string, unknown>;
const metadataOf = (doc: Record<string, unknown>) => chartOf(doc)['metadata'] as Record<string, unknown>;

function refused(payload: string, code: 'invalid_release' | 'release_too_large', pattern: RegExp) {
  assert.throws(
    () => decodeHelm3Release(payload, 'secret'),
    (err: unknown) => {
      assert.ok(err instanceof ReleaseDecodeError, String(err));
      assert.equal(err.code, code);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('decodeHelm3Release', () => {
  it('decodes the real release Secret of the corpus (Secret base64 → Helm base64 → gzip → JSON)', () => {
    const secret = yaml.load(corpus('deckhouse-helm3-release-secret.yaml').toString('utf8')) as {
      data: { release: string };
    };
    const payload = Buffer.from(secret.data.release, 'base64').toString('latin1');
    const decoded = decodeHelm3Release(payload, 'secret');
    assert.deepEqual(decoded.summary, {
      name: 'foobar',
      namespace: 'default',
      revision: 3,
      status: 'deployed',
      chartName: 'boor',
      chartVersion: '0.1.0',
      appVersion: '1.16.0',
      firstDeployed: '2022-04-25T18:15:25.42684393Z',
      lastDeployed: '2022-04-25T18:20:21.707645677Z',
      driver: 'secret',
      helmMajor: 3,
    });
    const json = releaseJson();
    const chart = decoded.chart!;
    assert.deepEqual(chart.metadata, metadataOf(json));
    assert.deepEqual(
      chart.templates.map((t) => t.name),
      ['templates/ingress.yaml'],
    );
    assert.match(
      chart.templates[0]!.data.toString('utf8'),
      /^apiVersion: networking.k8s.io\/v1\nkind: Ingress/,
    );
    assert.deepEqual(chart.values, chartOf(json)['values']);
    assert.equal(chart.schema, null);
    assert.deepEqual(
      chart.files.map((f) => f.name),
      ['.helmignore'],
    );
    assert.deepEqual(decoded.config, {}, 'no config in the release: {}');
  });

  it('takes plain JSON as well as gzip (Helm checks the gzip magic), and the ConfigMap driver', () => {
    const doc = releaseJson((d) => {
      d['config'] = { replicaCount: 3 };
      chartOf(d)['schema'] = Buffer.from('{"type":"object"}').toString('base64');
      chartOf(d)['values'] = null;
    });
    const decoded = decodeHelm3Release(plainPayload(doc), 'configmap');
    assert.equal(decoded.summary.driver, 'configmap');
    assert.deepEqual(decoded.config, { replicaCount: 3 });
    assert.equal(decoded.chart!.schema!.toString('utf8'), '{"type":"object"}');
    assert.deepEqual(decoded.chart!.values, {});
    assert.deepEqual(decodeHelm3Release(gzipPayload(doc), 'secret').config, { replicaCount: 3 });
  });

  it('makes Go zero times and missing fields null, and missing status "unknown"', () => {
    const doc = releaseJson((d) => {
      d['info'] = { first_deployed: '0001-01-01T00:00:00Z', last_deployed: '' };
      delete metadataOf(d)['appVersion'];
    });
    const { summary } = decodeHelm3Release(gzipPayload(doc), 'secret');
    assert.equal(summary.firstDeployed, null);
    assert.equal(summary.lastDeployed, null);
    assert.equal(summary.appVersion, null);
    assert.equal(summary.status, 'unknown');
  });

  it('refuses what is not base64, not gzip, not JSON', () => {
    refused('not base64 at all!', 'invalid_release', /not base64/);
    refused('abc', 'invalid_release', /not base64/);
    refused(
      Buffer.from([0x1f, 0x8b, 0x08, 1, 2, 3, 4]).toString('base64'),
      'invalid_release',
      /does not decompress/,
    );
    refused(Buffer.from('{"name": ').toString('base64'), 'invalid_release', /not JSON/);
    refused(Buffer.from('[1,2]').toString('base64'), 'invalid_release', /not an object/);
  });

  it('stops a gzip bomb at the decompressed limit, without inflating it all', () => {
    const bomb = gzipBombBytes(64).toString('base64');
    const started = process.memoryUsage().arrayBuffers;
    refused(bomb, 'release_too_large', /decompresses to more than the limit of 16 MiB/);
    assert.ok(process.memoryUsage().arrayBuffers - started < 48 * 1024 * 1024);
    assert.throws(
      () => decodeHelm3Release(gzipPayload(releaseJson()), 'secret', { maxDecodedBytes: 100 }),
      /more than the limit of 100 bytes/,
    );
  });

  it('refuses a payload beyond the base64 limit before decoding it', () => {
    assert.throws(
      () => decodeHelm3Release('A'.repeat(1000), 'secret', { maxPayloadChars: 999 }),
      (err: unknown) => err instanceof ReleaseDecodeError && err.code === 'release_too_large',
    );
  });

  it('refuses a chart with a 50 MiB template (too large once decompressed)', () => {
    const doc = releaseJson((d) => {
      chartOf(d)['templates'] = [
        { name: 'templates/big.yaml', data: Buffer.alloc(50 * 1024 * 1024, 'a').toString('base64') },
      ];
    });
    const fast = gzipSync(Buffer.from(JSON.stringify(doc)), { level: 1 }).toString('base64');
    refused(fast, 'release_too_large', /more than the limit of 16 MiB/);
  });

  it('refuses missing chart metadata, name or version', () => {
    refused(gzipPayload(releaseJson((d) => delete d['chart'])), 'invalid_release', /no chart metadata/);
    refused(
      gzipPayload(releaseJson((d) => delete metadataOf(d)['name'])),
      'invalid_release',
      /no chart name/,
    );
    refused(
      gzipPayload(releaseJson((d) => (metadataOf(d)['version'] = ''))),
      'invalid_release',
      /no chart version/,
    );
  });

  it('refuses release names, namespaces and chart names with ../, control characters or 300 characters', () => {
    const cases: [(d: Record<string, unknown>) => void, RegExp][] = [
      [(d) => (d['name'] = '../etc'), /release name "..\/etc" is not a valid Helm release name/],
      [(d) => (d['name'] = 'a\u001b[31mred'), /release name "a\\u001b\[31mred" is not a valid/],
      [(d) => (d['name'] = 'a'.repeat(300)), /is 300 characters long; Helm allows at most 53/],
      [
        (d) => (d['namespace'] = '../kube-system'),
        /namespace "..\/kube-system" is not a Kubernetes namespace/,
      ],
      [(d) => (d['namespace'] = 'n'.repeat(64)), /not a Kubernetes namespace name/],
      [(d) => (metadataOf(d)['name'] = '../../evil'), /chart name "..\/..\/evil" is refused/],
      [(d) => (metadataOf(d)['name'] = 'a..b'), /chart name "a..b" is refused: it contains "\.\."/],
      [(d) => (metadataOf(d)['name'] = 'dir\\chart'), /chart name "dir\\\\chart" is refused/],
      [(d) => (metadataOf(d)['name'] = 'x\u0000y'), /chart name "x\\u0000y" is refused/],
      [(d) => (metadataOf(d)['name'] = 'c'.repeat(300)), /longer than 250 characters/],
      [
        (d) => (metadataOf(d)['version'] = '1.0\u0007'),
        /chart version "1.0\\u0007" contains control characters/,
      ],
      [(d) => (metadataOf(d)['version'] = '1'.repeat(300)), /longer than 256 characters/],
      [(d) => (metadataOf(d)['appVersion'] = 'v1\u009b2J'), /appVersion "v1\\u009b2J" contains control/],
      [(d) => (d['version'] = 0), /revision 0 is not a positive integer/],
      [(d) => (d['version'] = '3'), /revision "3" is not a positive integer/],
      [
        (d) => ((d['info'] as Record<string, unknown>)['status'] = 'deployed; rm'),
        /status "deployed; rm" is not/,
      ],
    ];
    for (const [patch, pattern] of cases)
      refused(gzipPayload(releaseJson(patch)), 'invalid_release', pattern);
  });

  it('refuses template and file names that escape the chart', () => {
    const withTemplate = (name: string) =>
      gzipPayload(releaseJson((d) => (chartOf(d)['templates'] = [{ name, data: '' }])));
    refused(
      withTemplate('templates/../../etc/passwd'),
      'invalid_release',
      /template name .* it contains "\.\."/,
    );
    refused(withTemplate('/etc/passwd'), 'invalid_release', /absolute path/);
    refused(withTemplate('C:/x'), 'invalid_release', /absolute path/);
    refused(withTemplate('templates\\..\\x'), 'invalid_release', /backslash/);
    refused(withTemplate('templates/a\u0000.yaml'), 'invalid_release', /control characters/);
    refused(withTemplate(`templates/${'a'.repeat(5000)}`), 'invalid_release', /longer than 4096/);
    refused(
      gzipPayload(releaseJson((d) => (chartOf(d)['files'] = [{ name: '../x', data: '' }]))),
      'invalid_release',
      /file name "..\/x" is refused/,
    );
    refused(
      gzipPayload(releaseJson((d) => (chartOf(d)['files'] = [{ name: 'x', data: 'not base64!' }]))),
      'invalid_release',
      /data of file "x" is not base64/,
    );
  });

  it('refuses values that are not a mapping or nest too deep', () => {
    refused(
      gzipPayload(releaseJson((d) => (d['config'] = [1]))),
      'invalid_release',
      /config .* is not a mapping/,
    );
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) deep = { a: deep };
    refused(
      gzipPayload(releaseJson((d) => (d['config'] = deep))),
      'invalid_release',
      /deeper than 64 levels/,
    );
  });
});
