import type { Kysely } from 'kysely';
import type { Dialect } from '../storage/database.js';
import { dbNowIso } from '../storage/db-clock.js';
import type { Database } from '../storage/schema.js';

/** A lease as stored, and whether its owner's heartbeat is fresh. */
export interface LeaseRow {
  key: string;
  owner: string;
  acquiredAt: string;
  live: boolean;
}

export interface TakeOptions {
  /** Take it whoever holds it (an operator forcing a stuck job); the holder's commit then fails. */
  force?: boolean;
  /** A lease still naming `owner` was left behind by this very process (a release that failed). */
  reclaimOwn?: boolean;
}

/**
 * At most one holder per job key across every process sharing the database. A lease has no expiry of
 * its own: it is held while its owner's heartbeat (job_workers) is younger than `staleAfterMs`. Every
 * change is one conditional statement whose row count says who won, so neither database needs a lock
 * of its own; releasing is a delete that callers put in the transaction that records the job's result.
 *
 * Ages are judged inside that statement by the database's clock, as heartbeats are written
 * (job-worker.repository.ts): no process's own clock enters, so two hosts whose clocks disagree by
 * minutes still agree on who holds what.
 */
export class JobLeaseRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** Take `key` for `owner`: free (no row), held by a process silent for `staleAfterMs`, or forced. */
  async take(
    key: string,
    kind: string,
    owner: string,
    staleAfterMs: number,
    options: TakeOptions = {},
  ): Promise<boolean> {
    const acquiredAt = dbNowIso(this.dialect);
    const inserted = await this.db
      .insertInto('job_leases')
      .values({ key, kind, owner, acquired_at: acquiredAt })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    let q = this.db.updateTable('job_leases').set({ owner, acquired_at: acquiredAt }).where('key', '=', key);
    if (!options.force) {
      const fresh = dbNowIso(this.dialect, staleAfterMs);
      q = q.where((eb) =>
        eb.or([
          eb('owner', 'not in', eb.selectFrom('job_workers').select('id').where('heartbeat_at', '>=', fresh)),
          ...(options.reclaimOwn ? [eb('owner', '=', owner)] : []),
        ]),
      );
    }
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * Give `key` up if `owner` still holds it. Pass the transaction that records the job's result, so
   * the result and the free lease appear together; false means the lease was taken over (the caller
   * rolls back: the new holder's result wins).
   */
  async release(key: string, owner: string, executor: Kysely<Database> = this.db): Promise<boolean> {
    const res = await executor
      .deleteFrom('job_leases')
      .where('key', '=', key)
      .where('owner', '=', owner)
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  /** Every lease of `owner` (a process shutting down). */
  async releaseAll(owner: string): Promise<number> {
    const res = await this.db.deleteFrom('job_leases').where('owner', '=', owner).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /**
   * Delete the leases whose owner is no longer a known process (forgotten after a day of silence): the
   * work they named is gone or was taken over long ago (a deleted registry's sync, say).
   */
  async pruneOrphans(): Promise<number> {
    const res = await this.db
      .deleteFrom('job_leases')
      .where('owner', 'not in', (eb) => eb.selectFrom('job_workers').select('id'))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /**
   * How many leases each owner holds per kind, and whether the owner is alive: one grouped query over
   * every lease (there are as many as jobs running, a few dozen), read at each metrics scrape.
   */
  async countByOwner(
    staleAfterMs: number,
  ): Promise<{ kind: string; owner: string; live: boolean; leases: number }[]> {
    const rows = await this.db
      .selectFrom('job_leases as l')
      .leftJoin('job_workers as w', 'w.id', 'l.owner')
      .select((eb) => ['l.kind', 'l.owner', 'w.heartbeat_at', eb.fn.countAll<number | string>().as('n')])
      .select(dbNowIso(this.dialect, staleAfterMs).as('fresh_since'))
      .groupBy(['l.kind', 'l.owner', 'w.heartbeat_at'])
      .execute();
    return rows.map((r) => ({
      kind: r.kind,
      owner: r.owner,
      live: r.heartbeat_at !== null && r.heartbeat_at >= r.fresh_since,
      leases: Number(r.n),
    }));
  }

  /** The leases of one kind of job, each with whether its holder beat within `staleAfterMs`. */
  async list(kind: string, staleAfterMs: number): Promise<LeaseRow[]> {
    const rows = await this.db
      .selectFrom('job_leases as l')
      .leftJoin('job_workers as w', 'w.id', 'l.owner')
      .select(['l.key', 'l.owner', 'l.acquired_at', 'w.heartbeat_at'])
      .select(dbNowIso(this.dialect, staleAfterMs).as('fresh_since'))
      .where('l.kind', '=', kind)
      .execute();
    return rows.map((r) => ({
      key: r.key,
      owner: r.owner,
      acquiredAt: r.acquired_at,
      // Compared here, in the code's byte order, as `take` compares in SQL: both are the same fixed-width ISO text.
      live: r.heartbeat_at !== null && r.heartbeat_at >= r.fresh_since,
    }));
  }
}
