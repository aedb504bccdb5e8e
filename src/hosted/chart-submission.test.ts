import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { packageChartDir } from '../../test/support/chart-archive.js';
import {
  asInstalled,
  releaseChartFromArchive,
  releaseChartFromJson,
} from '../../test/support/release-chart.js';
import { archiveFingerprint, releaseChartFingerprint } from '../protocol/helm/release/chart-fingerprint.js';
import { packChart } from '../protocol/helm/chart-package.js';
import { RECONSTRUCTED_ANNOTATION, rebuildChart } from '../protocol/helm/release/release-chart.js';
import type { ReleaseChart } from '../protocol/helm/release/release-record.js';
import { catalogRow, readChart } from './chart-submission.js';

const CORPUS = new URL('../../../shared/corpus/', import.meta.url);

describe('readChart of a chart rebuilt from a Helm release', () => {
  it('accepts it, and its catalog row carries the reconstructed annotation', async () => {
    const json = JSON.parse(
      readFileSync(new URL('releases/deckhouse-helm3-release-secret.decoded.json', CORPUS), 'utf8'),
    ) as { chart: Parameters<typeof releaseChartFromJson>[0] };
    const charts: ReleaseChart[] = [releaseChartFromJson(json.chart)];
    for (const name of ['alertmanager', 'lgtm-distributed', 'loki-stack']) {
      const tgz = (await packageChartDir(new URL(`charts/${name}`, CORPUS).pathname)).tgz;
      charts.push(asInstalled(await releaseChartFromArchive(tgz)));
    }
    for (const chart of charts) {
      const { archive } = await packChart(rebuildChart(chart).files);
      const read = await readChart(archive);
      assert.equal(read.meta.name, chart.metadata['name']);
      assert.equal(read.meta.annotations?.[RECONSTRUCTED_ANNOTATION], 'true');
      assert.equal(archiveFingerprint(read.files), releaseChartFingerprint(chart));
      const row = catalogRow('https://charthouse.test', 'acme', {
        meta: read.meta,
        chartYaml: read.chartYaml,
        files: read.files,
        chart: { digest: 'sha256:' + '0'.repeat(64), size: archive.length },
        provenance: null,
        config: null,
        manifest: null,
        force: false,
        via: 'archive',
      });
      assert.equal(JSON.parse(row.annotations)[RECONSTRUCTED_ANNOTATION], 'true');
    }
  });
});
