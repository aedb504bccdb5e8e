import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { NewChartVersion } from '../catalog/chart-version.repository.js';
import type { SyncWarning } from '../protocol/helm/chart-version.js';
import { AppError, UpstreamError, type UpstreamFailure } from '../shared/errors.js';
import type { StorageOptions } from '../storage/database.js';
import type { CommitRequest, SyncOutcome } from './catalog-commit.js';

/** Where and under whose lease the worker commits what it parsed. */
export interface WorkerCommit {
  storage: StorageOptions;
  owner: string;
  request: Omit<CommitRequest, 'rows' | 'warnings'>;
}

export interface IndexSyncRequest {
  /** The index bytes, transferred to the worker (not copied). */
  body: ArrayBuffer;
  repositoryUrl: string;
  /** Null: parse only and hand the rows back (tests and tools). */
  commit: WorkerCommit | null;
}

export type IndexSyncReply =
  | {
      ok: true;
      outcome: SyncOutcome | null;
      rows: NewChartVersion[] | null;
      warnings: SyncWarning[] | null;
    }
  | {
      ok: false;
      code: string;
      message: string;
      failure: string | null;
      /** An unexpected error's own message, for the server log only. */
      internal: string | null;
    };

export interface IndexWorkerOptions {
  maxHeapMb?: number;
  timeoutMs?: number;
}

// Built, the worker is the sibling .js file. Under tsx (tests) it is a .ts file, and Node 20 does not
// carry tsx's loader into worker threads: a small bootstrap registers it first.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./index-sync.worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

function startWorker(options: WorkerOptions): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, options);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** A failure the worker reported with its own code (a lost lease, say), rebuilt on this side. */
class WorkerReportedError extends AppError {
  readonly status = 500;
}

function runWorker(
  body: Buffer,
  repositoryUrl: URL,
  commit: WorkerCommit | null,
  options: IndexWorkerOptions,
): Promise<Extract<IndexSyncReply, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const worker = startWorker({
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 1024, maxYoungGenerationSizeMb: 64 },
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new UpstreamError('not_a_helm_repository', 'Parsing the repository index took too long.'));
    }, options.timeoutMs ?? 120_000);
    const done = (): void => {
      clearTimeout(timer);
      void worker.terminate();
    };
    worker.once('message', (reply: IndexSyncReply) => {
      done();
      if (reply.ok) resolve(reply);
      else if (reply.internal !== null) reject(new Error(reply.internal));
      else if (reply.failure !== null)
        reject(new UpstreamError(reply.failure as UpstreamFailure, reply.message));
      else reject(new WorkerReportedError(reply.code, reply.message));
    });
    worker.once('error', (err) => {
      done();
      reject(
        new UpstreamError(
          'not_a_helm_repository',
          `The repository index could not be parsed: ${err.message}`,
        ),
      );
    });
    // One copy into an ArrayBuffer of its own, which then moves to the worker without another.
    const own = new Uint8Array(body).buffer;
    const request: IndexSyncRequest = { body: own, repositoryUrl: repositoryUrl.toString(), commit };
    worker.postMessage(request, [own]);
  });
}

/**
 * Parse, normalize and commit a classic index in a worker thread with its own database connection: the
 * whole CPU-heavy part of a sync (a 25 MB index is about a second of it) stays off the thread that
 * answers the API, the rows never travel between threads, and a parser blow-up (memory, stack) ends the
 * worker, not the server. One worker per sync: syncs are minutes apart, and a worker's heap is returned
 * when it exits.
 */
export async function syncIndexInWorker(
  body: Buffer,
  repositoryUrl: URL,
  commit: WorkerCommit,
  options: IndexWorkerOptions = {},
): Promise<SyncOutcome> {
  const reply = await runWorker(body, repositoryUrl, commit, options);
  if (reply.outcome === null) throw new Error('the index worker did not commit');
  return reply.outcome;
}

/** Parse and normalize only, in a worker: the rows and warnings a sync would commit. */
export async function parseIndexInWorker(
  body: Buffer,
  repositoryUrl: URL,
  options: IndexWorkerOptions = {},
): Promise<{ rows: NewChartVersion[]; warnings: SyncWarning[] }> {
  const reply = await runWorker(body, repositoryUrl, null, options);
  return { rows: reply.rows ?? [], warnings: reply.warnings ?? [] };
}
