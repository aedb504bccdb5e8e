import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { ChartVersionsTable, Database, DiscoveredReleasesTable } from '../storage/schema.js';

export type DiscoveredReleaseRow = Selectable<DiscoveredReleasesTable>;
type ChartVersionRow = Selectable<ChartVersionsTable>;

/** A catalog version with the same chart name and version as a release, in a registry the tenant sees. */
export interface CatalogCandidate {
  version_id: string;
  registry_id: string;
  registry_name: string;
  registry_scope: string;
  registry_kind: string;
  chart_name: string;
  version: string;
  digest: string | null;
  annotations: string;
  /** The archive's content fingerprint when its files were read (chart_files); null otherwise. */
  fingerprint: string | null;
}

/**
 * Releases found by discovery runs, and the charts stored inside them. A run's releases are written
 * as the run goes; when it succeeds, the cluster's older runs' releases are deleted, so a cluster's
 * current releases are exactly those of its newest succeeded run. Release charts are shared by digest
 * and deleted once no release names them.
 */
export class DiscoveredReleaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** A batch of one run's releases; a release already written by this run is replaced (an agent re-posting). */
  async insert(rows: readonly DiscoveredReleaseRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('discovered_releases')
        .where('run_id', '=', rows[0]!.run_id)
        .where((eb) =>
          eb.or(rows.map((r) => eb.and([eb('namespace', '=', r.namespace), eb('name', '=', r.name)]))),
        )
        .execute();
      await trx
        .insertInto('discovered_releases')
        .values([...rows])
        .execute();
    });
  }

  /** Which of these release charts are stored already (one query for a whole batch). */
  async storedCharts(digests: readonly string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('release_charts')
      .select('digest')
      .where('digest', 'in', [...digests])
      .execute();
    return new Set(rows.map((r) => r.digest));
  }

  /** Stores release charts (gzipped JSON by digest); one stored meanwhile by another run is left as it is. */
  async saveCharts(charts: readonly { digest: string; body: Buffer }[], now: string): Promise<void> {
    if (charts.length === 0) return;
    await this.db
      .insertInto('release_charts')
      .values(charts.map((c) => ({ digest: c.digest, body: c.body, created_at: now })))
      .onConflict((oc) => oc.column('digest').doNothing())
      .execute();
  }

  async chart(digest: string): Promise<Buffer | undefined> {
    const row = await this.db
      .selectFrom('release_charts')
      .select('body')
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row?.body;
  }

  /** A page of a run's releases by (namespace, name). */
  async list(
    runId: string,
    limit: number,
    filter: { after?: { namespace: string; name: string }; namespace?: string; q?: string } = {},
  ): Promise<DiscoveredReleaseRow[]> {
    let q = this.db.selectFrom('discovered_releases').selectAll().where('run_id', '=', runId);
    if (filter.namespace !== undefined) q = q.where('namespace', '=', filter.namespace);
    if (filter.q !== undefined && filter.q !== '') {
      const like = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) =>
        eb.or([
          eb(sql`lower(name)`, 'like', sql`${like} escape '\\'`),
          eb(sql`lower(chart_name)`, 'like', sql`${like} escape '\\'`),
        ]),
      );
    }
    const after = filter.after;
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('namespace', '>', after.namespace),
          eb.and([eb('namespace', '=', after.namespace), eb('name', '>', after.name)]),
        ]),
      );
    }
    return q.orderBy('namespace').orderBy('name').limit(limit).execute();
  }

  /** Every release of a run (sync and profile-from-cluster work on all of them; at most a few thousand). */
  async all(runId: string): Promise<DiscoveredReleaseRow[]> {
    return this.db
      .selectFrom('discovered_releases')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('namespace')
      .orderBy('name')
      .execute();
  }

  async update(ids: readonly string[], change: Updateable<DiscoveredReleasesTable>): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('discovered_releases')
      .set(change)
      .where('id', 'in', [...ids])
      .execute();
  }

  /** Catalog rows by id (to fetch an archive whose fingerprint is not known yet). */
  async versionRows(ids: readonly string[]): Promise<ChartVersionRow[]> {
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('chart_versions')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
  }

  async counts(runId: string): Promise<{ releases: number; helm2: number }> {
    const row = await this.db
      .selectFrom('discovered_releases')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('releases'),
        eb.fn.sum<string | number | null>(sql`case when helm_major = 2 then 1 else 0 end`).as('helm2'),
      ])
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return { releases: Number(row?.releases ?? 0), helm2: Number(row?.helm2 ?? 0) };
  }

  /** The run's releases become the cluster's: every other run's rows go, then charts nobody names. */
  async keepOnly(clusterId: string, runId: string): Promise<void> {
    await this.db
      .deleteFrom('discovered_releases')
      .where('cluster_id', '=', clusterId)
      .where('run_id', '!=', runId)
      .execute();
    await this.pruneCharts();
  }

  /** Deletes a failed run's rows (the previous run stays current). */
  async dropRun(runId: string): Promise<void> {
    await this.db.deleteFrom('discovered_releases').where('run_id', '=', runId).execute();
  }

  async pruneCharts(): Promise<void> {
    await this.db
      .deleteFrom('release_charts')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('discovered_releases')
              .select('discovered_releases.id')
              .whereRef('discovered_releases.chart_digest', '=', 'release_charts.digest'),
          ),
        ),
      )
      .execute();
  }

  /**
   * Catalog versions named like the given (chart, version) pairs, in the registries given (those the
   * tenant sees), with the fingerprint of their archive where known.
   */
  async candidates(
    registryIds: readonly string[],
    pairs: readonly { chart: string; version: string }[],
  ): Promise<CatalogCandidate[]> {
    if (registryIds.length === 0 || pairs.length === 0) return [];
    const out: CatalogCandidate[] = [];
    // Chunked: a few thousand releases must not become one statement with thousands of parameters.
    for (let i = 0; i < pairs.length; i += 200) {
      const chunk = pairs.slice(i, i + 200);
      const names = [...new Set(chunk.map((p) => p.chart))];
      const rows = await this.db
        .selectFrom('chart_versions as v')
        .innerJoin('helm_registries as r', 'r.id', 'v.registry_id')
        .select([
          'v.id as version_id',
          'v.registry_id',
          'r.name as registry_name',
          'r.scope as registry_scope',
          'r.kind as registry_kind',
          'v.chart_name',
          'v.version',
          'v.digest',
          'v.annotations',
        ])
        .where('v.registry_id', 'in', [...registryIds])
        .where('v.chart_name', 'in', names)
        .execute();
      const wanted = new Set(chunk.map((p) => `${p.chart}\u0000${p.version}`));
      const found = rows.filter((row) => wanted.has(`${row.chart_name}\u0000${row.version}`));
      const digests = [...new Set(found.map((r) => hexDigest(r.digest)).filter((d) => d !== null))];
      const prints = new Map<string, string | null>();
      if (digests.length > 0) {
        const files = await this.db
          .selectFrom('chart_files')
          .select(['digest', 'fingerprint'])
          .where('digest', 'in', digests)
          .execute();
        for (const f of files) prints.set(f.digest, f.fingerprint);
      }
      for (const row of found) {
        const hex = hexDigest(row.digest);
        out.push({ ...row, fingerprint: hex === null ? null : (prints.get(hex) ?? null) });
      }
    }
    return out;
  }
}

/** chart_files is keyed by the archive's sha256 in hex; catalog rows may carry a `sha256:` prefix. */
function hexDigest(digest: string | null): string | null {
  if (digest === null) return null;
  const hex = digest
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}
