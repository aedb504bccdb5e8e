import { AppError } from '../shared/errors.js';
import { inTransaction, type Db, type Tx } from '../storage/transaction.js';
import type { JobLeaseRepository } from '../jobs/job-lease.repository.js';
import type { SyncLeaseRef } from './sync-lease-key.js';
import type { SyncRunOutcome, SyncRunRepository } from './sync-run.repository.js';
import type { SyncOutcomeRecord, SyncStateRepository } from './sync-state.repository.js';

/** How a sync ends: its run's outcome in the history, and what it leaves on its registry. */
export interface RunClosing {
  registryId: string;
  runId: string;
  run: SyncRunOutcome;
  /** The run's end in the history. */
  finishedAt: Date;
  registry: SyncOutcomeRecord;
}

/**
 * Closing a sync run, written once for every way a sync ends (unchanged upstream, failure, committed
 * catalog, held suspect shrink): the run is finished, the registry's outcome recorded and the sync's
 * lease released, in one transaction. So the moment a finished run is visible the registry can be
 * synced again ("Sync now" right after is never refused), and a lease is never free while the run
 * it guarded still looks `running`.
 */
export class RunCloser {
  constructor(
    private readonly db: Db,
    private readonly runs: SyncRunRepository,
    private readonly state: SyncStateRepository,
    private readonly leases: JobLeaseRepository,
    /** The lease this sync runs under. */
    readonly lease: SyncLeaseRef,
  ) {}

  /**
   * Close the run inside `trx` (the transaction that commits the catalog, so both change together), or
   * in a transaction of its own when none is given. False when the lease was no longer ours or the run
   * no longer `running` (a forced sync took over, or our process was taken for dead): nothing may then
   * be kept, so the caller rolls back (LeaseLostError), and a transaction of our own is rolled back here.
   */
  async close(closing: RunClosing, trx?: Tx): Promise<boolean> {
    if (trx === undefined) {
      return inTransaction(this.db, async (own) => {
        if (await this.close(closing, own)) return true;
        throw new LeaseLostError();
      }).catch((err: unknown) => {
        if (err instanceof LeaseLostError) return false;
        throw err;
      });
    }
    const released = await this.leases.release(this.lease.key, this.lease.owner, trx);
    if (!released) return false;
    const closed = await this.runs.finish(trx, closing.runId, closing.run, closing.finishedAt);
    if (!closed) return false;
    await this.state.recordOutcome(closing.registryId, closing.registry, trx);
    return true;
  }
}

/** Our run was declared dead, or a forced sync took the lease: theirs wins, ours rolls back. */
export class LeaseLostError extends AppError {
  readonly status = 409;
  constructor() {
    super(LEASE_LOST, 'Another sync of this registry took over; this one was discarded.');
  }
}

/** LeaseLostError's code, which is all that crosses back from an index worker thread. */
export const LEASE_LOST = 'sync_superseded';
