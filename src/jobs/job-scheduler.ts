import type { Logger } from 'pino';
import type { JobKind } from './job-kind.js';

export interface JobSchedulerOptions {
  kinds: JobKind[];
  /** How often to look for due work; each wait is jittered by ±20%. */
  tickMs: number;
  logger: Logger;
}

/**
 * Runs every kind of background job: on each tick it asks each kind what is due, up to the room its
 * concurrency leaves, and starts those without waiting for them, so a long sync never delays the sweep
 * or another registry. Leases (job-leases.ts) decide which process runs a job; the scheduler only
 * keeps this process from starting more than its share.
 */
export class JobScheduler {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private stopped = false;
  /** Jobs running now, per kind, by lease key. */
  private readonly running = new Map<string, Map<string, Promise<void>>>();

  constructor(private readonly o: JobSchedulerOptions) {
    for (const kind of o.kinds) this.running.set(kind.name, new Map());
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** One look at every kind; overlapping ticks are skipped rather than queued. */
  tick(): Promise<void> {
    this.pass ??= this.lookOnce().finally(() => {
      this.pass = undefined;
      this.scheduleNext();
    });
    return this.pass;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // Jitter, so servers started together do not all look at the same moment.
    this.timer = setTimeout(() => void this.tick(), this.o.tickMs * (0.8 + Math.random() * 0.4));
    this.timer.unref();
  }

  private async lookOnce(): Promise<void> {
    const now = new Date();
    for (const kind of this.o.kinds) {
      if (this.stopped) return;
      const running = this.running.get(kind.name)!;
      try {
        await kind.beforePass?.(now);
        const room = kind.concurrency - running.size;
        if (room <= 0) continue;
        for (const job of await kind.due(now, room)) {
          if (running.has(job.key) || running.size >= kind.concurrency) continue;
          const done = job
            .run()
            .catch((err: unknown) => this.o.logger.error({ err, job: job.key }, 'job failed unexpectedly'))
            .finally(() => running.delete(job.key));
          running.set(job.key, done);
        }
      } catch (err) {
        // The database away, most often: the next tick tries again.
        this.o.logger.warn({ err, kind: kind.name }, 'could not look for due jobs');
      }
    }
  }

  /** How many jobs it started run now. */
  get runningCount(): number {
    let count = 0;
    for (const jobs of this.running.values()) count += jobs.size;
    return count;
  }

  /** Resolves when none of the jobs it started runs any more (stop it first, or more may start). */
  async idle(): Promise<void> {
    for (;;) {
      const all = [...this.running.values()].flatMap((m) => [...m.values()]);
      if (all.length === 0) return;
      await Promise.allSettled(all);
    }
  }

  /** Stop looking, and wait up to `graceMs` for the jobs running here to end. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
    const all = [...this.running.values()].flatMap((m) => [...m.values()]);
    if (all.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled(all), grace]);
    clearTimeout(timer);
  }
}
