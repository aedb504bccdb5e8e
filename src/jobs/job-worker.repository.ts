import { sql, type Kysely } from 'kysely';
import { DatabaseUnavailableError } from '../shared/errors.js';
import type { Dialect } from '../storage/database.js';
import { dbNowIso } from '../storage/db-clock.js';
import type { Database } from '../storage/schema.js';

export interface WorkerIdentity {
  id: string;
  host: string;
  pid: number;
  startedAt: Date;
}

/** How long a heartbeat on SQLite waits for the write lock before it is skipped (see `beat`). */
const SQLITE_BEAT_LOCK_WAIT_MS = 20;

/**
 * Server processes and their heartbeats. A lease (job-lease.repository.ts) counts only while its
 * owner's heartbeat is fresh, so the heartbeat is what keeps a process's work its own. Heartbeats are
 * stamped with the database's clock (storage/db-clock.ts), never the process's: a process whose clock
 * runs minutes behind would otherwise look dead to the others while it works, and one running ahead
 * would keep its leases minutes after it died.
 */
export class JobWorkerRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Record that `worker` is alive now (the database's now); creates its row the first time (or after a prune). False:
   * skipped because SQLite's write lock was held. better-sqlite3 waits for that lock on the server's
   * thread, so a heartbeat behind a big sync's write would stall every request for as long; it waits
   * {@link SQLITE_BEAT_LOCK_WAIT_MS} at most instead, and the next beat tries again (a lease is lost
   * only after three missed beats, and the lock's holder on SQLite is this very process's sync).
   */
  async beat(worker: WorkerIdentity): Promise<boolean> {
    if (this.dialect !== 'sqlite') {
      await this.write(this.db, worker);
      return true;
    }
    return this.db.connection().execute(async (conn) => {
      // The connection is this callback's alone, so the shorter wait applies to this write only.
      const [current] = (await sql<{ timeout: number }>`pragma busy_timeout`.execute(conn)).rows;
      await sql.raw(`pragma busy_timeout = ${SQLITE_BEAT_LOCK_WAIT_MS}`).execute(conn);
      try {
        await this.write(conn, worker);
        return true;
      } catch (err) {
        if (err instanceof DatabaseUnavailableError) return false;
        throw err;
      } finally {
        await sql.raw(`pragma busy_timeout = ${Number(current?.timeout ?? 0)}`).execute(conn);
      }
    });
  }

  private async write(db: Kysely<Database>, worker: WorkerIdentity): Promise<void> {
    const at = dbNowIso(this.dialect);
    await db
      .insertInto('job_workers')
      .values({
        id: worker.id,
        host: worker.host,
        pid: worker.pid,
        started_at: worker.startedAt.toISOString(),
        heartbeat_at: at,
      })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: at }))
      .execute();
  }

  /** A process stopping cleanly says so: its leases are free at once, not after the stale window. */
  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('job_workers').where('id', '=', id).execute();
  }

  /** Forget every process (a restored database names servers that are not its own). */
  async removeAll(): Promise<void> {
    await this.db.deleteFrom('job_workers').execute();
  }

  /** Forget processes silent for `silentMs` (long dead); a lease naming a missing worker is free anyway. */
  async prune(silentMs: number): Promise<number> {
    const res = await this.db
      .deleteFrom('job_workers')
      .where('heartbeat_at', '<', dbNowIso(this.dialect, silentMs))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
