import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, DiscoveryRunsTable } from '../storage/schema.js';

export type DiscoveryRunRow = Selectable<DiscoveryRunsTable>;

/**
 * Discovery runs of clusters, like sync runs: one row per discovery, newest first. A cluster's current
 * releases are its newest `succeeded` run's (discovered-release.repository.ts); a run that fails leaves
 * the previous one current.
 */
export class DiscoveryRunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: DiscoveryRunRow): Promise<void> {
    await this.db.insertInto('discovery_runs').values(row).execute();
  }

  async find(clusterId: string, id: string): Promise<DiscoveryRunRow | undefined> {
    return this.db
      .selectFrom('discovery_runs')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Only while the run is in one of `from` (a finished run is never written again). */
  async update(
    id: string,
    from: readonly DiscoveryRunRow['status'][],
    change: Updateable<DiscoveryRunsTable>,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('discovery_runs')
      .set(change)
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Newest first; `after` is the (requested_at, id) of the last row shown. */
  async list(
    clusterId: string,
    limit: number,
    after?: { requestedAt: string; id: string },
  ): Promise<DiscoveryRunRow[]> {
    let q = this.db.selectFrom('discovery_runs').selectAll().where('cluster_id', '=', clusterId);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('requested_at', '<', after.requestedAt),
          eb.and([eb('requested_at', '=', after.requestedAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    return q.orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /** The run whose releases are the cluster's current ones: its newest succeeded run. */
  async current(clusterId: string): Promise<DiscoveryRunRow | undefined> {
    return this.db
      .selectFrom('discovery_runs')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .where('status', '=', 'succeeded')
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** A run of this cluster still open (requested or running), if any. */
  async open(clusterId: string): Promise<DiscoveryRunRow | undefined> {
    return this.db
      .selectFrom('discovery_runs')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .where('status', 'in', ['requested', 'running'])
      .orderBy('requested_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /**
   * Kubeconfig clusters with no discovery requested since `since` (never discovered first), oldest
   * first, leaving out `busy` ones: what the scheduled discovery does next.
   */
  async clustersDue(since: string, limit: number, busy: ReadonlySet<string>): Promise<string[]> {
    const rows = await this.db
      .selectFrom('clusters as c')
      .select('c.id')
      .where('c.mode', '=', 'kubeconfig')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('discovery_runs as r')
              .select('r.id')
              .whereRef('r.cluster_id', '=', 'c.id')
              .where('r.requested_at', '>=', since),
          ),
        ),
      )
      .orderBy('c.created_at')
      .limit(limit + busy.size)
      .execute();
    return rows
      .map((r) => r.id)
      .filter((id) => !busy.has(id))
      .slice(0, limit);
  }

  /**
   * Server-side runs (kubeconfig clusters) still `running` though nobody holds their cluster's lease
   * and they started before `startedBefore`: a server stopped mid-way. Returns the runs failed.
   */
  async failAbandoned(
    busyClusters: ReadonlySet<string>,
    startedBefore: string,
    now: string,
  ): Promise<string[]> {
    const open = await this.db
      .selectFrom('discovery_runs as r')
      .innerJoin('clusters as c', 'c.id', 'r.cluster_id')
      .select(['r.id', 'r.cluster_id'])
      .where('r.status', '=', 'running')
      .where('c.mode', '=', 'kubeconfig')
      .where('r.started_at', '<', startedBefore)
      .execute();
    const ids = open.filter((r) => !busyClusters.has(r.cluster_id)).map((r) => r.id);
    if (ids.length === 0) return [];
    await this.db
      .updateTable('discovery_runs')
      .set({
        status: 'failed',
        finished_at: now,
        error: 'The server running this discovery stopped before it finished.',
        error_code: 'interrupted',
      })
      .where('id', 'in', ids)
      .where('status', '=', 'running')
      .execute();
    return ids;
  }

  /** Keeps the newest `keep` runs of a cluster (their releases go with them, by cascade). */
  async prune(clusterId: string, keep: number, currentRunId: string | null): Promise<void> {
    const old = await this.db
      .selectFrom('discovery_runs')
      .select('id')
      .where('cluster_id', '=', clusterId)
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'desc')
      .offset(keep)
      .limit(1000)
      .execute();
    const ids = old.map((r) => r.id).filter((id) => id !== currentRunId);
    if (ids.length > 0) await this.db.deleteFrom('discovery_runs').where('id', 'in', ids).execute();
  }
}
