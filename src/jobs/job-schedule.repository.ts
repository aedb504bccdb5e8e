import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export interface ScheduleRow {
  nextRunAt: Date;
  failureCount: number;
}

/** When each process-wide periodic job runs next; shared by every process so it runs once per interval. */
export class JobScheduleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<ScheduleRow | undefined> {
    const row = await this.db
      .selectFrom('job_schedule')
      .select(['next_run_at', 'failure_count'])
      .where('key', '=', key)
      .executeTakeFirst();
    return row && { nextRunAt: new Date(row.next_run_at), failureCount: row.failure_count };
  }

  /**
   * Record a run's end: the next run, and the job's lease given back by `owner`, in one transaction,
   * so no process sees the lease free with the old due time (and runs the job twice).
   */
  async finish(
    key: string,
    owner: string,
    next: { nextRunAt: Date; failureCount: number; lastError: string | null },
  ): Promise<void> {
    const values = {
      next_run_at: next.nextRunAt.toISOString(),
      failure_count: next.failureCount,
      last_error: next.lastError,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('job_schedule')
        .values({ key, ...values })
        .onConflict((oc) => oc.column('key').doUpdateSet(values))
        .execute();
      await trx.deleteFrom('job_leases').where('key', '=', key).where('owner', '=', owner).execute();
    });
  }
}
