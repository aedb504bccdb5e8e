import { gunzipSync } from 'node:zlib';
import type { PublishedChart } from '../hosted/chart-publisher.js';
import { decodeReleaseChart } from '../protocol/helm/release/release-chart-json.js';
import type { ReleaseChart } from '../protocol/helm/release/release-record.js';
import type { Principal } from '../shared/context.js';
import { AppError, ConflictError } from '../shared/errors.js';
import { nowIso } from '../shared/ids.js';
import type { DiscoveredReleaseRepository, DiscoveredReleaseRow } from './discovered-release.repository.js';
import type { RegistryMatch, SyncedChartView } from './discovery.schema.js';
import type { ReleaseMatcher } from './release-matching.js';

/** A chart stored in a release, rebuilt and packaged (release-chart.ts + chart-package.ts). */
export type ChartRebuilder = (chart: ReleaseChart) => Promise<{ archive: Buffer; warnings: string[] }>;

/** Publishes an archive into the tenant's hosted registry as the principal, through the one publisher. */
export type HostedPublish = (
  principal: Principal,
  tenantSlug: string,
  baseUrl: string,
  archive: Buffer,
) => Promise<{ published: PublishedChart; registry: string }>;

export interface ReleaseSyncDeps {
  releases: DiscoveredReleaseRepository;
  matcher: ReleaseMatcher;
  rebuild: ChartRebuilder;
  publish: HostedPublish;
}

/** A stored release chart is gzipped JSON of a chart Helm held in one Secret: 64 MiB unpacked is far beyond any. */
const MAX_CHART_JSON_BYTES = 64 * 1024 * 1024;

/** One chart to sync: the releases running the same chart content. */
interface SyncGroup {
  rows: DiscoveredReleaseRow[];
  matches: RegistryMatch[];
}

/**
 * "Sync discovered charts" (SPEC §2): every release chart with no content match in the catalog is
 * rebuilt from the chart stored in the release, packaged deterministically and published into the
 * tenant's hosted registry, marked reconstructed. Idempotent: a rebuilt chart fingerprints like its
 * release, so once published it is a content match and the next sync has nothing to do; a version
 * the hosted registry holds with other content is reported as a conflict, never overwritten (the
 * publisher's own rule). Charts are done one at a time: each publish is its own transaction, so a
 * failure leaves nothing half-written and the others go on.
 */
export class ReleaseSync {
  constructor(private readonly d: ReleaseSyncDeps) {}

  async sync(
    principal: Principal,
    tenant: { id: string; slug: string },
    rows: readonly DiscoveredReleaseRow[],
    baseUrl: string,
  ): Promise<SyncedChartView[]> {
    const matches = await this.d.matcher.matches(tenant.id, rows);
    const groups = new Map<string, SyncGroup>();
    for (const row of rows) {
      const key = `${row.chart_name}\u0000${row.chart_version}\u0000${row.fingerprint ?? row.id}`;
      const group = groups.get(key);
      if (group) group.rows.push(row);
      else groups.set(key, { rows: [row], matches: matches.get(row.id) ?? [] });
    }
    const out: SyncedChartView[] = [];
    for (const group of groups.values()) {
      const result = await this.syncOne(principal, tenant.slug, baseUrl, group);
      await this.d.releases.update(
        group.rows.map((r) => r.id),
        { sync_outcome: result.outcome, sync_message: result.message, synced_at: nowIso() },
      );
      out.push(result);
    }
    return out;
  }

  private async syncOne(
    principal: Principal,
    slug: string,
    baseUrl: string,
    group: SyncGroup,
  ): Promise<SyncedChartView> {
    const first = group.rows[0]!;
    const base = {
      chart: first.chart_name,
      version: first.chart_version,
      releases: group.rows.map((r) => ({ name: r.name, namespace: r.namespace })),
    };
    const result = (
      outcome: string,
      message: string | null,
      extra: { registry?: string | null; digest?: string | null; warnings?: string[] } = {},
    ): SyncedChartView => ({
      ...base,
      outcome,
      registry: extra.registry ?? null,
      digest: extra.digest ?? null,
      message,
      warnings: extra.warnings ?? [],
    });
    if (first.helm_major === 2 || first.chart_digest === null) {
      return result(
        'skipped',
        'A Helm 2 (Tiller) release is listed, not synced: migrate it to Helm 3 (helm 2to3) and discover again.',
      );
    }
    const content = group.matches.find((m) => m.how === 'content');
    if (content) {
      return result(
        content.reconstructed && content.kind === 'hosted' ? 'unchanged' : 'matched',
        content.reconstructed
          ? `Already in ${content.registry}, rebuilt from this release.`
          : `${content.registry} has this chart with the same content: nothing to rebuild.`,
        { registry: content.registry },
      );
    }
    try {
      const stored = await this.d.releases.chart(first.chart_digest);
      if (!stored) return result('failed', 'The chart stored in the release is gone: discover again.');
      const chart = decodeReleaseChart(gunzipSync(stored, { maxOutputLength: MAX_CHART_JSON_BYTES }));
      const { archive, warnings } = await this.d.rebuild(chart);
      const { published, registry } = await this.d.publish(principal, slug, baseUrl, archive);
      return result(
        published.outcome === 'created' ? 'created' : 'unchanged',
        published.outcome === 'created'
          ? `Rebuilt from the release and published into ${registry}, marked reconstructed.`
          : `Already in ${registry}, rebuilt from this release.`,
        { registry, digest: published.digest, warnings },
      );
    } catch (err) {
      if (err instanceof ConflictError) {
        return result(
          'conflict',
          `The hosted registry already holds ${first.chart_name} ${first.chart_version} with other content: it was not overwritten. Delete that version there, or keep using it, then sync again.`,
        );
      }
      if (err instanceof AppError) return result('failed', err.message);
      throw err;
    }
  }
}
