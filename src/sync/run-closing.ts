import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import type { SyncLeaseRepository, SyncOutcomeRecord } from './sync-lease.repository.js';
import type { SyncRunOutcome, SyncRunRepository } from './sync-run.repository.js';

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
 * catalog, held suspect shrink): the run is finished and the registry's outcome recorded under our
 * lease, in one transaction.
 */
export class RunCloser {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly runs: SyncRunRepository,
    private readonly leases: SyncLeaseRepository,
    /** The lease owner (the server process) whose syncs these are. */
    readonly owner: string,
  ) {}

  /**
   * Close the run inside `trx` (the transaction that commits the catalog, so both change together), or
   * in a transaction of its own when none is given. False when the run was no longer `running` or the
   * lease no longer ours (a forced sync took over, or our run was declared dead): a caller that wrote
   * the catalog in `trx` must then roll back.
   */
  async close(closing: RunClosing, trx?: Transaction<Database>): Promise<boolean> {
    if (trx === undefined) return inTransaction(this.db, (own) => this.close(closing, own));
    const closed = await this.runs.finish(trx, closing.runId, closing.run, closing.finishedAt);
    const recorded = await this.leases.recordOutcome(closing.registryId, this.owner, closing.registry, trx);
    return closed && recorded;
  }
}
