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
   * Fails runs left open longer than `before` allows: a server stopped mid-discovery, an agent that
   * never answered. Returns how many.
   */
  async failStale(
    before: string,
    status: DiscoveryRunRow['status'],
    error: string,
    now: string,
  ): Promise<number> {
    const column = status === 'requested' ? 'requested_at' : 'started_at';
    const result = await this.db
      .updateTable('discovery_runs')
      .set({ status: 'failed', finished_at: now, error, error_code: 'interrupted' })
      .where('status', '=', status)
      .where(column, '<', before)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
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
