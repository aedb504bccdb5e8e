import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyManifest,
  decodeSkippedTags,
  encodeSkippedTags,
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  ociChartReference,
  tagToVersion,
  versionToTag,
} from './oci-sync.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const d = (c: string): string => `sha256:${c.repeat(64)}`;

function manifest(extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: d('a'), size: 99 },
      layers: [
        { mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov', digest: d('0'), size: 5 },
        { mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: d('b'), size: 973 },
      ],
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
      ...extra,
    }),
  );
}

describe('tag ↔ version', () => {
  it('reads _ as + and keeps only strict SemVer, as helm does', () => {
    assert.equal(tagToVersion('1.2.3'), '1.2.3');
    assert.equal(tagToVersion('1.0.0_build.1'), '1.0.0+build.1');
    assert.equal(tagToVersion('2.0.0-rc.1_meta'), '2.0.0-rc.1+meta');
    for (const tag of ['latest', 'v1.2.3', '1.2', '01.2.3', `sha256-${'a'.repeat(64)}.sig`, '1.2.3_']) {
      assert.equal(tagToVersion(tag), null, tag);
    }
  });
  it('writes + as _', () => {
    assert.equal(versionToTag('1.0.0+build.1'), '1.0.0_build.1');
    assert.equal(tagToVersion(versionToTag('3.1.4-alpha+x.y')), '3.1.4-alpha+x.y');
  });
});

describe('classifyManifest', () => {
  it('accepts helm >= 3.7 charts, finding the chart layer by media type', () => {
    assert.deepEqual(classifyManifest(manifest(), OCI_MANIFEST), {
      kind: 'chart',
      configDigest: d('a'),
      configSize: 99,
      chartDigest: d('b'),
      created: '2024-01-01T00:00:00Z',
    });
    // No Content-Type or a generic one: helm's manifests carry no mediaType field, the body decides.
    assert.equal(classifyManifest(manifest(), null).kind, 'chart');
    assert.equal(classifyManifest(manifest(), 'application/json').kind, 'chart');
  });

  const skipped = (bytes: Buffer, type: string | null): string => {
    const result = classifyManifest(bytes, type);
    assert.equal(result.kind, 'skip');
    return result.kind === 'skip' ? result.reason : '';
  };

  it('skips container images, signatures, indexes and Docker manifests with a reason', () => {
    const image = manifest({
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 10 },
    });
    assert.match(skipped(image, OCI_MANIFEST), /config type is "application\/vnd\.oci\.image\.config/);
    const cosign = manifest({
      config: { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: d('c'), size: 1 },
    });
    assert.match(skipped(cosign, OCI_MANIFEST), /cosign/);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
    assert.match(skipped(index, 'application/vnd.oci.image.index.v1+json'), /image index/);
    assert.match(
      skipped(manifest(), 'application/vnd.docker.distribution.manifest.v2+json'),
      /Docker image manifest/,
    );
    assert.match(
      skipped(manifest({ mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' }), null),
      /image index/,
    );
  });

  it('skips legacy (Helm < 3.7) charts, broken manifests and bad digests', () => {
    const legacy = manifest({ layers: [{ mediaType: 'application/tar+gzip', digest: d('b'), size: 1 }] });
    assert.match(skipped(legacy, OCI_MANIFEST), /before 3\.7/);
    assert.match(skipped(Buffer.from('not json'), OCI_MANIFEST), /not JSON/);
    assert.match(skipped(manifest({ schemaVersion: 1 }), OCI_MANIFEST), /schema version 2/);
    assert.match(skipped(manifest({ layers: [] }), OCI_MANIFEST), /no layer/);
    const badDigest = manifest({
      layers: [{ mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: 'md5:abc', size: 1 }],
    });
    assert.match(skipped(badDigest, OCI_MANIFEST), /not a sha256/);
    assert.match(skipped(manifest(), 'text/plain'), /not an OCI image manifest/);
  });
});

describe('ociChartReference', () => {
  it('is the oci:// reference helm pulls, port included', () => {
    assert.equal(
      ociChartReference(new URL('http://127.0.0.1:5000'), 'charts/app'),
      'oci://127.0.0.1:5000/charts/app',
    );
    assert.equal(ociChartReference(new URL('https://ghcr.io'), 'org/app'), 'oci://ghcr.io/org/app');
  });
});

describe('remembered skipped tags', () => {
  it('round-trip, and anything else (a classic ETag, garbage) reads as none', () => {
    const skipped = new Map([['apps/web:1.0.0', { digest: d('c'), reason: 'it is an image' }]]);
    const text = encodeSkippedTags(skipped);
    assert.ok(text !== null);
    assert.deepEqual(decodeSkippedTags(text), skipped);
    assert.equal(encodeSkippedTags(new Map()), null);
    for (const other of [null, undefined, '"abc-123"', 'W/"x"', '{"entries":[["a","b","c"]]}', '{broken']) {
      assert.equal(decodeSkippedTags(other).size, 0, String(other));
    }
  });
});
