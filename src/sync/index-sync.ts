import { MessageChannel, Worker, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import type { NewChartVersion } from '../catalog/chart-version.repository.js';
import type { SyncWarning } from '../protocol/helm/chart-version.js';
import type { IndexSummary } from '../protocol/helm/index-summary.js';
import { AppError, DatabaseUnavailableError, UpstreamError, type UpstreamFailure } from '../shared/errors.js';
import type { StorageOptions } from '../storage/database.js';
import type { CommitRequest, SyncOutcome } from './catalog-commit.js';
import type { SyncLeaseRef } from './sync-lease-key.js';

/** Where and under which lease the writer commits what the parser streams to it. */
export interface WorkerCommit {
  storage: StorageOptions;
  lease: SyncLeaseRef;
  request: Omit<CommitRequest, 'rows' | 'warnings'>;
}

/**
 * What a sync remembers of a block-style index's charts (registry_sync_state.index_charts): each chart's
 * lines as a digest (index-chunks.ts chunkDigest, under `salt`), for charts that normalized without a
 * warning. The next sync skips a chart whose lines give the same digest: its stored versions stay.
 */
export interface ChartDigests {
  salt: string;
  charts: Record<string, string>;
}

/** The stored form of {@link ChartDigests} (JSON text), null for none. */
export function encodeChartDigests(digests: ChartDigests | null): string | null {
  return digests === null ? null : JSON.stringify(digests);
}

/** {@link encodeChartDigests} read back; anything unreadable is none (every chart is parsed again). */
export function decodeChartDigests(text: string | null): ChartDigests | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<ChartDigests> | null;
    if (typeof value?.salt !== 'string' || typeof value.charts !== 'object' || value.charts === null)
      return null;
    return { salt: value.salt, charts: value.charts };
  } catch {
    return null;
  }
}

/**
 * A job for one worker: parse and normalize an index (streaming the rows to a writer's port, or
 * answering them when there is no port), write what arrives on a port, or summarize an index.
 */
export type IndexJob =
  | {
      kind: 'parse';
      body: ArrayBuffer;
      repositoryUrl: string;
      /** The charts the last sync normalized, by digest: those unchanged are not parsed again. */
      previous: ChartDigests | null;
      port: MessagePort | null;
      /** Batches sent and not yet written (one Int32), shared with the writer: see MAX_BATCHES_IN_FLIGHT. */
      inFlight: SharedArrayBuffer | null;
    }
  | { kind: 'commit'; commit: WorkerCommit; port: MessagePort; inFlight: SharedArrayBuffer }
  /** A registry's validation: the index's counts and warnings, nothing kept. */
  | { kind: 'summarize'; body: ArrayBuffer };

/**
 * How many batches of rows the parser may have sent ahead of the writer before it waits. Without a
 * bound a parser faster than the database queues the whole catalog in the writer's heap.
 */
export const MAX_BATCHES_IN_FLIGHT = 2;

export interface JobFailure {
  ok: false;
  code: string;
  message: string;
  failure: string | null;
  /** An unexpected error's own message, for the server log only. */
  internal: string | null;
}

export type IndexJobReply =
  | {
      ok: true;
      /** A parse without a port: its rows and warnings. */
      rows: NewChartVersion[] | null;
      warnings: SyncWarning[] | null;
      /** A commit: what it wrote. */
      outcome: SyncOutcome | null;
      /** A summary (a registry's validation). */
      summary: IndexSummary | null;
      /** Milliseconds per stage. */
      stages: Record<string, number>;
    }
  | JobFailure;

/**
 * What the parser sends the writer: batches of rows, then the warnings, the charts left as stored
 * (unchanged since the last sync, not parsed) and the digests to remember; or why it stopped.
 */
export type RowStreamMessage =
  | { type: 'rows'; rows: NewChartVersion[] }
  | { type: 'end'; warnings: SyncWarning[]; kept: string[]; digests: ChartDigests | null }
  | { type: 'error'; failure: JobFailure };

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

/** A failure a worker reported with its own code (a lost lease, say), rebuilt on this side. */
class WorkerReportedError extends AppError {
  readonly status = 500;
}

/** The error a worker's failure report stands for, on whichever thread reads it. */
export function failureToError(reply: JobFailure): Error {
  if (reply.internal !== null) return new Error(reply.internal);
  if (reply.failure !== null) return new UpstreamError(reply.failure as UpstreamFailure, reply.message);
  // The writer's own connection lost its database: the same error as on this thread, so the run
  // records it alike and callers can tell an outage from a broken index.
  if (reply.code === 'database_unavailable') return new DatabaseUnavailableError();
  return new WorkerReportedError(reply.code, reply.message);
}

/**
 * Two workers by default: a sync uses both at once, one parsing and normalizing while the other writes
 * what it has so far, so the write (the largest stage) overlaps the normalization.
 */
const DEFAULT_POOL_SIZE = 2;

/** An ArrayBuffer holding exactly `body`'s bytes that can move to a worker. */
function ownBuffer(body: Buffer): ArrayBuffer {
  // A fetched body owns its ArrayBuffer: it moves without a copy, and the caller's Buffer is empty
  // afterwards. Anything else (a view into a larger or pooled buffer) is copied once.
  const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  return whole && body.buffer instanceof ArrayBuffer ? body.buffer : new Uint8Array(body).buffer;
}

/**
 * The threads that parse, normalize and commit classic indexes. Workers stay alive between jobs: a
 * fresh thread runs the parser and the database code cold (not yet optimized by the JIT), which made a
 * first sync of a 20,000-version index about 20% slower. A worker that fails, times out or runs out of
 * heap is ended and replaced by the next job; idle workers do not keep the process alive.
 */
export class IndexWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<{ count: number; grant: (workers: Worker[]) => void }> = [];
  private running = 0;
  private closed = false;
  private readonly size: number;

  constructor(private readonly options: IndexWorkerOptions & { size?: number } = {}) {
    this.size = Math.max(DEFAULT_POOL_SIZE, options.size ?? DEFAULT_POOL_SIZE);
  }

  /** Ends every idle worker; a job still running ends with its worker when it answers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.grant([]);
    await Promise.all(this.idle.splice(0).map((worker) => worker.terminate()));
  }

  /**
   * Parse, normalize and commit one classic index: the parser streams rows to the writer, which has
   * its own database connection. `body` moves to the parser (see {@link ownBuffer}).
   */
  async sync(
    body: Buffer,
    repositoryUrl: URL,
    previous: ChartDigests | null,
    commit: WorkerCommit,
  ): Promise<SyncOutcome> {
    const [parser, writer] = await this.acquire(2);
    if (!parser || !writer) throw new Error('the index worker pool is closed');
    const channel = new MessageChannel();
    const inFlight = new SharedArrayBuffer(4);
    const writing = this.exchange(writer, { kind: 'commit', commit, port: channel.port2, inFlight }, [
      channel.port2,
    ]);
    const buffer = ownBuffer(body);
    const parsing = this.exchange(
      parser,
      {
        kind: 'parse',
        body: buffer,
        repositoryUrl: repositoryUrl.toString(),
        previous,
        port: channel.port1,
        inFlight,
      },
      [buffer, channel.port1],
    );
    // Either side failing leaves the other waiting (a writer on rows that never come, a parser on a
    // writer that no longer writes): end it too, unless it has already answered. The first failure is
    // the one reported.
    let firstFailure: unknown;
    let parserAnswered = false;
    let writerAnswered = false;
    parsing.then(
      () => (parserAnswered = true),
      (err: unknown) => {
        parserAnswered = true;
        firstFailure ??= err;
        if (!writerAnswered) void writer.terminate();
      },
    );
    writing.then(
      () => (writerAnswered = true),
      (err: unknown) => {
        writerAnswered = true;
        firstFailure ??= err;
        if (!parserAnswered) void parser.terminate();
      },
    );
    const [parsed, written] = await Promise.allSettled([parsing, writing]);
    this.release(parser, parsed.status === 'fulfilled');
    this.release(writer, written.status === 'fulfilled');
    if (parsed.status === 'rejected' || written.status === 'rejected') throw firstFailure;
    const outcome = written.value.outcome;
    if (outcome === null) throw new Error('the index writer answered without an outcome');
    return { ...outcome, stages: { ...parsed.value.stages, ...written.value.stages } };
  }

  /** Parse and normalize only: the rows and warnings a sync would commit (tests and tools). */
  async parse(
    body: Buffer,
    repositoryUrl: URL,
  ): Promise<{ rows: NewChartVersion[]; warnings: SyncWarning[] }> {
    const [worker] = await this.acquire(1);
    if (!worker) throw new Error('the index worker pool is closed');
    const buffer = ownBuffer(body);
    let healthy = false;
    try {
      const reply = await this.exchange(
        worker,
        {
          kind: 'parse',
          body: buffer,
          repositoryUrl: repositoryUrl.toString(),
          previous: null,
          port: null,
          inFlight: null,
        },
        [buffer],
      );
      healthy = true;
      return { rows: reply.rows ?? [], warnings: reply.warnings ?? [] };
    } finally {
      this.release(worker, healthy);
    }
  }

  /**
   * A registry's validation of its index (registry-probe.ts): the counts and warnings a sync would see,
   * read chart by chart in a worker, so that a big index neither stalls this thread's event loop nor
   * grows its heap. `body` moves to the worker.
   */
  async summarize(body: Buffer): Promise<IndexSummary> {
    const [worker] = await this.acquire(1);
    if (!worker) throw new Error('the index worker pool is closed');
    const buffer = ownBuffer(body);
    let healthy = false;
    try {
      const reply = await this.exchange(worker, { kind: 'summarize', body: buffer }, [buffer]);
      healthy = true;
      if (reply.summary === null) throw new Error('the index worker answered without a summary');
      return reply.summary;
    } finally {
      this.release(worker, healthy);
    }
  }

  /** `count` workers at once (a sync needs two together, so two syncs cannot each hold one and wait). */
  private acquire(count: number): Promise<Worker[]> {
    if (this.closed) return Promise.resolve([]);
    return new Promise((grant) => {
      this.waiting.push({ count, grant });
      this.grantWaiting();
    });
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (this.idle.length + (this.size - this.running) < next.count) return;
      this.waiting.shift();
      const workers: Worker[] = [];
      while (workers.length < next.count) {
        const idle = this.idle.pop();
        if (idle) {
          workers.push(idle);
        } else {
          this.running += 1;
          workers.push(
            startWorker({ resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 1024 } }),
          );
        }
      }
      for (const worker of workers) worker.ref();
      next.grant(workers);
    }
  }

  private release(worker: Worker, healthy: boolean): void {
    if (!healthy || this.closed) {
      void worker.terminate();
      this.running -= 1;
    } else {
      worker.unref();
      this.idle.push(worker);
    }
    this.grantWaiting();
  }

  /** One job on one worker. Rejects (and the worker is replaced) on a failure, a crash or the deadline. */
  private exchange(
    worker: Worker,
    job: IndexJob,
    transfer: Array<ArrayBuffer | MessagePort>,
  ): Promise<Extract<IndexJobReply, { ok: true }>> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (reply: IndexJobReply): void => {
        cleanup();
        if (reply.ok) resolve(reply);
        else reject(failureToError(reply));
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
      worker.postMessage(job, transfer);
    });
  }
}
