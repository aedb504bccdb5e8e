import type { ChartVersionRepository, NewChartVersion } from '../catalog/chart-version.repository.js';
import type { SyncWarning } from '../protocol/helm/chart-version.js';
import { AppError } from '../shared/errors.js';
import type { Storage } from '../storage/database.js';
import { CatalogDiffer, isSuspectShrink } from '../catalog/catalog-diff.js';
import type { SyncLeaseRepository, SyncOutcomeRecord } from './sync-lease.repository.js';
import type { SyncRunRepository } from './sync-run.repository.js';

/** What a commit needs: the database and the repositories over it, and whose lease it writes under. */
export interface CommitStore {
  storage: Storage;
  versions: ChartVersionRepository;
  runs: SyncRunRepository;
  leases: SyncLeaseRepository;
  /** The lease owner (the server process); a commit whose lease was taken over rolls back. */
  owner: string;
}

export interface CommitRequest {
  registryId: string;
  runId: string;
  rows: NewChartVersion[];
  warnings: SyncWarning[];
  /** Words for the suspect-shrink message: an "index" (classic) or a "registry" (OCI). */
  what: 'index' | 'registry';
  validators: Pick<SyncOutcomeRecord, 'etag' | 'lastModified' | 'contentDigest' | 'ociSkippedTags'>;
  /** When the registry is next due: the engine's jittered interval. */
  nextSyncAt: Date;
}

export interface SyncOutcome {
  status: string;
  added: number;
  updated: number;
  removed: number;
  /** OCI: manifests fetched, i.e. tags whose digest was new. */
  manifestsFetched?: number;
  /** Milliseconds per stage, logged so a slow sync shows where its time went. */
  stages?: Record<string, number>;
}

/** Our run was declared dead, or a forced sync took the lease: theirs wins, ours rolls back. */
export class LeaseLostError extends AppError {
  readonly status = 409;
  constructor() {
    super('sync_superseded', 'Another sync of this registry took over; this one was discarded.');
  }
}

/** Rows arriving batch by batch (a classic index is normalized while it is written), then warnings. */
export interface RowSource {
  batches: AsyncIterable<NewChartVersion[]>;
  /** The parse's and normalization's warnings; read once every batch has arrived. */
  warnings(): SyncWarning[];
}

/** Thrown inside the transaction to roll back the writes of a sync found to be a suspect shrink. */
class SuspectShrink extends Error {
  constructor(readonly incoming: number) {
    super('suspect shrink');
  }
}

/**
 * Diff `rows` against the stored catalog and write it, the run and the registry in one transaction, so
 * readers see the old catalog or the new one, never half; or hold a suspect shrink. Shared by every kind
 * of registry: the OCI path calls it with all its rows, a classic index streams them
 * ({@link commitCatalogStream}).
 */
export async function commitCatalog(store: CommitStore, request: CommitRequest): Promise<SyncOutcome> {
  const { rows, warnings, ...target } = request;
  async function* once(): AsyncGenerator<NewChartVersion[]> {
    yield rows;
  }
  return commitCatalogStream(store, target, { batches: once(), warnings: () => warnings });
}

/**
 * {@link commitCatalog} for rows that arrive in batches: each batch is diffed and written as it comes,
 * inside the one transaction, and what is gone upstream is removed after the last. A shrink is judged at
 * the end, when the count is known; its writes are then rolled back. On SQLite the transaction holds
 * the write lock while batches arrive (other writers wait, readers do not).
 */
export async function commitCatalogStream(
  store: CommitStore,
  request: Omit<CommitRequest, 'rows' | 'warnings'>,
  source: RowSource,
): Promise<SyncOutcome> {
  const { storage, versions, runs, leases, owner } = store;
  const { registryId, runId, what, validators, nextSyncAt } = request;
  const now = new Date();
  const stored = await versions.fingerprints(registryId);
  const lastRuns = await runs.listForRegistry(registryId, 2);
  const previousRun = lastRuns.find((r) => r.id !== runId);
  const differ = new CatalogDiffer(stored);
  const outcome: SyncOutcome = { status: 'succeeded', added: 0, updated: 0, removed: 0 };
  let warnings: SyncWarning[] = [];
  try {
    await storage.db.transaction().execute(async (trx) => {
      for await (const rows of source.batches) {
        const diff = differ.add(rows);
        if (diff.insert.length > 0 || diff.update.length > 0) {
          await versions.applyDiff(trx, registryId, diff, now);
        }
        outcome.added += diff.insert.length;
        outcome.updated += diff.update.length;
      }
      warnings = [...source.warnings(), ...differ.warnings];
      // A shrink seen twice in a row is confirmed: the upstream really dropped those versions.
      if (isSuspectShrink(stored.size, differ.rowCount) && previousRun?.status !== 'suspect') {
        throw new SuspectShrink(differ.rowCount);
      }
      const { remove, unchanged } = differ.finish();
      if (remove.length > 0) {
        await versions.applyDiff(trx, registryId, { insert: [], update: [], remove }, now);
      }
      outcome.removed = remove.length;
      const counts = await versions.countByRegistry(registryId, trx);
      // The run's end after the writes, so its duration in the history includes them.
      const finishedAt = new Date();
      const closed = await runs.finish(
        trx,
        runId,
        {
          status: 'succeeded',
          added: outcome.added,
          updated: outcome.updated,
          removed: outcome.removed,
          unchanged,
          warnings,
          error: null,
          errorCode: null,
        },
        finishedAt,
      );
      const recorded = await leases.recordOutcome(
        registryId,
        owner,
        {
          syncStatus: 'synced',
          lastSyncedAt: finishedAt,
          lastError: null,
          chartCount: counts.charts,
          versionCount: counts.versions,
          ...validators,
          failureCount: 0,
          nextSyncAt,
        },
        trx,
      );
      if (!closed || !recorded) throw new LeaseLostError();
    });
  } catch (error) {
    if (!(error instanceof SuspectShrink)) throw error;
    const message =
      `The ${what} lists ${error.incoming} versions where the catalog has ${stored.size}: it looks truncated, ` +
      'so the catalog was kept. The next sync applies it if the upstream still says the same.';
    await storage.db.transaction().execute(async (trx) => {
      await runs.finish(
        trx,
        runId,
        {
          status: 'suspect',
          added: 0,
          updated: 0,
          removed: 0,
          unchanged: 0,
          warnings,
          error: message,
          errorCode: 'index_suspect',
        },
        now,
      );
      await leases.recordOutcome(
        registryId,
        owner,
        { syncStatus: 'failed', lastError: message, failureCount: 0, nextSyncAt },
        trx,
      );
    });
    return { status: 'suspect', added: 0, updated: 0, removed: 0 };
  }
  return outcome;
}
