import type {
  DiscoveredReleaseView,
  DiscoveryRunView,
  ProfileFromClusterReply,
  SyncedChartView,
} from '../client/api-client.js';
import { formatDate, formatTable } from './output.js';

/* How the discovery commands print runs, releases, synced charts and profiles from clusters (--json prints the API's). */

/** Control characters and line breaks from cluster-supplied text would break a table or a line. */
const oneLine = (s: string | null | undefined): string => (s ?? '').replace(/[\s\p{Cc}]+/gu, ' ').trim();

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A run that will not change any more. */
export const runFinished = (run: DiscoveryRunView): boolean =>
  run.status === 'succeeded' || run.status === 'failed';

/** `ns/object: message`, as a warning line of a run. */
export function runWarningText(w: DiscoveryRunView['warnings'][number]): string {
  const where = [w.namespace, w.object].filter(Boolean).join('/');
  return `${where ? `${where}: ` : ''}${oneLine(w.message)} (${w.code})`;
}

function seconds(run: DiscoveryRunView): string {
  if (run.finishedAt === null) return '';
  const from = Date.parse(run.startedAt ?? run.requestedAt);
  const took = (Date.parse(run.finishedAt) - from) / 1000;
  return Number.isFinite(took) ? ` in ${took.toFixed(1)} s` : '';
}

/** What a finished (or still open) run found, in one or two lines. */
export function formatRunOutcome(cluster: string, run: DiscoveryRunView): string {
  const scope = run.namespaces === null ? '' : ` (namespaces ${run.namespaces.join(', ')})`;
  if (run.status === 'failed') {
    const why = run.error ? `${oneLine(run.error.message)} (${run.error.code})` : 'no reason given';
    return `Discovery of ${cluster}${scope} failed${seconds(run)}: ${why}\n`;
  }
  if (!runFinished(run)) return `Discovery of ${cluster}${scope} is ${run.status} (run ${run.id}).\n`;
  const helm2 = run.helm2 > 0 ? ` (${run.helm2} Helm 2, not synced)` : '';
  const warnings = run.warnings.length > 0 ? `, ${plural(run.warnings.length, 'warning')}` : '';
  return (
    `Discovered ${cluster}${scope}${seconds(run)}: ${plural(run.releases, 'release')}${helm2}, ` +
    `${run.matched} matched a catalog version; ${plural(run.objects, 'release object')} read${warnings}.\n` +
    (run.releases > 0 ? `See them with "charthouse cluster releases ${cluster}".\n` : '')
  );
}

/** The run history of a cluster, newest first. */
export function formatRunTable(runs: DiscoveryRunView[]): string {
  if (runs.length === 0) return 'No discoveries yet.\n';
  return formatTable(
    ['REQUESTED', 'TRIGGER', 'STATUS', 'NAMESPACES', 'RELEASES', 'HELM2', 'MATCHED', 'WARNINGS', 'ERROR'],
    runs.map((r) => [
      formatDate(r.requestedAt),
      r.trigger,
      r.status,
      r.namespaces === null ? 'all' : r.namespaces.join(','),
      String(r.releases),
      String(r.helm2),
      String(r.matched),
      String(r.warnings.length),
      r.error ? oneLine(r.error.message) : '-',
    ]),
  );
}

/** `bitnami(content), stable(name-version)`: the registries the release's chart matched, best first. */
export function matchedCell(r: DiscoveredReleaseView): string {
  if (r.matchedRegistries.length === 0) return '-';
  return r.matchedRegistries
    .map((m) => `${m.registry}(${m.how}${m.reconstructed ? ', reconstructed' : ''})`)
    .join(', ');
}

/** What a reader should know about a release beyond its columns: Helm 2, rebuilt chart, subcharts. */
export function releaseNotes(r: DiscoveredReleaseView): string {
  const notes: string[] = [];
  if (r.helm === 2) notes.push('Helm 2 (not synced)');
  if (r.reconstructed) notes.push('reconstructed');
  if (r.dependencies > 0) notes.push(`${plural(r.dependencies, 'subchart')} not in the release`);
  if (r.driver === 'configmap') notes.push('configmap driver');
  return notes.join('; ') || '-';
}

export function formatReleaseTable(
  cluster: string,
  releases: DiscoveredReleaseView[],
  run: DiscoveryRunView | null,
): string {
  if (run === null)
    return `No discovery of ${cluster} has finished yet: run "charthouse cluster discover ${cluster} --wait".\n`;
  // The run's own `matched` was counted when it ran; MATCHED above follows the catalog since.
  const from = `From the discovery of ${formatDate(run.finishedAt ?? run.requestedAt)} (${plural(run.releases, 'release')} found).\n`;
  if (releases.length === 0) return `No releases. ${from}`;
  return (
    formatTable(
      ['RELEASE', 'NAMESPACE', 'CHART', 'VERSION', 'STATUS', 'MATCHED', 'NOTES'],
      releases.map((r) => [
        r.name,
        r.namespace,
        r.chart,
        r.version,
        r.status,
        matchedCell(r),
        releaseNotes(r),
      ]),
    ) + `\n${from}`
  );
}

/**
 * Exit code of "Sync discovered charts": 1 when a chart failed; 3 when none failed but the hosted
 * registry holds another chart under a discovered chart's name and version (a conflict: nothing was
 * overwritten, and a profile made from the cluster would install that other chart); 0 otherwise.
 */
export function syncExitCode(items: SyncedChartView[]): number {
  if (items.some((i) => i.outcome === 'failed')) return 1;
  if (items.some((i) => i.outcome === 'conflict')) return 3;
  return 0;
}

/** `chart version: warning` lines, for stderr. */
export function syncedWarnings(items: SyncedChartView[]): string[] {
  return items.flatMap((i) => i.warnings.map((w) => `${i.chart} ${i.version}: ${oneLine(w)}`));
}

const OUTCOMES = ['created', 'unchanged', 'matched', 'conflict', 'skipped', 'failed'];

export function formatSyncedCharts(cluster: string, items: SyncedChartView[]): string {
  if (items.length === 0) return `No discovered charts to sync in ${cluster}.\n`;
  const table = formatTable(
    ['CHART', 'VERSION', 'OUTCOME', 'REGISTRY', 'RELEASES', 'MESSAGE'],
    items.map((i) => [
      i.chart,
      i.version,
      i.outcome,
      i.registry ?? '-',
      i.releases.map((r) => `${r.namespace}/${r.name}`).join(', ') || '-',
      oneLine(i.message) || '-',
    ]),
  );
  const counts = [...OUTCOMES, ...new Set(items.map((i) => i.outcome).filter((o) => !OUTCOMES.includes(o)))]
    .map((o) => [o, items.filter((i) => i.outcome === o).length] as const)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${n} ${o}`);
  return `${table}\n${plural(items.length, 'chart')}: ${counts.join(', ')}.\n`;
}

export function formatFromCluster(cluster: string, reply: ProfileFromClusterReply): string {
  const v = reply.profile;
  let out =
    `Created cluster profile ${v.profile} with draft version ${v.version}: ` +
    `${plural(v.layers.length, 'layer')} from the releases of cluster ${cluster}.\n`;
  if (reply.skipped.length > 0) {
    out +=
      `\nSkipped ${plural(reply.skipped.length, 'release')}:\n` +
      formatTable(
        ['RELEASE', 'NAMESPACE', 'REASON'],
        reply.skipped.map((s) => [s.release, s.namespace, oneLine(s.reason)]),
      );
  }
  return out;
}
