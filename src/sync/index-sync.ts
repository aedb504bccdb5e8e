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

function replyToError(reply: Extract<IndexSyncReply, { ok: false }>): Error {
  if (reply.internal !== null) return new Error(reply.internal);
  if (reply.failure !== null) return new UpstreamError(reply.failure as UpstreamFailure, reply.message);
  return new WorkerReportedError(reply.code, reply.message);
}

/** Index workers kept warm between syncs; by default two, so one huge index does not hold up the rest. */
const DEFAULT_POOL_SIZE = 2;

/**
 * The threads that parse, normalize and commit classic indexes. Workers stay alive between jobs: a
 * fresh thread runs the parser and the database code cold (not yet optimized by the JIT), which made a
 * first sync of a 20,000-version index about 40% slower. A worker that fails, times out or runs out of
 * heap is ended and replaced by the next job; idle workers do not keep the process alive.
 */
export class IndexWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(worker: Worker) => void> = [];
  private running = 0;
  private closed = false;

  constructor(private readonly options: IndexWorkerOptions & { size?: number } = {}) {}

  /** Ends every idle worker; a job still running ends with its worker when it answers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((worker) => worker.terminate()));
  }

  /**
   * One job. A `body` that owns its whole ArrayBuffer (a fetched index does) is moved to the worker and
   * is empty afterwards; any other is copied.
   */
  async run(
    body: Buffer,
    repositoryUrl: URL,
    commit: WorkerCommit | null,
  ): Promise<Extract<IndexSyncReply, { ok: true }>> {
    if (this.closed) throw new Error('the index worker pool is closed');
    const worker = await this.acquire();
    worker.ref();
    let healthy = false;
    try {
      const reply = await this.exchange(worker, body, repositoryUrl, commit);
      healthy = true;
      return reply;
    } finally {
      this.release(worker, healthy);
    }
  }

  private acquire(): Promise<Worker> {
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.running < (this.options.size ?? DEFAULT_POOL_SIZE)) {
      this.running += 1;
      return Promise.resolve(
        startWorker({
          resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 1024 },
        }),
      );
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker, healthy: boolean): void {
    if (!healthy || this.closed) {
      void worker.terminate();
      this.running -= 1;
      // A waiting job gets a fresh worker in the freed place.
      const next = this.waiting.shift();
      if (next && !this.closed) {
        this.running += 1;
        next(startWorker({ resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 1024 } }));
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) return next(worker);
    worker.unref();
    this.idle.push(worker);
  }

  /** One job on one worker. Rejects (and the worker is replaced) on a failure, a crash or the deadline. */
  private exchange(
    worker: Worker,
    body: Buffer,
    repositoryUrl: URL,
    commit: WorkerCommit | null,
  ): Promise<Extract<IndexSyncReply, { ok: true }>> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (reply: IndexSyncReply): void => {
        cleanup();
        if (reply.ok) resolve(reply);
        else reject(replyToError(reply));
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(
          new UpstreamError(
            'not_a_helm_repository',
            `The repository index could not be parsed: ${err.message}`,
          ),
        );
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error('the index worker exited during a job'));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new UpstreamError('not_a_helm_repository', 'Parsing the repository index took too long.'));
      }, this.options.timeoutMs ?? 120_000);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      // A fetched body owns its ArrayBuffer: it moves to the worker without a copy. Anything else
      // (a view into a larger buffer) is copied once.
      const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
      const own = whole && body.buffer instanceof ArrayBuffer ? body.buffer : new Uint8Array(body).buffer;
      const request: IndexSyncRequest = { body: own, repositoryUrl: repositoryUrl.toString(), commit };
      worker.postMessage(request, [own]);
    });
  }
}

/**
 * Parse, normalize and commit a classic index in a worker thread with its own database connection: the
 * whole CPU-heavy part of a sync (a 25 MB index is about a second of it) stays off the thread that
 * answers the API, the rows never travel between threads, and a parser blow-up (memory, stack) ends the
 * worker, not the server.
 */
export async function syncIndexInWorker(
  pool: IndexWorkerPool,
  body: Buffer,
  repositoryUrl: URL,
  commit: WorkerCommit,
): Promise<SyncOutcome> {
  const reply = await pool.run(body, repositoryUrl, commit);
  if (reply.outcome === null) throw new Error('the index worker did not commit');
  return reply.outcome;
}

/** Parse and normalize only, in a worker: the rows and warnings a sync would commit. */
export async function parseIndexInWorker(
  pool: IndexWorkerPool,
  body: Buffer,
  repositoryUrl: URL,
): Promise<{ rows: NewChartVersion[]; warnings: SyncWarning[] }> {
  const reply = await pool.run(body, repositoryUrl, null);
  return { rows: reply.rows ?? [], warnings: reply.warnings ?? [] };
}
