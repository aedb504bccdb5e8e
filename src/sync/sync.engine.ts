import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CatalogWriter } from '../catalog/catalog-writer.js';
import type { ChartVersionRepository } from '../catalog/chart-version.repository.js';
import { registryConnection } from '../registries/registry.connection.js';
import { AppError, DatabaseUnavailableError } from '../shared/errors.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { Storage, StorageOptions } from '../storage/database.js';
import type { UpstreamPolicy } from '../upstream/http-client.js';
import type { OciRetryPolicy } from '../upstream/oci-session.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import { commitCatalog, type SyncOutcome } from './catalog-commit.js';
import { fetchIndex } from './index-fetch.js';
import { decodeChartDigests, IndexWorkerPool } from './index-sync.js';
import { decodeSkippedTags, encodeSkippedTags, readOciRegistry, storedOciRows } from './oci-sync.js';
import type { JobLeaseRepository } from '../jobs/job-lease.repository.js';
import type { JobLeases, JobOutcome, Lease } from '../jobs/job-leases.js';
import { LEASE_LOST, LeaseLostError, RunCloser } from './run-closing.js';
import { REGISTRY_SYNC, syncLeaseKey } from './sync-lease-key.js';
import {
  INTERRUPTED_CODE,
  type SyncRun,
  type SyncRunRepository,
  type SyncTrigger,
} from './sync-run.repository.js';
import type { SyncableRegistryRow, SyncState, SyncStateRepository } from './sync-state.repository.js';

export interface SyncEngineOptions {
  storage: Storage;
  /** How to open the same database again: a classic index is committed by its worker (index-sync.ts). */
  storageOptions: StorageOptions;
  /** Reads the stored rows an OCI sync reuses. */
  versions: ChartVersionRepository;
  /** The catalog's write path: every sync's rows are committed through it. */
  catalog: CatalogWriter;
  runs: SyncRunRepository;
  /** Validators, skipped tags and backoff between syncs, and the registry's shown status. */
  state: SyncStateRepository;
  /** This process's job leases: a registry's sync holds `registry-sync:<id>`. */
  leases: JobLeases;
  /** The same leases' rows, released in the transaction that closes a run (run-closing.ts). */
  leaseRows: JobLeaseRepository;
  secrets: SecretBox;
  policy: UpstreamPolicy;
  maxIndexBytes: number;
  logger: Logger;
  /** How patiently OCI requests answered 429/503 are retried (tests shorten it). */
  ociRetry?: OciRetryPolicy;
  /** Told about every finished sync (Prometheus metrics); keeps metrics libraries out of the engine. */
  observe?: (event: SyncObservation) => void;
  /** The index worker threads, when shared with a registry's validation; the engine closes them. */
  indexWorkers?: IndexWorkerPool;
}

/** One sync's registry, what earlier syncs left (validators, skipped tags, failures), and its lease. */
interface SyncTarget {
  row: SyncableRegistryRow;
  state: SyncState;
  lease: Lease;
}

export interface SyncObservation {
  kind: 'helm' | 'oci' | 'hosted';
  /** `succeeded`, `unchanged`, `suspect`, or `failed`. */
  outcome: string;
  seconds: number;
  added: number;
  updated: number;
  removed: number;
}

export interface BeginOptions {
  /** Take the lease from another process whose sync is stuck (its commit then rolls back). */
  force?: boolean;
  /** Only if the registry is still due at this time once the lease is held (the scheduler's start). */
  ifDueAt?: Date;
}

const isDue = (state: SyncState, at: Date): boolean =>
  state.nextSyncAt === null || Date.parse(state.nextSyncAt) <= at.getTime();

/** How long a shutting-down server waits for its syncs to record how they ended. */
const CLOSE_GRACE_MS = 5_000;
const SHUTDOWN_MESSAGE =
  'The sync was interrupted: its server shut down. The catalog was left as it was; the next sync starts over.';
/** Waits between attempts to record a failed sync while the database is unavailable (about 30 s in all). */
const RECORD_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000];
/** Retry a failing registry after 1, 2, 4, … minutes, never later than its own interval. */
const BACKOFF_BASE_MS = 60_000;

/**
 * Synchronizes one registry into the catalog: a classic Helm repository (conditional fetch here; parse,
 * normalize and write in worker threads, index-sync.ts) or an OCI registry (oci-sync.ts); then, for
 * both, a diff against what is stored, and one transaction (catalog-commit.ts, through the catalog's
 * write path catalog/catalog-writer.ts) that writes the catalog, closes the run and updates the registry
 * together (run-closing.ts), so readers see the old catalog or the new one, never half. At most one sync
 * per registry runs at a time across every process (the lease).
 */
export class SyncEngine {
  private readonly indexWorkers: IndexWorkerPool;
  /** Syncs running in this process, awaited (briefly) on shutdown so they record how they ended. */
  private readonly running = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly o: SyncEngineOptions) {
    this.indexWorkers = o.indexWorkers ?? new IndexWorkerPool();
  }

  /** How many syncs run in this process now. */
  get runningCount(): number {
    return this.running.size;
  }

  /** Resolves when no sync runs here, including any begun while waiting (a drain's "Sync now"). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * The server is shutting down: end the index workers (a sync writing in one is rolled back by the
   * database) and give the running syncs up to `graceMs` to record themselves interrupted. A drain
   * waits for {@link idle} first, so only what outlived it is cut here.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closing = true;
    await this.indexWorkers.close();
    if (this.running.size === 0) return;
    const grace = sleep(graceMs, undefined, { ref: false });
    await Promise.race([Promise.allSettled([...this.running]), grace]);
  }

  /**
   * Take the registry's lease and open a run; null when another sync holds the lease. `force` takes it
   * from another process (its commit then rolls back); a sync running in this process is never doubled.
   * The returned `done` completes the sync (it never rejects: failures are recorded on the run).
   */
  async begin(
    row: SyncableRegistryRow,
    trigger: SyncTrigger,
    options: BeginOptions = {},
  ): Promise<{ run: SyncRun; done: Promise<void> } | null> {
    const lease = await this.o.leases.acquire(syncLeaseKey(row.id), REGISTRY_SYNC, { force: options.force });
    if (!lease) return null;
    let run: SyncRun;
    let state: SyncState;
    try {
      state = await this.o.state.get(row.id);
      if (options.ifDueAt !== undefined && !isDue(state, options.ifDueAt)) {
        // Another sync (a "Sync now", the first sync of a new registry, another server) ran between
        // the scheduler's look and this lease: the registry is current, and a second run would be waste.
        await this.o.leases.abandon(lease, 'skipped');
        return null;
      }
      await this.o.state.markSyncing(row.id);
      // Opened after the lease was taken: the scheduler's failStale closes only runs it read before it
      // looked at the leases, so it never closes this one.
      run = await this.o.runs.start(row.id, trigger, new Date());
    } catch (err) {
      // The database failed between taking the lease and opening the run: give the lease back.
      await this.o.leases.abandon(lease, 'failed');
      throw err;
    }
    const done = this.execute({ row, state, lease }, run);
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return { run, done };
  }

  private async execute(target: SyncTarget, run: SyncRun): Promise<void> {
    const { row, lease } = target;
    const started = Date.now();
    const log = this.o.logger.child({ registry: row.id, run: run.id });
    const closer = new RunCloser(this.o.storage.db, this.o.runs, this.o.state, this.o.leaseRows, lease);
    // Whether the lease is settled: released with the run's outcome, or found taken over.
    let settled = false;
    let jobOutcome: JobOutcome = 'failed';
    try {
      const outcome =
        row.kind === 'oci'
          ? await this.syncOci(target, run, closer)
          : await this.syncClassic(target, run, closer);
      settled = true;
      jobOutcome = 'succeeded';
      log.info({ ...outcome, ms: Date.now() - started }, 'sync finished');
      this.o.observe?.({
        kind: row.kind,
        outcome: outcome.status,
        seconds: (Date.now() - started) / 1000,
        added: outcome.added,
        updated: outcome.updated,
        removed: outcome.removed,
      });
    } catch (err) {
      this.o.observe?.({
        kind: row.kind,
        outcome: 'failed',
        seconds: (Date.now() - started) / 1000,
        added: 0,
        updated: 0,
        removed: 0,
      });
      if (err instanceof AppError && err.code === LEASE_LOST) {
        // Another process owns the registry now, and its sync records the outcome; or our run was closed
        // under us (the registry deleted): the rolled-back commit kept our lease row, which `abandon`
        // below deletes (a no-op when another owner holds it).
        log.warn('sync discarded: another server took the registry over, or it is gone');
        return;
      }
      const known = err instanceof AppError;
      let code = known ? err.code : 'internal_error';
      let message = known ? err.message : 'The sync failed unexpectedly; the server log has the details.';
      if (this.closing) {
        code = INTERRUPTED_CODE;
        message = SHUTDOWN_MESSAGE;
      } else if (!known) log.error({ err }, 'sync failed unexpectedly');
      else log.warn({ code, ms: Date.now() - started }, 'sync failed');
      try {
        await this.recordFailureRetrying(target, run, closer, code, message);
        settled = true;
      } catch (recordErr) {
        // The database stayed away: the lease is given back below (or, failing that, found abandoned
        // by the scheduler), which closes the run and syncs the registry again.
        log.error({ err: recordErr }, 'could not record the failed sync');
      }
    } finally {
      if (settled) this.o.leases.finished(lease, jobOutcome);
      else await this.o.leases.abandon(lease, jobOutcome);
    }
  }

  /** How to reach the registry, credentials decrypted. */
  private sourceOf(row: SyncableRegistryRow): UpstreamConnection {
    return registryConnection(row, this.o.secrets);
  }

  private async syncClassic(
    { row, state, lease }: SyncTarget,
    run: SyncRun,
    closer: RunCloser,
  ): Promise<SyncOutcome> {
    const source = this.sourceOf(row);
    const previous = {
      etag: state.etag,
      lastModified: state.lastModified,
      contentDigest: state.contentDigest,
    };
    let mark = performance.now();
    const stages: Record<string, number> = {};
    const lap = (stage: string): void => {
      const now = performance.now();
      stages[stage] = Math.round(now - mark);
      mark = now;
    };
    const fetched = await fetchIndex(
      source,
      previous,
      this.o.policy,
      row.max_index_bytes ?? this.o.maxIndexBytes,
    );

    if (fetched.kind !== 'changed') {
      const now = new Date();
      // Nothing to write but the run and the registry's Last Synced: an unchanged upstream costs no catalog writes.
      const closed = await closer.close({
        registryId: row.id,
        runId: run.id,
        finishedAt: now,
        run: {
          status: 'unchanged',
          added: 0,
          updated: 0,
          removed: 0,
          unchanged: row.version_count,
          warnings: [],
          error: null,
          errorCode: null,
        },
        registry: {
          syncStatus: 'synced',
          lastSyncedAt: now,
          lastError: null,
          etag: fetched.validators.etag,
          lastModified: fetched.validators.lastModified,
          failureCount: 0,
          nextSyncAt: this.nextSync(row, now),
        },
      });
      if (!closed) throw new LeaseLostError();
      return { status: 'unchanged', added: 0, updated: 0, removed: 0 };
    }

    lap('fetchMs');
    const previousCharts = decodeChartDigests(state.indexCharts);
    const outcome = await this.indexWorkers.sync(fetched.body, source.endpoint.baseUrl, previousCharts, {
      storage: this.o.storageOptions,
      lease: { key: lease.key, owner: lease.owner },
      request: {
        registryId: row.id,
        runId: run.id,
        what: 'index',
        validators: {
          etag: fetched.validators.etag,
          lastModified: fetched.validators.lastModified,
          contentDigest: fetched.validators.contentDigest,
        },
        nextSyncAt: this.nextSync(row, new Date()),
      },
    });
    return { ...outcome, stages: { ...stages, ...outcome.stages } };
  }

  /**
   * An OCI registry: read every chart tag (manifests only for new digests, oci-sync.ts), then the same
   * diff and commit as a classic repository. The tags found not to be charts are remembered
   * (`oci_skipped_tags`, oci-sync.ts encodeSkippedTags), so they are not fetched again while their
   * digest stays the same.
   */
  private async syncOci({ row, state }: SyncTarget, run: SyncRun, closer: RunCloser): Promise<SyncOutcome> {
    const stored = storedOciRows(await this.o.versions.entries(row.id));
    const result = await readOciRegistry(
      this.sourceOf(row),
      stored,
      decodeSkippedTags(state.ociSkippedTags),
      this.o.policy,
      this.o.ociRetry,
    );
    const outcome = await commitCatalog(
      { catalog: this.o.catalog, runs: this.o.runs, closer },
      {
        registryId: row.id,
        runId: run.id,
        rows: result.rows,
        warnings: result.warnings,
        what: 'registry',
        validators: { ociSkippedTags: encodeSkippedTags(result.skipped) },
        nextSyncAt: this.nextSync(row, new Date()),
      },
    );
    return { ...outcome, manifestsFetched: result.manifestsFetched };
  }

  /**
   * A sync that failed because the database went away usually cannot record that at once either:
   * try again for a while (the pool reconnects as soon as the server is back), so the run ends
   * `failed` with its reason instead of staying `running` until its lease expires.
   */
  private async recordFailureRetrying(
    target: SyncTarget,
    run: SyncRun,
    closer: RunCloser,
    code: string,
    message: string,
  ): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.recordFailure(target, run, closer, code, message);
      } catch (err) {
        const delay = RECORD_RETRY_DELAYS_MS[attempt];
        if (!(err instanceof DatabaseUnavailableError) || delay === undefined) throw err;
        await sleep(delay);
      }
    }
  }

  /** A lease found taken over is not an error here: the new holder's sync records the outcome. */
  private async recordFailure(
    { row, state }: SyncTarget,
    run: SyncRun,
    closer: RunCloser,
    code: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    const failures = state.failureCount + 1;
    const backoff = Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), row.sync_interval_minutes * 60_000);
    await closer.close({
      registryId: row.id,
      runId: run.id,
      finishedAt: now,
      run: {
        status: 'failed',
        added: 0,
        updated: 0,
        removed: 0,
        unchanged: 0,
        warnings: [],
        error: message,
        errorCode: code,
      },
      registry: {
        syncStatus: 'failed',
        lastError: message,
        failureCount: failures,
        nextSyncAt: new Date(now.getTime() + backoff),
      },
    });
  }

  /** The interval, jittered by ±10% so registries added together do not sync in lockstep. */
  private nextSync(row: SyncableRegistryRow, now: Date): Date {
    const interval = row.sync_interval_minutes * 60_000;
    return new Date(now.getTime() + interval * (0.9 + Math.random() * 0.2));
  }
}
