import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createTgz, packageChartDir } from '../../../../test/support/chart-archive.js';
import {
  asInstalled,
  releaseChartFromArchive,
  releaseChartFromJson,
} from '../../../../test/support/release-chart.js';
import { readChartFiles } from '../chart-archive.js';
import { archiveFingerprint, goFloat32Text, releaseChartFingerprint } from './chart-fingerprint.js';
import type { ReleaseChart } from './release-record.js';

const CORPUS = new URL('../../../../../shared/corpus/', import.meta.url);
const CHARTS = [
  'alertmanager',
  'prometheus',
  'prometheus-nats-exporter',
  'loki-stack',
  'lgtm-distributed',
  'common',
  'memcached',
];
const PACKAGES = [
  'argo-1.0.0.tgz',
  'argo-events-0.6.1.tgz',
  'argo-lite-0.1.0.tgz',
  'argocd-notifications-1.0.0.tgz',
];

const ofArchive = async (tgz: Buffer): Promise<string> => archiveFingerprint(await readChartFiles(tgz));

async function corpusArchives(): Promise<[string, Buffer][]> {
  const packaged = await Promise.all(
    CHARTS.map(async (name) => [
      name,
      (await packageChartDir(new URL(`charts/${name}`, CORPUS).pathname)).tgz,
    ]),
  );
  const real = PACKAGES.map((name) => [
    name,
    readFileSync(new URL(`packages/argo-helm-gh-pages/${name}`, CORPUS)),
  ]);
  return [...packaged, ...real] as [string, Buffer][];
}

/** A small archive: Chart.yaml text, values, one template, extra entries. */
function archive(chartYaml: string, extra: { path: string; content: string | Buffer }[] = []): Buffer {
  return createTgz([
    { path: 'demo/Chart.yaml', content: chartYaml },
    { path: 'demo/values.yaml', content: 'replicas: 1\n' },
    { path: 'demo/templates/deploy.yaml', content: 'kind: Deployment\n' },
    ...extra,
  ]);
}

const fileOf = (name: string, text: string) => ({ name, data: Buffer.from(text) });
const demoRelease = (metadata: Record<string, unknown>): ReleaseChart => ({
  metadata,
  templates: [fileOf('templates/deploy.yaml', 'kind: Deployment\n')],
  values: { replicas: 1 },
  schema: null,
  files: [],
});

describe('chart fingerprint', () => {
  it('is the same for a corpus archive and the chart a release installed from it stores', async () => {
    const seen = new Set<string>();
    for (const [name, tgz] of await corpusArchives()) {
      const fromArchive = await ofArchive(tgz);
      const release = await releaseChartFromArchive(tgz);
      assert.match(fromArchive, /^[0-9a-f]{64}$/);
      assert.equal(releaseChartFingerprint(release), fromArchive, name);
      // Installing rewrites dependencies and values; the fingerprint does not look at either.
      assert.equal(releaseChartFingerprint(asInstalled(release)), fromArchive, `${name} installed`);
      seen.add(fromArchive);
    }
    assert.equal(seen.size, CHARTS.length + PACKAGES.length, 'every chart has its own fingerprint');
  });

  it('changes with a template, the version, appVersion, a file or the schema', async () => {
    const tgz = await packageChartDir(new URL('charts/alertmanager', CORPUS).pathname);
    const base = await releaseChartFromArchive(tgz.tgz);
    const original = releaseChartFingerprint(base);
    const edit = (change: (c: ReleaseChart) => ReleaseChart): string => releaseChartFingerprint(change(base));
    const changed = [
      edit((c) => ({
        ...c,
        templates: c.templates.map((t, i) =>
          i === 0 ? { ...t, data: Buffer.concat([t.data, Buffer.from(' ')]) } : t,
        ),
      })),
      edit((c) => ({ ...c, templates: c.templates.slice(1) })),
      edit((c) => ({ ...c, metadata: { ...c.metadata, version: '1.42.1' } })),
      edit((c) => ({ ...c, metadata: { ...c.metadata, appVersion: 'v0.0.1' } })),
      edit((c) => ({ ...c, metadata: { ...c.metadata, kubeVersion: '>=1.30' } })),
      edit((c) => ({ ...c, metadata: { ...c.metadata, type: 'library' } })),
      edit((c) => ({ ...c, files: [...c.files, fileOf('extra.txt', 'x')] })),
      edit((c) => ({ ...c, schema: Buffer.from('{}') })),
      edit((c) => ({
        ...c,
        templates: c.templates.map((t, i) => (i === 0 ? { ...t, name: 'templates/x.yaml' } : t)),
      })),
    ];
    for (const [i, fingerprint] of changed.entries()) assert.notEqual(fingerprint, original, `change ${i}`);
    assert.equal(new Set(changed).size, changed.length);
  });

  it('ignores annotations, descriptive fields, dependencies and values (see the module comment)', async () => {
    const tgz = await packageChartDir(new URL('charts/lgtm-distributed', CORPUS).pathname);
    const base = await releaseChartFromArchive(tgz.tgz);
    const original = releaseChartFingerprint(base);
    assert.equal(
      releaseChartFingerprint({
        ...base,
        metadata: {
          ...base.metadata,
          annotations: { 'charthouse.io/reconstructed': 'true' },
          description: 'other',
          maintainers: [],
          deprecated: false,
          dependencies: [],
        },
        values: { entirely: 'different' },
      }),
      original,
    );
    // Whitespace Helm's Metadata.Validate() would have replaced, and a missing apiVersion (v1).
    const meta = { name: 'demo', version: '1.0.0', appVersion: '1.0\t' };
    assert.equal(
      releaseChartFingerprint(demoRelease(meta)),
      releaseChartFingerprint(demoRelease({ ...meta, apiVersion: 'v1', appVersion: '1.0 ' })),
    );
  });

  it('reads Chart.yaml scalars as Helm does: unquoted numbers and YAML 1.1 booleans become Go text', async () => {
    const cases: [string, string][] = [
      ['appVersion: 1.10', '1.1'],
      ['appVersion: "1.10"', '1.10'],
      ['appVersion: 2.0', '2'],
      ['appVersion: 10', '10'],
      ['appVersion: 0644', '420'],
      ['appVersion: 1e3', '1000'],
      ['appVersion: 1000000.0', '1e+06'],
      ['appVersion: yes', 'true'],
      ['appVersion: 2024-01-01', '2024-01-01'],
      ['appVersion: v1.16.0', 'v1.16.0'],
    ];
    for (const [line, helmText] of cases) {
      const fromArchive = await ofArchive(archive(`apiVersion: v2\nname: demo\nversion: 1.0.0\n${line}\n`));
      const release = demoRelease({ apiVersion: 'v2', name: 'demo', version: '1.0.0', appVersion: helmText });
      assert.equal(releaseChartFingerprint(release), fromArchive, line);
    }
    // A missing apiVersion is v1 on both sides; a BOM (Helm strips it from every file) changes nothing.
    const v1 = await ofArchive(
      createTgz([
        { path: 'demo/Chart.yaml', content: 'name: demo\nversion: 1.0.0\n' },
        { path: 'demo/templates/deploy.yaml', content: '\uFEFFkind: Deployment\n' },
      ]),
    );
    assert.equal(
      releaseChartFingerprint(demoRelease({ name: 'demo', version: '1.0.0', apiVersion: 'v1' })),
      v1,
    );
  });

  it('leaves out subcharts but keeps their provenance files, as Helm does', async () => {
    const base = archive('apiVersion: v2\nname: demo\nversion: 1.0.0\n');
    const withSubchart = archive('apiVersion: v2\nname: demo\nversion: 1.0.0\n', [
      { path: 'demo/charts/sub/Chart.yaml', content: 'name: sub\nversion: 1.0.0\n' },
      { path: 'demo/charts/sub/templates/x.yaml', content: 'x' },
      { path: 'demo/Chart.lock', content: 'dependencies: []\n' },
      { path: 'demo/requirements.yaml', content: 'dependencies: []\n' },
    ]);
    assert.equal(await ofArchive(withSubchart), await ofArchive(base));
    const withProv = archive('apiVersion: v2\nname: demo\nversion: 1.0.0\n', [
      { path: 'demo/charts/sub-1.0.0.tgz.prov', content: 'signed' },
    ]);
    assert.notEqual(await ofArchive(withProv), await ofArchive(base));
    assert.equal(releaseChartFingerprint(await releaseChartFromArchive(withProv)), await ofArchive(withProv));
  });

  it('fingerprints the real release of the corpus', () => {
    const json = JSON.parse(
      readFileSync(new URL('releases/deckhouse-helm3-release-secret.decoded.json', CORPUS), 'utf8'),
    ) as { chart: Parameters<typeof releaseChartFromJson>[0] };
    const chart = releaseChartFromJson(json.chart);
    assert.match(releaseChartFingerprint(chart), /^[0-9a-f]{64}$/);
    assert.equal(releaseChartFingerprint(chart), releaseChartFingerprint(releaseChartFromJson(json.chart)));
  });

  it('formats floats like Go strconv.FormatFloat(v, "g", -1, 32)', () => {
    const cases: [number, string][] = [
      [1.1, '1.1'],
      [1, '1'],
      [16.04, '16.04'],
      [3.14159265, '3.1415927'],
      [123456, '123456'],
      [1e6, '1e+06'],
      [1.5e7, '1.5e+07'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [-2.5, '-2.5'],
      [1e39, '+Inf'],
      [Number.NaN, 'NaN'],
    ];
    for (const [value, text] of cases) assert.equal(goFloat32Text(value), text, String(value));
  });
});
