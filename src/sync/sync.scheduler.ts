import type { Logger } from 'pino';
import type { SyncEngine } from './sync.engine.js';
import type { SyncLeaseRepository } from './sync-lease.repository.js';
import type { SyncRunRepository } from './sync-run.repository.js';

export interface SchedulerOptions {
  engine: SyncEngine;
  leases: SyncLeaseRepository;
  runs: SyncRunRepository;
  logger: Logger;
  /** How often to look for due registries. */
  tickMs?: number;
}

const DEFAULT_TICK_MS = 15_000;
/** Syncs one process runs at a time: indexes are big, and parse and write compete for two cores. */
const BATCH = 2;

/**
 * Runs due syncs: each registry's interval (jittered by the engine) and its failure backoff decide
 * `next_sync_at`; the lease makes sure only one process syncs a registry, however many look.
 */
export class SyncScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly tickMs: number;

  constructor(private readonly o: SchedulerOptions) {
    this.tickMs = o.tickMs ?? DEFAULT_TICK_MS;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; overlapping ticks are skipped rather than queued. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    try {
      const now = new Date();
      // Runs still marked running from a process that died: their leases have expired.
      await this.o.runs.failStale(now, now);
      // Classic and OCI registries sync; asking for them alone keeps hosted ones from filling the batch.
      const due = await this.o.leases.dueForSync(now, BATCH * 2, ['helm', 'oci']);
      for (let i = 0; i < due.length; i += BATCH) {
        const started = await Promise.all(
          due.slice(i, i + BATCH).map((row) => this.o.engine.begin(row, 'schedule')),
        );
        await Promise.all(started.map((s) => s?.done));
      }
    } catch (err) {
      this.o.logger.error({ err }, 'sync scheduler pass failed');
    }
  }
}
