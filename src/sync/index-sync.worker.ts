import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { toCatalogRow } from '../catalog/catalog-row.js';
import { CatalogWriter, type RowSource } from '../catalog/catalog-writer.js';
import { ChartVersionRepository, type NewChartVersion } from '../catalog/chart-version.repository.js';
import type { ChartVersionRecord } from '../protocol/helm/chart-version.js';
import { summarizeHelmIndex } from '../protocol/helm/index-summary.js';
import { AppError, UpstreamError } from '../shared/errors.js';
import { JobLeaseRepository } from '../jobs/job-lease.repository.js';
import { openStorage, type Storage, type StorageOptions } from '../storage/database.js';
import { commitCatalogStream } from './catalog-commit.js';
import {
  failureToError,
  MAX_BATCHES_IN_FLIGHT,
  type IndexJob,
  type IndexJobReply,
  type JobFailure,
  encodeChartDigests,
  type ChartDigests,
  type RowStreamMessage,
  type WorkerCommit,
} from './index-sync.js';
import { parseIndexInto, type RecordSink } from './index-parse.js';
import { RunCloser } from './run-closing.js';
import { SyncStateRepository } from './sync-state.repository.js';
import { SyncRunRepository } from './sync-run.repository.js';

// Runs in a worker thread of the pool in index-sync.ts: one job per message, either the parse and
// normalization of a classic index, the write of the rows another worker streams to it, or the counts
// and warnings of an index a registry's validation reads.

/** Rows per message to the writer: the size of one PostgreSQL insert (chart-version.repository.ts). */
const STREAM_BATCH_ROWS = 2_000;

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

function failure(err: unknown): JobFailure {
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

/** Where a parse job's rows go: batches to the writer's port, or one list answered at the end. */
class RowSink implements RecordSink {
  readonly rows: NewChartVersion[] = [];
  private pending: NewChartVersion[] = [];
  private readonly inFlight: Int32Array | null;

  constructor(
    private readonly port: MessagePort | null,
    inFlight: SharedArrayBuffer | null,
  ) {
    this.inFlight = inFlight ? new Int32Array(inFlight) : null;
  }

  add(records: ChartVersionRecord[]): void {
    const into = this.port ? this.pending : this.rows;
    for (const record of records) into.push(toCatalogRow(record));
    if (this.pending.length >= STREAM_BATCH_ROWS) this.send();
  }

  /** The last batch, then the end of the stream. */
  end(end: Omit<Extract<RowStreamMessage, { type: 'end' }>, 'type'>): void {
    if (this.pending.length > 0) this.send();
    if (!this.port) return;
    const message: RowStreamMessage = { type: 'end', ...end };
    this.port.postMessage(message);
    this.port.close();
  }

  private send(): void {
    const { inFlight } = this;
    if (inFlight) {
      // Wait (this thread only) while the writer is MAX_BATCHES_IN_FLIGHT batches behind.
      for (let n = Atomics.load(inFlight, 0); n >= MAX_BATCHES_IN_FLIGHT; n = Atomics.load(inFlight, 0)) {
        Atomics.wait(inFlight, 0, n, 1_000);
      }
      Atomics.add(inFlight, 0, 1);
    }
    const message: RowStreamMessage = { type: 'rows', rows: this.pending };
    this.port?.postMessage(message);
    this.pending = [];
  }
}

/** Parse and normalize, streaming the rows to the writer's port (or answering them without one). */
function parse(job: Extract<IndexJob, { kind: 'parse' }>): IndexJobReply {
  const started = performance.now();
  const sink = new RowSink(job.port, job.inFlight);
  const result = parseIndexInto(Buffer.from(job.body), new URL(job.repositoryUrl), job.previous, sink);
  // Parse and normalization interleave (chart by chart): one figure for both.
  const stages = { parseMs: Math.round(performance.now() - started) };
  sink.end(result);
  if (job.port) return { ok: true, rows: null, warnings: null, outcome: null, summary: null, stages };
  return { ok: true, rows: sink.rows, warnings: result.warnings, outcome: null, summary: null, stages };
}

/**
 * The rows arriving on `port`, as commitCatalogStream reads them; a parser's failure ends the stream.
 * Each batch taken frees a place in `inFlight` for the parser.
 */
function portSource(port: MessagePort, inFlight: Int32Array): RowSource & { digests(): ChartDigests | null } {
  const queue: RowStreamMessage[] = [];
  let wake: (() => void) | null = null;
  let end: Extract<RowStreamMessage, { type: 'end' }> | null = null;
  port.on('message', (message: RowStreamMessage) => {
    queue.push(message);
    wake?.();
  });
  async function* batches(): AsyncGenerator<NewChartVersion[]> {
    for (;;) {
      const message = queue.shift();
      if (message === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      if (message.type === 'rows') {
        yield message.rows;
        // Written (the consumer asks for the next batch only after writing this one).
        Atomics.sub(inFlight, 0, 1);
        Atomics.notify(inFlight, 0);
      } else if (message.type === 'end') {
        end = message;
        return;
      } else throw failureToError(message.failure);
    }
  }
  return {
    batches: batches(),
    warnings: () => end?.warnings ?? [],
    kept: () => end?.kept ?? [],
    digests: () => end?.digests ?? null,
  };
}

async function commit(job: Extract<IndexJob, { kind: 'commit' }>): Promise<IndexJobReply> {
  const started = performance.now();
  const { storage: options, lease, request }: WorkerCommit = job.commit;
  const storage = storageFor(options);
  try {
    const runs = new SyncRunRepository(storage.db);
    const source = portSource(job.port, new Int32Array(job.inFlight));
    const outcome = await commitCatalogStream(
      {
        catalog: new CatalogWriter(storage.db, new ChartVersionRepository(storage.db, storage.dialect)),
        runs,
        closer: new RunCloser(
          storage.db,
          runs,
          new SyncStateRepository(storage.db),
          new JobLeaseRepository(storage.db, storage.dialect),
          lease,
        ),
      },
      request,
      source,
      () => ({ indexCharts: encodeChartDigests(source.digests()) }),
    );
    // Measured from the writer's start: it overlaps parse and normalization, so stages do not add up.
    const stages = { writeMs: Math.round(performance.now() - started) };
    return { ok: true, rows: null, warnings: null, outcome, summary: null, stages };
  } finally {
    job.port.close();
  }
}

/*
 * A full collection after each job. An idle worker runs no JavaScript, so V8 never collects the
 * garbage of the job it just did: the parsed tree and rows of a big index (a few hundred MB) would stay
 * resident while the warm worker waits for the next sync. `gc` is only reachable with --expose-gc; this
 * is V8's documented way to get it at run time without a process-wide command-line flag.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

parentPort?.on('message', (job: IndexJob) => {
  let reply: Promise<IndexJobReply>;
  if (job.kind === 'commit') {
    reply = commit(job);
  } else if (job.kind === 'summarize') {
    try {
      const summary = summarizeHelmIndex(Buffer.from(job.body));
      reply = Promise.resolve({ ok: true, rows: null, warnings: null, outcome: null, summary, stages: {} });
    } catch (err) {
      reply = Promise.reject(err);
    }
  } else {
    try {
      reply = Promise.resolve(parse(job));
    } catch (err) {
      // The writer waits on the port: tell it why nothing more will come.
      const message: RowStreamMessage = { type: 'error', failure: failure(err) };
      job.port?.postMessage(message);
      job.port?.close();
      reply = Promise.reject(err);
    }
  }
  void reply
    .then(
      (value) => parentPort?.postMessage(value),
      (err: unknown) => parentPort?.postMessage(failure(err)),
    )
    .then(() => setImmediate(collectGarbage));
});
