import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readChartFiles } from '../helm/chart-archive.js';
import { parseChartYaml, type ChartMetadata } from '../helm/chart-metadata.js';
import { DistributionError } from './distribution-error.js';
import {
  helmConfigBytes,
  helmConfigMismatch,
  helmManifestAnnotations,
  helmManifestBytes,
  readHelmManifest,
  sameManifestContent,
  sha256Digest,
} from './helm-artifact.js';
import {
  DOCKER_MANIFEST_MEDIA_TYPE,
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_PROVENANCE_LAYER_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
} from './media-types.js';

const CORPUS = new URL('../../../../shared/corpus/', import.meta.url);
const d = (c: string): string => `sha256:${c.repeat(64)}`;

// research/protocols.md b.3: what helm 3.18 pushes for the corpus signtest chart and its .prov.
const CONFIG = {
  digest: 'sha256:8d17cb6bf6ccd8c29aace9a658495cbd5e2e87fc267876e86117c7db681c9580',
  size: 99,
};
const PROV = { digest: 'sha256:b0a02b7412f78ae93324d48df8fcc316d8482e5ad7827b5b238657a29a22f256', size: 695 };
const CHART = {
  digest: 'sha256:e5ef611620fb97704d8751c16bab17fedb68883bfb0edc76f78a70e9173f9b55',
  size: 973,
};

async function signtest(): Promise<ChartMetadata> {
  const files = await readChartFiles(readFileSync(new URL('provenance/signtest-0.1.0.tgz', CORPUS)));
  return parseChartYaml(files.chartYaml);
}

describe('helmConfigBytes', () => {
  it('writes the config blob helm pushes for the corpus signtest chart, byte for byte', async () => {
    const config = helmConfigBytes(await signtest());
    assert.equal(
      config.toString('utf8'),
      '{"name":"signtest","version":"0.1.0","description":"A Helm chart for Kubernetes","apiVersion":"v1"}',
    );
    assert.equal(config.length, CONFIG.size);
    assert.equal(sha256Digest(config), CONFIG.digest);
  });

  it('writes every field in Go struct order, with Go escaping and sorted annotations', () => {
    const meta = parseChartYaml(
      [
        'type: application',
        'dependencies:',
        '  - alias: db',
        '    import-values: [data, {parent: p, child: c}]',
        '    enabled: true',
        '    tags: [t]',
        '    condition: db.enabled',
        '    repository: https://charts.example.com',
        '    version: ^1.0.0',
        '    name: postgresql',
        '  - name: local',
        '    enabled: false',
        'kubeVersion: ">=1.25.0"',
        'annotations: {b: "2", a: "<1>", "10": x}',
        'deprecated: true',
        'appVersion: 1.10',
        'tags: front',
        'condition: demo.enabled',
        'apiVersion: v2',
        'icon: https://example.com/i.png',
        'maintainers: [{url: "https://m", email: m@example.com, name: M}, {name: N}]',
        'keywords: [a, b]',
        'description: Tom & Jerry',
        'version: 1.2.3+build.1',
        'sources: [https://src]',
        'home: https://home',
        'name: demo',
        'engine: gotpl',
      ].join('\n'),
    );
    assert.equal(
      helmConfigBytes(meta).toString('utf8'),
      '{"name":"demo","home":"https://home","sources":["https://src"],"version":"1.2.3+build.1",' +
        '"description":"Tom \\u0026 Jerry","keywords":["a","b"],' +
        '"maintainers":[{"name":"M","email":"m@example.com","url":"https://m"},{"name":"N"}],' +
        '"icon":"https://example.com/i.png","apiVersion":"v2","condition":"demo.enabled","tags":"front",' +
        '"appVersion":"1.10","deprecated":true,"annotations":{"10":"x","a":"\\u003c1\\u003e","b":"2"},' +
        '"kubeVersion":"\\u003e=1.25.0","dependencies":[{"name":"postgresql","version":"^1.0.0",' +
        '"repository":"https://charts.example.com","condition":"db.enabled","tags":["t"],"enabled":true,' +
        '"import-values":["data",{"child":"c","parent":"p"}],"alias":"db"},{"name":"local","repository":""}],' +
        '"type":"application"}',
    );
  });
});

describe('helmManifestBytes', () => {
  it('writes the b.3 manifest without the created annotation', async () => {
    const manifest = helmManifestBytes({
      meta: await signtest(),
      config: CONFIG,
      chart: CHART,
      provenance: PROV,
    });
    assert.equal(
      manifest.toString('utf8'),
      '{"schemaVersion":2,' +
        `"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"${CONFIG.digest}","size":99},` +
        '"layers":[' +
        `{"mediaType":"application/vnd.cncf.helm.chart.provenance.v1.prov","digest":"${PROV.digest}","size":695},` +
        `{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"${CHART.digest}","size":973}],` +
        '"annotations":{"org.opencontainers.image.description":"A Helm chart for Kubernetes",' +
        '"org.opencontainers.image.title":"signtest","org.opencontainers.image.version":"0.1.0"}}',
    );
  });

  it('is stable, sorts layers by digest and reads back as a Helm manifest', async () => {
    const meta = await signtest();
    const input = {
      meta,
      config: CONFIG,
      chart: { digest: d('0'), size: 5 },
      provenance: { digest: d('f'), size: 6 },
    };
    const bytes = helmManifestBytes(input);
    assert.deepEqual(bytes, helmManifestBytes(input));
    const layers = (JSON.parse(bytes.toString()) as { layers: { mediaType: string }[] }).layers;
    assert.deepEqual(
      layers.map((l) => l.mediaType),
      [HELM_CHART_LAYER_MEDIA_TYPE, HELM_PROVENANCE_LAYER_MEDIA_TYPE],
    );
    assert.deepEqual(readHelmManifest(bytes, OCI_MANIFEST_MEDIA_TYPE).helm, {
      config: CONFIG,
      chart: { digest: d('0'), size: 5 },
      provenance: { digest: d('f'), size: 6 },
    });
    const withoutProv = helmManifestBytes({ meta, config: CONFIG, chart: CHART });
    assert.equal(readHelmManifest(withoutProv, OCI_MANIFEST_MEDIA_TYPE).helm?.provenance, undefined);
  });
});

describe('helmManifestAnnotations', () => {
  it('follows generateOCIAnnotations: blanks left out, authors joined, title and version not overridable', () => {
    const meta = parseChartYaml(
      [
        'apiVersion: v2',
        'name: demo',
        'version: 1.0.0',
        'description: "  "',
        'home: https://home',
        'sources: [https://one, https://two]',
        'maintainers: [{name: Ann, email: ann@example.com}, {name: Bob}, {email: x@example.com}]',
        'annotations:',
        '  org.opencontainers.image.title: other',
        '  org.opencontainers.image.version: 9.9.9',
        '  org.opencontainers.image.url: https://override',
        '  category: Database',
        '  empty: ""',
      ].join('\n'),
    );
    assert.deepEqual(helmManifestAnnotations(meta), {
      'org.opencontainers.image.title': 'demo',
      'org.opencontainers.image.version': '1.0.0',
      'org.opencontainers.image.url': 'https://override',
      'org.opencontainers.image.source': 'https://one',
      'org.opencontainers.image.authors': 'Ann (ann@example.com), Bob,  (x@example.com)',
      category: 'Database',
      empty: '',
    });
  });
});

function manifest(extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: d('a'), size: 99 },
      layers: [
        { mediaType: HELM_PROVENANCE_LAYER_MEDIA_TYPE, digest: d('0'), size: 5 },
        { mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: d('b'), size: 973 },
      ],
      ...extra,
    }),
  );
}

function refused(bytes: Buffer, contentType: string | undefined, pattern: RegExp): void {
  assert.throws(
    () => readHelmManifest(bytes, contentType),
    (err: unknown) => {
      assert.ok(err instanceof DistributionError, String(err));
      assert.equal(err.status, 400);
      assert.equal(err.code, 'MANIFEST_INVALID');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('readHelmManifest', () => {
  it('reads a helm manifest: media type from Content-Type, references, chart and provenance by media type', () => {
    assert.deepEqual(readHelmManifest(manifest(), `${OCI_MANIFEST_MEDIA_TYPE}; charset=utf-8`), {
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      references: [
        { digest: d('a'), size: 99, field: 'config' },
        { digest: d('0'), size: 5, field: 'layers[0]' },
        { digest: d('b'), size: 973, field: 'layers[1]' },
      ],
      helm: {
        config: { digest: d('a'), size: 99 },
        chart: { digest: d('b'), size: 973 },
        provenance: { digest: d('0'), size: 5 },
      },
    });
  });

  it('reads other image manifests and indexes with helm null, and the subject', () => {
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST_MEDIA_TYPE,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 10 },
        layers: [],
        subject: { mediaType: OCI_MANIFEST_MEDIA_TYPE, digest: d('e'), size: 300 },
      }),
    );
    assert.deepEqual(readHelmManifest(image, OCI_MANIFEST_MEDIA_TYPE), {
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      references: [{ digest: d('c'), size: 10, field: 'config' }],
      subject: d('e'),
      helm: null,
    });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX_MEDIA_TYPE,
        manifests: [{ mediaType: OCI_MANIFEST_MEDIA_TYPE, digest: d('1'), size: 7 }],
      }),
    );
    assert.deepEqual(readHelmManifest(index, OCI_INDEX_MEDIA_TYPE), {
      mediaType: OCI_INDEX_MEDIA_TYPE,
      references: [{ digest: d('1'), size: 7, field: 'manifests[0]' }],
      helm: null,
    });
    // Helm config under a Docker manifest type: not a chart helm can pull.
    assert.equal(
      readHelmManifest(manifest({ mediaType: DOCKER_MANIFEST_MEDIA_TYPE }), DOCKER_MANIFEST_MEDIA_TYPE).helm,
      null,
    );
    // Helm config without a chart layer: an artifact, not a chart.
    assert.equal(readHelmManifest(manifest({ layers: [] }), OCI_MANIFEST_MEDIA_TYPE).helm, null);
  });

  it('takes the media type from the body when there is no Content-Type', () => {
    assert.equal(
      readHelmManifest(manifest({ mediaType: OCI_MANIFEST_MEDIA_TYPE }), undefined).mediaType,
      OCI_MANIFEST_MEDIA_TYPE,
    );
    refused(manifest(), undefined, /Content-Type "" is not a manifest type/);
  });

  it('refuses bad JSON, other schema versions and types, and a mediaType that disagrees', () => {
    refused(Buffer.from('{'), OCI_MANIFEST_MEDIA_TYPE, /not valid JSON/);
    refused(Buffer.from('[]'), OCI_MANIFEST_MEDIA_TYPE, /not a JSON object/);
    refused(manifest({ schemaVersion: 1 }), OCI_MANIFEST_MEDIA_TYPE, /schemaVersion is not 2/);
    refused(
      manifest(),
      'application/json',
      /send Content-Type: application\/vnd\.oci\.image\.manifest\.v1\+json/,
    );
    refused(manifest({ mediaType: OCI_INDEX_MEDIA_TYPE }), OCI_MANIFEST_MEDIA_TYPE, /disagree/);
  });

  it('refuses bad descriptors', () => {
    refused(manifest({ config: undefined }), OCI_MANIFEST_MEDIA_TYPE, /config is not a descriptor/);
    refused(manifest({ layers: {} }), OCI_MANIFEST_MEDIA_TYPE, /"layers" must be a list/);
    const layer = (l: Record<string, unknown>): Buffer => manifest({ layers: [l] });
    refused(
      layer({ mediaType: 'x', digest: `sha512:${'a'.repeat(128)}`, size: 1 }),
      OCI_MANIFEST_MEDIA_TYPE,
      /layers\[0\] digest .* sha256/,
    );
    refused(
      layer({ mediaType: 'x', digest: d('A'), size: 1 }),
      OCI_MANIFEST_MEDIA_TYPE,
      /not a sha256 digest/,
    );
    refused(
      layer({ mediaType: 'x', digest: d('a'), size: -1 }),
      OCI_MANIFEST_MEDIA_TYPE,
      /size is not a whole number/,
    );
    refused(
      layer({ mediaType: 'x', digest: d('a'), size: 1.5 }),
      OCI_MANIFEST_MEDIA_TYPE,
      /size is not a whole number/,
    );
    refused(layer({ digest: d('a'), size: 1 }), OCI_MANIFEST_MEDIA_TYPE, /has no mediaType/);
    refused(manifest({ subject: { digest: 'x' } }), OCI_MANIFEST_MEDIA_TYPE, /subject/);
    const two = { mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: d('b'), size: 1 };
    refused(
      manifest({ layers: [two, { ...two, digest: d('c') }] }),
      OCI_MANIFEST_MEDIA_TYPE,
      /more than one chart/,
    );
  });
});

describe('sameManifestContent', () => {
  const created = (value: string) => ({
    annotations: { 'org.opencontainers.image.created': value, 'org.opencontainers.image.title': 'x' },
  });

  it('ignores only the created annotation', () => {
    assert.ok(sameManifestContent(manifest(), manifest()));
    assert.ok(
      sameManifestContent(
        manifest(created('2024-01-01T00:00:00Z')),
        manifest(created('2025-06-07T08:09:10+02:00')),
      ),
    );
    // The manifest a ChartMuseum upload derives has no created annotation at all.
    assert.ok(
      sameManifestContent(
        manifest(created('2024-01-01T00:00:00Z')),
        manifest({ annotations: { 'org.opencontainers.image.title': 'x' } }),
      ),
    );
    assert.ok(
      sameManifestContent(
        manifest({ annotations: { 'org.opencontainers.image.created': 'now' } }),
        manifest(),
      ),
      'annotations left empty count as none',
    );
  });

  it('compares JSON values, not bytes: key order and spacing do not matter', () => {
    const doc = JSON.parse(manifest().toString()) as Record<string, unknown>;
    const reordered = Buffer.from(
      JSON.stringify({ layers: doc['layers'], config: doc['config'], schemaVersion: 2 }, null, 2),
    );
    assert.ok(sameManifestContent(manifest(), reordered));
  });

  it('sees every other difference: annotations, config, layers, sizes, layer order', () => {
    const base = manifest(created('2024-01-01T00:00:00Z'));
    const others = [
      manifest({ annotations: { ...created('2024-01-01T00:00:00Z').annotations, extra: 'y' } }),
      manifest({
        annotations: { 'org.opencontainers.image.created': 'x', 'org.opencontainers.image.title': 'y' },
      }),
      manifest({ ...created('x'), config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: d('c'), size: 99 } }),
      manifest({ ...created('x'), config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: d('a'), size: 100 } }),
      manifest({
        ...created('x'),
        layers: [{ mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: d('b'), size: 973 }],
      }),
      manifest({
        ...created('x'),
        layers: [
          { mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: d('b'), size: 973 },
          { mediaType: HELM_PROVENANCE_LAYER_MEDIA_TYPE, digest: d('0'), size: 5 },
        ],
      }),
      manifest({ ...created('x'), mediaType: OCI_MANIFEST_MEDIA_TYPE }),
    ];
    for (const other of others) assert.ok(!sameManifestContent(base, other), other.toString());
  });

  it('is never true for text that is not JSON', () => {
    assert.ok(!sameManifestContent(Buffer.from('{'), Buffer.from('{')));
  });
});

describe('helmConfigMismatch', () => {
  const chart = { name: 'cfg', version: '1.0.0' };
  it('accepts the config helm writes for the chart', () => {
    assert.equal(
      helmConfigMismatch(Buffer.from('{"name":"cfg","version":"1.0.0","apiVersion":"v2"}'), chart),
      null,
    );
  });
  it('names what the config says and what the chart is', () => {
    assert.match(
      helmConfigMismatch(Buffer.from('{"name":"cfg","version":"9.9.9"}'), chart) ?? '',
      /config names chart "cfg" version "9\.9\.9", but the chart inside is "cfg" version "1\.0\.0"/,
    );
    assert.match(
      helmConfigMismatch(Buffer.from('{"name":"other","version":"1.0.0"}'), chart) ?? '',
      /"other"/,
    );
    assert.match(
      helmConfigMismatch(Buffer.from('{"version":1}'), chart) ?? '',
      /chart \(none\) version \(none\)/,
    );
  });
  it('refuses a config that is not a JSON object', () => {
    assert.match(helmConfigMismatch(Buffer.from('{"name":'), chart) ?? '', /not valid JSON/);
    assert.match(helmConfigMismatch(Buffer.from('["cfg","1.0.0"]'), chart) ?? '', /not a JSON object/);
    assert.match(helmConfigMismatch(Buffer.from('null'), chart) ?? '', /not a JSON object/);
  });
});
