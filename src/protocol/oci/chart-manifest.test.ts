import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyManifest } from './chart-manifest.js';
import { HELM_CHART_LAYER_MEDIA_TYPE, HELM_CONFIG_MEDIA_TYPE } from './media-types.js';

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

describe('classifyManifest', () => {
  it('accepts helm >= 3.7 charts, finding the chart layer by media type', () => {
    assert.deepEqual(classifyManifest(manifest(), OCI_MANIFEST), {
      kind: 'chart',
      configDigest: d('a'),
      configSize: 99,
      chartDigest: d('b'),
      provenanceDigest: d('0'),
      created: '2024-01-01T00:00:00Z',
    });
    const unsigned = manifest({
      layers: [{ mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: d('b'), size: 973 }],
    });
    const found = classifyManifest(unsigned, OCI_MANIFEST);
    assert.equal(found.kind === 'chart' ? found.provenanceDigest : 'skip', null);
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
