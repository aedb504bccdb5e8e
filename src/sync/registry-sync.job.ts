import type { DueJob, JobKind } from '../jobs/job-kind.js';
import type { JobLeases } from '../jobs/job-leases.js';
import { REGISTRY_SYNC, registryOfLease as registryOf, syncLeaseKey } from './sync-lease-key.js';
import type { SyncEngine } from './sync.engine.js';
import type { SyncRunRepository } from './sync-run.repository.js';
import type { SyncableRegistryRow, SyncStateRepository } from './sync-state.repository.js';

export interface RegistrySyncJobsOptions {
  engine: SyncEngine;
  state: SyncStateRepository;
  runs: SyncRunRepository;
  leases: JobLeases;
}

/**
 * Scheduled registry syncs as a job kind: a registry is due when its (jittered, backed-off) next sync
 * time has come, or at once when the process syncing it stopped (its lease abandoned), so an
 * interrupted sync runs again within a minute of the crash, here or on another server.
 */
export class RegistrySyncJobs implements JobKind {
  readonly name = REGISTRY_SYNC;
  /** Syncs one process runs at a time: indexes are big, and parse and write compete for two cores. */
  readonly concurrency = 2;

  constructor(private readonly o: RegistrySyncJobsOptions) {}

  /** Close the runs a stopped process left `running`: those of registries nobody is syncing now. */
  async beforePass(): Promise<void> {
    await this.o.runs.failStale(async () => {
      const { busy } = await this.o.leases.survey(REGISTRY_SYNC);
      return [...busy].map(registryOf);
    });
  }

  async due(now: Date, limit: number): Promise<DueJob[]> {
    const { busy, abandoned } = await this.o.leases.survey(REGISTRY_SYNC);
    const interrupted = await this.o.state.syncable(abandoned.map(registryOf));
    const scheduled = await this.o.state.dueForSync(now, limit, new Set([...busy].map(registryOf)));
    // An interrupted sync runs again whatever its due time; a scheduled one only if still due once its
    // lease is held (another sync may have run in between: exactly one per due time).
    const rows = new Map<string, { row: SyncableRegistryRow; ifDueAt?: Date }>();
    for (const row of interrupted) if (rows.size < limit) rows.set(row.id, { row });
    for (const row of scheduled)
      if (rows.size < limit && !rows.has(row.id)) rows.set(row.id, { row, ifDueAt: now });
    return [...rows.values()].map(({ row, ifDueAt }) => ({
      key: syncLeaseKey(row.id),
      run: async () => {
        const started = await this.o.engine.begin(row, 'schedule', { ifDueAt });
        await started?.done;
      },
    }));
  }
}
