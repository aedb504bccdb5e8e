import type { CatalogWriter, RowSource } from '../catalog/catalog-writer.js';
import type { NewChartVersion } from '../catalog/chart-version.repository.js';
import type { SyncWarning } from '../protocol/helm/chart-version.js';
import { LeaseLostError, type RunCloser } from './run-closing.js';
import type { SyncRunRepository } from './sync-run.repository.js';
import type { SyncOutcomeRecord } from './sync-state.repository.js';

/** What a commit needs: the catalog's write path, the run history, and how to close our run. */
export interface CommitStore {
  catalog: CatalogWriter;
  runs: SyncRunRepository;
  /** Closes the run under our lease; a commit whose lease was taken over rolls back. */
  closer: RunCloser;
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

/**
 * Commit a sync's rows through the catalog's write path (catalog/catalog-writer.ts), closing the run
 * and updating the registry in the same transaction, so readers see the old catalog or the new one,
 * never half; or hold a suspect shrink. Shared by every kind of registry: the OCI path calls it with
 * all its rows, a classic index streams them ({@link commitCatalogStream}).
 */
export async function commitCatalog(store: CommitStore, request: CommitRequest): Promise<SyncOutcome> {
  const { rows, warnings, ...target } = request;
  async function* once(): AsyncGenerator<NewChartVersion[]> {
    yield rows;
  }
  return commitCatalogStream(store, target, { batches: once(), warnings: () => warnings });
}

/**
 * {@link commitCatalog} for rows that arrive in batches (CatalogWriter.commitStream). A suspect shrink
 * is applied only when the previous run of the registry was held as suspect too: seen twice in a row,
 * the upstream really dropped those versions.
 */
export async function commitCatalogStream(
  store: CommitStore,
  request: Omit<CommitRequest, 'rows' | 'warnings'>,
  source: RowSource,
  /** What the source knows only once it has ended (a classic index's chart digests), recorded with it. */
  learned: () => Pick<SyncOutcomeRecord, 'indexCharts'> = () => ({}),
): Promise<SyncOutcome> {
  const { catalog, runs, closer } = store;
  const { registryId, runId, what, validators, nextSyncAt } = request;
  const now = new Date();
  const lastRuns = await runs.listForRegistry(registryId, 2);
  const previousRun = lastRuns.find((r) => r.id !== runId);
  const result = await catalog.commitStream(
    {
      registryId,
      shrinkConfirmed: previousRun?.status === 'suspect',
      close: (trx, written) => {
        // The run's end after the writes, so its duration in the history includes them.
        const finishedAt = new Date();
        return closer.close(
          {
            registryId,
            runId,
            finishedAt,
            run: {
              status: 'succeeded',
              added: written.added,
              updated: written.updated,
              removed: written.removed,
              unchanged: written.unchanged,
              warnings: written.warnings,
              error: null,
              errorCode: null,
            },
            registry: {
              syncStatus: 'synced',
              lastSyncedAt: finishedAt,
              lastError: null,
              chartCount: written.charts,
              versionCount: written.versions,
              ...validators,
              ...learned(),
              failureCount: 0,
              nextSyncAt,
            },
          },
          trx,
        );
      },
    },
    source,
  );
  if (result.status === 'abandoned') throw new LeaseLostError();
  if (result.status === 'suspect') {
    const message =
      `The ${what} lists ${result.incoming} versions where the catalog has ${result.stored}: it looks truncated, ` +
      'so the catalog was kept. The next sync applies it if the upstream still says the same.';
    const closed = await closer.close({
      registryId,
      runId,
      finishedAt: now,
      run: {
        status: 'suspect',
        added: 0,
        updated: 0,
        removed: 0,
        unchanged: 0,
        warnings: result.warnings,
        error: message,
        errorCode: 'index_suspect',
      },
      registry: { syncStatus: 'failed', lastError: message, failureCount: 0, nextSyncAt },
    });
    if (!closed) throw new LeaseLostError();
    return { status: 'suspect', added: 0, updated: 0, removed: 0 };
  }
  return { status: 'succeeded', added: result.added, updated: result.updated, removed: result.removed };
}
