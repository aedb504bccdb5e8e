import type { DiscoveryWarning } from '../protocol/helm/release/release-record.js';
import type { DiscoveredReleaseRow } from './discovered-release.repository.js';
import type { DiscoveryRunRow } from './discovery-run.repository.js';
import type { DiscoveredReleaseView, DiscoveryRunView, RegistryMatch } from './discovery.schema.js';

export function toRunView(row: DiscoveryRunRow): DiscoveryRunView {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    namespaces: row.namespaces === null ? null : (JSON.parse(row.namespaces) as string[]),
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    objects: row.objects,
    releases: row.releases,
    helm2: row.helm2,
    matched: row.matched,
    warnings: JSON.parse(row.warnings) as DiscoveryWarning[],
    error: row.error === null ? null : { code: row.error_code ?? 'failed', message: row.error },
  };
}

export function toReleaseView(row: DiscoveredReleaseRow, matches: RegistryMatch[]): DiscoveredReleaseView {
  return {
    name: row.name,
    namespace: row.namespace,
    revision: row.revision,
    status: row.status,
    chart: row.chart_name,
    version: row.chart_version,
    appVersion: row.app_version,
    firstDeployed: row.first_deployed,
    lastDeployed: row.last_deployed,
    driver: row.driver,
    helm: row.helm_major,
    dependencies: row.dependencies,
    values: row.values_state,
    matchedRegistries: matches,
    reconstructed: matches.some((m) => m.reconstructed && m.how === 'content'),
    sync:
      row.sync_outcome === null
        ? null
        : { outcome: row.sync_outcome, message: row.sync_message, at: row.synced_at ?? '' },
  };
}
