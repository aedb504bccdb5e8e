import { parentPort } from 'node:worker_threads';
import { ChartVersionRepository, type NewChartVersion } from '../catalog/chart-version.repository.js';
import { normalizeIndex, type SyncWarning } from '../protocol/helm/chart-version.js';
import { parseHelmIndex } from '../protocol/helm/index-document.js';
import { AppError, UpstreamError } from '../shared/errors.js';
import { openStorage } from '../storage/database.js';
import { commitCatalog, type SyncOutcome } from './catalog-commit.js';
import { toCatalogRow } from './catalog-row.js';
import type { IndexSyncReply, IndexSyncRequest, WorkerCommit } from './index-sync.js';
import { SyncLeaseRepository } from './sync-lease.repository.js';
import { SyncRunRepository } from './sync-run.repository.js';

// Runs in a worker thread (index-sync.ts): parse, normalize and, for a sync, commit one classic index.

async function commitHere(
  commit: WorkerCommit,
  rows: Parameters<typeof commitCatalog>[1]['rows'],
  warnings: Parameters<typeof commitCatalog>[1]['warnings'],
): Promise<SyncOutcome> {
  // The worker's own connection: better-sqlite3 is synchronous, so the server's connection would stall
  // the API for the length of the write; PostgreSQL gets one short-lived client.
  const storage = openStorage({ ...commit.storage, maxConnections: 1 });
  try {
    return await commitCatalog(
      {
        storage,
        versions: new ChartVersionRepository(storage.db, storage.dialect),
        runs: new SyncRunRepository(storage.db),
        leases: new SyncLeaseRepository(storage.db),
        owner: commit.owner,
      },
      { ...commit.request, rows, warnings },
    );
  } finally {
    await storage.close();
  }
}

/** Parse and normalize; nothing of the parsed document outlives this call (the commit needs the heap). */
function parseAndNormalize(
  request: IndexSyncRequest,
  stages: Record<string, number>,
): { rows: NewChartVersion[]; warnings: SyncWarning[] } {
  let mark = performance.now();
  const doc = parseHelmIndex(Buffer.from(request.body));
  stages['parseMs'] = Math.round(performance.now() - mark);
  mark = performance.now();
  // normalizeIndex carries the parse warnings at the head of its list (under one cap).
  const { versions, warnings } = normalizeIndex(doc, new URL(request.repositoryUrl));
  const rows = versions.map(toCatalogRow);
  stages['normalizeMs'] = Math.round(performance.now() - mark);
  return { rows, warnings };
}

async function handle(request: IndexSyncRequest): Promise<IndexSyncReply> {
  const stages: Record<string, number> = {};
  const { rows, warnings } = parseAndNormalize(request, stages);
  if (request.commit === null) return { ok: true, outcome: null, rows, warnings };
  const started = performance.now();
  const outcome = await commitHere(request.commit, rows, warnings);
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
