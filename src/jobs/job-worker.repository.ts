import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export interface WorkerIdentity {
  id: string;
  host: string;
  pid: number;
  startedAt: Date;
}

/**
 * Server processes and their heartbeats. A lease (job-lease.repository.ts) counts only while its
 * owner's heartbeat is fresh, so the heartbeat is what keeps a process's work its own.
 */
export class JobWorkerRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Record that `worker` is alive at `now`; creates its row the first time (or after a prune). */
  async beat(worker: WorkerIdentity, now: Date): Promise<void> {
    const at = now.toISOString();
    await this.db
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

  /** Forget processes silent since `before` (long dead); a lease naming a missing worker is free anyway. */
  async prune(before: Date): Promise<number> {
    const res = await this.db
      .deleteFrom('job_workers')
      .where('heartbeat_at', '<', before.toISOString())
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
