import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { packageChartDir } from '../../../../test/support/chart-archive.js';
import {
  archiveEntries,
  asInstalled,
  releaseChartFromArchive,
  releaseChartFromJson,
} from '../../../../test/support/release-chart.js';
import { InvalidRequestError } from '../../../shared/errors.js';
import { readChartFiles } from '../chart-archive.js';
import { parseChartYaml } from '../chart-metadata.js';
import { packChart } from '../chart-package.js';
import { loadValuesYaml } from '../safe-yaml.js';
import { archiveFingerprint, releaseChartFingerprint } from './chart-fingerprint.js';
import { RECONSTRUCTED_ANNOTATION, rebuildChart } from './release-chart.js';
import type { ReleaseChart } from './release-record.js';

const CORPUS = new URL('../../../../../shared/corpus/', import.meta.url);
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function realRelease(): ReleaseChart {
  const json = JSON.parse(
    readFileSync(new URL('releases/deckhouse-helm3-release-secret.decoded.json', CORPUS), 'utf8'),
  ) as { chart: Parameters<typeof releaseChartFromJson>[0] };
  return releaseChartFromJson(json.chart);
}

async function corpusRelease(name: string): Promise<ReleaseChart> {
  return releaseChartFromArchive((await packageChartDir(new URL(`charts/${name}`, CORPUS).pathname)).tgz);
}

/** rebuildChart then packChart, as "Sync discovered charts" does. */
async function rebuild(chart: ReleaseChart): Promise<{ archive: Buffer; warnings: string[] }> {
  const rebuilt = rebuildChart(chart);
  return { archive: (await packChart(rebuilt.files)).archive, warnings: rebuilt.warnings };
}

function refused(chart: ReleaseChart, pattern: RegExp): void {
  assert.throws(
    () => rebuildChart(chart),
    (err: unknown) => {
      assert.ok(err instanceof InvalidRequestError, String(err));
      assert.equal(err.code, 'release_chart_not_rebuildable');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('rebuildChart', () => {
  it('rebuilds the real release: marked reconstructed, fingerprint equal to the release, same bytes twice', async () => {
    const chart = realRelease();
    const first = await rebuild(chart);
    const second = await rebuild(realRelease());
    assert.equal(sha256(first.archive), sha256(second.archive), 'packing the same release chart twice');
    assert.deepEqual(first.warnings, []);

    const files = await readChartFiles(first.archive);
    assert.equal(archiveFingerprint(files), releaseChartFingerprint(chart));
    const meta = parseChartYaml(files.chartYaml);
    assert.equal(meta.name, 'boor');
    assert.equal(meta.version, '0.1.0');
    assert.equal(meta.appVersion, '1.16.0');
    assert.deepEqual(meta.annotations, { [RECONSTRUCTED_ANNOTATION]: 'true' });
    assert.match(files.valuesYaml ?? '', /^# Rebuilt by Charthouse/);
    assert.deepEqual(loadValuesYaml(files.valuesYaml ?? '', 64), chart.values);

    const entries = await archiveEntries(first.archive);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['Chart.yaml', '.helmignore', 'templates/ingress.yaml', 'values.yaml'],
    );
    assert.deepEqual(
      entries.find((e) => e.name === 'templates/ingress.yaml')?.data,
      chart.templates[0]?.data,
    );
  });

  it('rebuilds corpus charts as installed, keeping templates, files, schema and values', async () => {
    for (const name of ['alertmanager', 'prometheus-nats-exporter', 'loki-stack', 'memcached']) {
      const chart = asInstalled(await corpusRelease(name));
      const { archive } = await rebuild(chart);
      const again = await releaseChartFromArchive(archive);
      assert.equal(releaseChartFingerprint(again), releaseChartFingerprint(chart), name);
      assert.equal(archiveFingerprint(await readChartFiles(archive)), releaseChartFingerprint(chart), name);
      assert.deepEqual(again.values, JSON.parse(JSON.stringify(chart.values)), name);
      assert.deepEqual(again.schema, chart.schema, name);
      // The rebuilt chart, installed and rebuilt again, is the same archive: the sync is idempotent.
      assert.equal(sha256((await rebuild(asInstalled(again))).archive), sha256(archive), name);
    }
  });

  it('warns that subcharts are missing when the chart declares dependencies', async () => {
    const chart = asInstalled(await corpusRelease('lgtm-distributed'));
    const { warnings } = await rebuild(chart);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /subcharts grafana, loki, mimir, tempo, grafana-oncall/);
    assert.match(warnings[0]!, /Helm does not store in a release/);
  });

  it('keeps annotations and adds the reconstructed one; the fingerprint ignores it', async () => {
    const chart = realRelease();
    chart.metadata = { ...chart.metadata, annotations: { category: 'Web' } };
    const files = await readChartFiles((await rebuild(chart)).archive);
    assert.deepEqual(parseChartYaml(files.chartYaml).annotations, {
      category: 'Web',
      [RECONSTRUCTED_ANNOTATION]: 'true',
    });
    assert.equal(archiveFingerprint(files), releaseChartFingerprint(realRelease()));
  });

  it('writes strings YAML readers could take for other types quoted, and numbers as numbers', async () => {
    const chart = realRelease();
    chart.metadata = { ...chart.metadata, appVersion: '1.10' };
    chart.values = {
      yes: 'yes',
      mode: '0644',
      big: '1_000',
      nothing: '~',
      date: '2024-01-01',
      on: true,
      port: 8080,
      ratio: 0.5,
      absent: null,
      multi: 'a\nb\n',
      nested: { list: ['off', 1, { y: 'n' }] },
    };
    const files = await readChartFiles((await rebuild(chart)).archive);
    assert.deepEqual(loadValuesYaml(files.valuesYaml ?? '', 64), chart.values);
    assert.match(files.valuesYaml ?? '', /^big: "1_000"$/m);
    assert.equal(parseChartYaml(files.chartYaml).appVersion, '1.10');
    assert.match(files.chartYaml, /^appVersion: "1.10"$/m);
  });

  it('refuses what would not load back as the same chart', () => {
    const chart = realRelease();
    const template = (name: string) => ({ name, data: Buffer.from('x') });
    refused({ ...chart, templates: [template('ingress.yaml')] }, /not in templates\//);
    refused({ ...chart, templates: [template('templates/../../etc/x')] }, /not a plain relative path/);
    refused({ ...chart, templates: [template('/templates/x')] }, /not a plain relative path/);
    refused({ ...chart, templates: [template('templates\\x')] }, /backslash/);
    refused({ ...chart, files: [template('values.yaml')] }, /would not be a plain file/);
    refused({ ...chart, files: [template('templates/x.yaml')] }, /would not be a plain file/);
    refused({ ...chart, files: [template('charts/sub/Chart.yaml')] }, /would not be a plain file/);
    refused({ ...chart, files: [template('requirements.yaml')] }, /would not be a plain file/);
    refused({ ...chart, files: [template('a'), template('a')] }, /stored twice/);
    refused({ ...chart, metadata: { ...chart.metadata, version: '1.1' } }, /not SemVer 2/);
    refused({ ...chart, metadata: { ...chart.metadata, name: '../x' } }, /Chart.yaml's name/);
    refused({ ...chart, metadata: { ...chart.metadata, annotations: ['x'] } }, /annotations/);
    // A v1 chart keeps requirements.yaml among its files (Helm does so).
    assert.doesNotThrow(() =>
      rebuildChart({
        ...chart,
        metadata: { ...chart.metadata, apiVersion: 'v1' },
        files: [template('requirements.yaml'), template('charts/sub-1.0.0.tgz.prov')],
      }),
    );
  });
});
