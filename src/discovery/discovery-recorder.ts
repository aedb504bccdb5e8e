import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ClusterRow } from '../clusters/cluster.repository.js';
import { encodeReleaseChart } from '../protocol/helm/release/release-chart-json.js';
import type {
  DecodedRelease,
  DiscoveryWarning,
  ReleaseChart,
} from '../protocol/helm/release/release-record.js';
import { newId, nowIso } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { DiscoveredReleaseRepository, DiscoveredReleaseRow } from './discovered-release.repository.js';
import type { DiscoveryRunRepository, DiscoveryRunRow } from './discovery-run.repository.js';
import { MAX_RUN_WARNINGS } from './discovery.schema.js';

export interface DiscoveryRecorderDeps {
  runs: DiscoveryRunRepository;
  releases: DiscoveredReleaseRepository;
  secrets: SecretBox;
  /** The content fingerprint of a release's chart (protocol/helm/release/chart-fingerprint.ts). */
  fingerprint: (chart: ReleaseChart) => string;
}

/** Runs kept per cluster: the current one and some history, never a table that grows for ever. */
const RUNS_KEPT = 20;

/** The sealing context of a release's values: bound to its cluster and release, so a sealed blob cannot be moved. */
export function valuesContext(clusterId: string, namespace: string, name: string): string {
  return `discovery-values:${clusterId}:${namespace}/${name}`;
}

/**
 * Writes what a discovery finds, whoever found it (the server's scan of a kubeconfig cluster, or an
 * agent's posts): each release's row, the chart stored in it (once per digest), its values sealed or
 * omitted as the cluster says; then the run's end. A run's releases become the cluster's current ones
 * only when it succeeds, all at once; a failed run leaves the previous discovery current.
 */
export class DiscoveryRecorder {
  constructor(private readonly d: DiscoveryRecorderDeps) {}

  async store(cluster: ClusterRow, runId: string, releases: readonly DecodedRelease[]): Promise<void> {
    const now = nowIso();
    const rows: DiscoveredReleaseRow[] = [];
    const charts = new Map<string, Buffer>();
    for (const release of releases) {
      const { summary, chart } = release;
      let chartDigest: string | null = null;
      let fingerprint: string | null = null;
      if (chart !== null) {
        const json = encodeReleaseChart(chart);
        chartDigest = `sha256:${createHash('sha256').update(json).digest('hex')}`;
        fingerprint = this.d.fingerprint(chart);
        if (!charts.has(chartDigest)) charts.set(chartDigest, json);
      }
      const hasValues = Object.keys(release.config).length > 0;
      const keep = hasValues && cluster.release_values === 'sealed';
      rows.push({
        id: newId(),
        cluster_id: cluster.id,
        run_id: runId,
        name: summary.name,
        namespace: summary.namespace,
        revision: summary.revision,
        status: summary.status,
        chart_name: summary.chartName,
        chart_version: summary.chartVersion,
        app_version: summary.appVersion,
        first_deployed: summary.firstDeployed,
        last_deployed: summary.lastDeployed,
        driver: summary.driver,
        helm_major: summary.helmMajor,
        chart_digest: chartDigest,
        fingerprint,
        dependencies: chart === null ? 0 : dependencyCount(chart),
        values_enc: keep
          ? this.d.secrets.seal(
              JSON.stringify(release.config),
              valuesContext(cluster.id, summary.namespace, summary.name),
            )
          : null,
        values_state: !hasValues ? 'none' : keep ? 'sealed' : 'omitted',
        sync_outcome: null,
        sync_message: null,
        synced_at: null,
      });
    }
    // Many releases and revisions share a chart: compress and write only those not stored yet.
    const stored = await this.d.releases.storedCharts([...charts.keys()]);
    await this.d.releases.saveCharts(
      [...charts]
        .filter(([digest]) => !stored.has(digest))
        .map(([digest, json]) => ({ digest, body: gzipSync(json) })),
      now,
    );
    await this.d.releases.insert(rows);
  }

  /** The run succeeded: its releases become the cluster's, and its record says what was found. */
  async succeed(
    cluster: ClusterRow,
    run: DiscoveryRunRow,
    result: { objects: number; warnings: readonly DiscoveryWarning[]; matched: number },
  ): Promise<void> {
    const counts = await this.d.releases.counts(run.id);
    const finished = await this.d.runs.update(run.id, ['running'], {
      status: 'succeeded',
      finished_at: nowIso(),
      objects: result.objects,
      releases: counts.releases,
      helm2: counts.helm2,
      matched: result.matched,
      warnings: JSON.stringify(capWarnings(result.warnings)),
    });
    if (!finished) return;
    await this.d.releases.keepOnly(cluster.id, run.id);
    await this.d.runs.prune(cluster.id, RUNS_KEPT, run.id);
  }

  /** The run failed: its rows go, and the previous discovery stays current. */
  async fail(
    run: Pick<DiscoveryRunRow, 'id'>,
    error: { code: string; message: string },
    warnings: readonly DiscoveryWarning[] = [],
  ): Promise<void> {
    await this.d.runs.update(run.id, ['requested', 'running'], {
      status: 'failed',
      finished_at: nowIso(),
      error: error.message,
      error_code: error.code,
      warnings: JSON.stringify(capWarnings(warnings)),
    });
    await this.d.releases.dropRun(run.id);
  }
}

function dependencyCount(chart: ReleaseChart): number {
  const deps = chart.metadata['dependencies'];
  return Array.isArray(deps) ? deps.length : 0;
}

/** At most MAX_RUN_WARNINGS, the last one saying how many more there were. */
export function capWarnings(warnings: readonly DiscoveryWarning[]): DiscoveryWarning[] {
  if (warnings.length <= MAX_RUN_WARNINGS) return [...warnings];
  const kept = warnings.slice(0, MAX_RUN_WARNINGS - 1);
  kept.push({
    code: 'more_warnings',
    message: `${warnings.length - kept.length} more warnings were not kept.`,
  });
  return kept;
}
