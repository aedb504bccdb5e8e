import { sql, type Kysely } from 'kysely';
import { RELEASE_KEY_SUFFIX } from '../protocol/helm/semver-sort.js';
import type { Database } from '../storage/schema.js';
import type { ChartVersionRow } from './chart-version.repository.js';

/** A chart's latest version, as much of it as a search result shows, with its number of versions. */
export interface LatestChartRow {
  chart_name: string;
  version: string;
  sort_key: string;
  app_version: string | null;
  description: string | null;
  icon: string | null;
  deprecated: number;
  keywords: string;
  version_count: number;
}

/**
 * Reads of the chart catalog for the catalog API. Callers pass registry ids they have already resolved
 * within the caller's scope: this class never decides visibility.
 */
export class CatalogRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * One row per chart of a registry: its latest version, ordered by chart name. Without `devel` that is
   * the newest stable version (`helm search repo`), or the newest pre-release for a chart that has
   * only pre-releases; with `devel` the newest of all (`helm search repo --devel`). See
   * `protocol/helm/latest-version.ts` for the rules and why.
   *
   * `latest` narrows to one sort key per chart with a grouped scan of the covering index
   * (registry_id, chart_name, sort_key); only those rows are then read in full. A release's sort key
   * ends in `~` and no pre-release key does (semver-sort.ts), so "newest stable" is a conditional
   * `max` over the same scan: no extra column, no second pass.
   */
  async latest(registryId: string, options: { devel: boolean }): Promise<LatestChartRow[]> {
    const newest = options.devel
      ? sql`max(sort_key)`
      : sql`coalesce(max(case when sort_key like ${`%${RELEASE_KEY_SUFFIX}`} then sort_key end), max(sort_key))`;
    const result = await sql<LatestChartRow>`
      with latest as (
        select chart_name, ${newest} as sort_key, count(*) as version_count
        from chart_versions
        where registry_id = ${registryId}
        group by chart_name
      )
      select cv.chart_name, cv.version, cv.sort_key, cv.app_version, cv.description, cv.icon, cv.deprecated,
        cv.keywords, l.version_count
      from latest l
      join chart_versions cv
        on cv.registry_id = ${registryId} and cv.chart_name = l.chart_name and cv.sort_key = l.sort_key
      -- Build metadata gives two versions one precedence (1.0.0+a, 1.0.0+b): the higher version wins,
      -- as in listVersions, so a chart is never listed twice.
      where not exists (
        select 1 from chart_versions t
        where t.registry_id = cv.registry_id and t.chart_name = cv.chart_name
          and t.sort_key = cv.sort_key and t.version > cv.version
      )
      order by cv.chart_name
    `.execute(this.db);
    // PostgreSQL returns count() as a bigint string.
    return result.rows.map((r) => ({ ...r, version_count: Number(r.version_count) }));
  }

  /** Every version of a chart, newest (highest SemVer) first; empty when the chart is unknown. */
  async chart(registryId: string, name: string): Promise<ChartVersionRow[]> {
    return this.db
      .selectFrom('chart_versions')
      .selectAll()
      .where('registry_id', '=', registryId)
      .where('chart_name', '=', name)
      .orderBy('sort_key', 'desc')
      .orderBy('version', 'desc')
      .execute();
  }

  async version(registryId: string, name: string, version: string): Promise<ChartVersionRow | undefined> {
    return this.db
      .selectFrom('chart_versions')
      .selectAll()
      .where('registry_id', '=', registryId)
      .where('chart_name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
  }
}
