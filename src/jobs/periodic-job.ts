import type { Logger } from 'pino';
import type { JobScheduleRepository } from './job-schedule.repository.js';
import type { DueJob, JobKind } from './job-kind.js';
import type { JobLeases } from './job-leases.js';

export interface PeriodicJobOptions {
  /** The job's name and lease key: one such job across every process. */
  name: string;
  intervalMs: number;
  leases: JobLeases;
  schedule: JobScheduleRepository;
  /** The work; a rejection is logged and retried with backoff. */
  work: (now: Date) => Promise<void>;
  logger: Logger;
}

/** First retry of a failed run after this long, doubling up to the interval. */
const BACKOFF_BASE_MS = 60_000;

/**
 * A process-wide job that runs every `intervalMs` (±10%) on whichever process gets to it first: the
 * hosted sweep, report expiry. The shared schedule row says when it is next due, so N servers run it
 * once per interval, not N times; a failure is retried after 1, 2, 4, … minutes.
 */
export class PeriodicJob implements JobKind {
  readonly concurrency = 1;

  constructor(private readonly o: PeriodicJobOptions) {}

  get name(): string {
    return this.o.name;
  }

  private get key(): string {
    return `${this.o.name}:all`;
  }

  async due(now: Date): Promise<DueJob[]> {
    const row = await this.o.schedule.get(this.key);
    if (row && row.nextRunAt > now) return [];
    return [{ key: this.key, run: () => this.runOnce(new Date(), { ifDue: true }) }];
  }

  /**
   * Run now if no other process is (maintenance and tests call it directly, as if the time were `now`).
   * `ifDue`: the scheduler's call, which finds it already done when another process ran it between
   * the look and the lease.
   */
  async runOnce(now = new Date(), options: { ifDue?: boolean } = {}): Promise<void> {
    const lease = await this.o.leases.acquire(this.key, this.o.name);
    if (!lease) return;
    if (options.ifDue) {
      const row = await this.o.schedule.get(this.key).catch(() => undefined);
      if (row && row.nextRunAt > now) {
        await this.o.leases.abandon(lease, 'skipped');
        return;
      }
    }
    let failureCount = 0;
    let lastError: string | null = null;
    try {
      await this.o.work(now);
    } catch (err) {
      const previous = (await this.o.schedule.get(this.key).catch(() => undefined))?.failureCount ?? 0;
      failureCount = previous + 1;
      lastError = err instanceof Error ? err.message : String(err);
      this.o.logger.warn({ err, job: this.o.name }, 'periodic job failed; retrying with backoff');
    }
    const wait =
      failureCount === 0
        ? this.o.intervalMs * (0.9 + Math.random() * 0.2)
        : Math.min(BACKOFF_BASE_MS * 2 ** (failureCount - 1), this.o.intervalMs);
    const nextRunAt = new Date(Date.now() + wait);
    try {
      await this.o.schedule.finish(this.key, lease.owner, { nextRunAt, failureCount, lastError });
      this.o.leases.finished(lease, failureCount === 0 ? 'succeeded' : 'failed');
    } catch (err) {
      this.o.logger.warn({ err, job: this.o.name }, 'could not record a periodic job run');
      // Unrecorded, it runs again at once: as good as failed.
      await this.o.leases.abandon(lease, 'failed');
    }
  }
}

/** Forgets processes silent for a day (their job_workers rows) and the leases left naming them; hourly. */
export function workerPruneJob(o: {
  leases: JobLeases;
  schedule: JobScheduleRepository;
  logger: Logger;
}): PeriodicJob {
  return new PeriodicJob({
    name: 'job-workers-prune',
    intervalMs: 60 * 60 * 1000,
    leases: o.leases,
    schedule: o.schedule,
    work: async () => {
      await o.leases.prune();
    },
    logger: o.logger,
  });
}
