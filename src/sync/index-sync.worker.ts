import { parentPort } from 'node:worker_threads';
import { ChartVersionRepository, type NewChartVersion } from '../catalog/chart-version.repository.js';
import { normalizeIndex, type SyncWarning } from '../protocol/helm/chart-version.js';
import { parseHelmIndex } from '../protocol/helm/index-document.js';
import { AppError, UpstreamError } from '../shared/errors.js';
import { openStorage, type Storage, type StorageOptions } from '../storage/database.js';
import { commitCatalog, type SyncOutcome } from './catalog-commit.js';
import { toCatalogRow } from './catalog-row.js';
import type { IndexSyncReply, IndexSyncRequest, WorkerCommit } from './index-sync.js';
import { SyncLeaseRepository } from './sync-lease.repository.js';
import { SyncRunRepository } from './sync-run.repository.js';

// Runs in a worker thread of the pool in index-sync.ts: parse, normalize and, for a sync, commit one
// classic index per message.

/**
 * The worker's own connections, kept between jobs like the worker itself. better-sqlite3 is
 * synchronous, so writing on the server's connection would stall the API for the length of the write;
 * PostgreSQL gets a pool of one, whose idle client closes by itself.
 */
const connections = new Map<string, Storage>();

function storageFor(options: StorageOptions): Storage {
  const key = JSON.stringify([options.databaseUrl, options.dataDir]);
  let storage = connections.get(key);
  if (!storage) {
    storage = openStorage({ ...options, maxConnections: 1 });
    connections.set(key, storage);
  }
  return storage;
}

async function commitHere(
  commit: WorkerCommit,
  rows: NewChartVersion[],
  warnings: SyncWarning[],
): Promise<SyncOutcome> {
  const storage = storageFor(commit.storage);
  return commitCatalog(
    {
      storage,
      versions: new ChartVersionRepository(storage.db, storage.dialect),
      runs: new SyncRunRepository(storage.db),
      leases: new SyncLeaseRepository(storage.db),
      owner: commit.owner,
    },
    { ...commit.request, rows, warnings },
  );
}

/**
 * Parse and normalize. Memory is the limit on a big index (a 25 MB index is a few hundred MB as
 * objects), so each stage lets go of its input as it goes: the body once decoded, the parsed tree chart
 * by chart, the records as they become rows.
 */
function parseAndNormalize(
  body: ArrayBuffer,
  repositoryUrl: string,
  stages: Record<string, number>,
): { rows: NewChartVersion[]; warnings: SyncWarning[] } {
  let mark = performance.now();
  const doc = parseHelmIndex(Buffer.from(body));
  stages['parseMs'] = Math.round(performance.now() - mark);
  mark = performance.now();
  // normalizeIndex carries the parse warnings at the head of its list (under one cap).
  const { versions, warnings } = normalizeIndex(doc, new URL(repositoryUrl), { consume: true });
  const rows: NewChartVersion[] = [];
  for (let record = versions.pop(); record !== undefined; record = versions.pop()) {
    rows.push(toCatalogRow(record));
  }
  rows.reverse();
  stages['normalizeMs'] = Math.round(performance.now() - mark);
  return { rows, warnings };
}

async function handle(request: IndexSyncRequest): Promise<IndexSyncReply> {
  const stages: Record<string, number> = {};
  const { commit, repositoryUrl } = request;
  const { rows, warnings } = parseAndNormalize(request.body, repositoryUrl, stages);
  // The body is not needed any more: let it go before the commit's allocations.
  request.body = new ArrayBuffer(0);
  if (commit === null) return { ok: true, outcome: null, rows, warnings };
  const started = performance.now();
  const outcome = await commitHere(commit, rows, warnings);
  stages['commitMs'] = Math.round(performance.now() - started);
  return { ok: true, outcome: { ...outcome, stages }, rows: null, warnings: null };
}

function failure(err: unknown): IndexSyncReply {
  if (err instanceof AppError) {
    return {
      ok: false,
      code: err.code,
      message: err.message,
      failure: err instanceof UpstreamError ? err.failure : null,
      internal: null,
    };
  }
  const internal = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return {
    ok: false,
    code: 'internal_error',
    message: 'The sync failed unexpectedly.',
    failure: null,
    internal,
  };
}

parentPort?.on('message', (request: IndexSyncRequest) => {
  handle(request).then(
    (reply) => parentPort?.postMessage(reply),
    (err: unknown) => parentPort?.postMessage(failure(err)),
  );
});
