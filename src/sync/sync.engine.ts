import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ChartVersionRepository } from '../catalog/chart-version.repository.js';
import { registryConnection } from '../registries/registry.connection.js';
import { AppError, DatabaseUnavailableError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { Storage, StorageOptions } from '../storage/database.js';
import type { UpstreamPolicy } from '../upstream/http-client.js';
import type { OciRetryPolicy } from '../upstream/oci-session.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import { commitCatalog, type CommitStore, type SyncOutcome } from './catalog-commit.js';
import { fetchIndex } from './index-fetch.js';
import { IndexWorkerPool } from './index-sync.js';
import { decodeSkippedTags, encodeSkippedTags, loadStoredOciRows, readOciRegistry } from './oci-sync.js';
import type { SyncableRegistryRow, SyncLeaseRepository } from './sync-lease.repository.js';
import type { SyncRun, SyncRunRepository, SyncTrigger } from './sync-run.repository.js';

export interface SyncEngineOptions {
  storage: Storage;
  /** How to open the same database again: a classic index is committed by its worker (index-sync.ts). */
  storageOptions: StorageOptions;
  versions: ChartVersionRepository;
  runs: SyncRunRepository;
  leases: SyncLeaseRepository;
  secrets: SecretBox;
  policy: UpstreamPolicy;
  maxIndexBytes: number;
  logger: Logger;
  /** How long a lease lasts without renewal; a sync longer than this is renewed while it runs. */
  leaseTtlMs?: number;
  /** How patiently OCI requests answered 429/503 are retried (tests shorten it). */
  ociRetry?: OciRetryPolicy;
  /** Told about every finished sync (Prometheus metrics); keeps metrics libraries out of the engine. */
  observe?: (event: SyncObservation) => void;
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

const DEFAULT_LEASE_TTL_MS = 5 * 60_000;
/** Waits between attempts to record a failed sync while the database is unavailable (about 30 s in all). */
const RECORD_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000];
/** Retry a failing registry after 1, 2, 4, … minutes, never later than its own interval. */
const BACKOFF_BASE_MS = 60_000;

/**
 * Synchronizes one registry into the catalog: a classic Helm repository (conditional fetch here; parse,
 * normalize and write in worker threads, index-sync.ts) or an OCI registry (oci-sync.ts); then, for
 * both, a diff against what is stored, and one transaction (catalog-commit.ts) that writes the catalog,
 * closes the run and updates the registry together, so readers see the old catalog or the new one,
 * never half. At most one sync per registry runs at a time across every process (the lease).
 */
export class SyncEngine {
  /** Identifies this process in leases, so a forced or expired lease is told apart from ours. */
  readonly owner = `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  private readonly leaseTtlMs: number;
  private readonly inFlight = new Set<string>();
  private readonly indexWorkers = new IndexWorkerPool();

  constructor(private readonly o: SyncEngineOptions) {
    this.leaseTtlMs = o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /** Ends the index workers (the server is shutting down). */
  async close(): Promise<void> {
    await this.indexWorkers.close();
  }

  /**
   * Take the registry's lease and open a run; null when another sync holds the lease. The returned
   * `done` completes the sync (it never rejects: failures are recorded on the run).
   */
  async begin(
    row: SyncableRegistryRow,
    trigger: SyncTrigger,
    force = false,
  ): Promise<{ run: SyncRun; done: Promise<void> } | null> {
    // The lease is re-entrant for its owner (so it can be renewed), so syncs within this process are
    // kept apart here; the lease keeps them apart across processes.
    if (this.inFlight.has(row.id)) return null;
    this.inFlight.add(row.id);
    const now = new Date();
    let acquired = false;
    try {
      acquired = await this.o.leases.acquire(row.id, this.owner, this.leaseTtlMs, now, { force });
    } finally {
      if (!acquired) this.inFlight.delete(row.id);
    }
    if (!acquired) return null;
    let run: SyncRun;
    try {
      await this.o.leases.markSyncing(row.id, this.owner);
      run = await this.o.runs.start(row.id, trigger, now);
    } catch (err) {
      // The database failed between taking the lease and opening the run: give both back, or this
      // process would skip the registry for good (in flight) and others until the lease expires.
      this.inFlight.delete(row.id);
      await this.releaseLease(row.id);
      throw err;
    }
    const done = this.execute(row, run).finally(async () => {
      this.inFlight.delete(row.id);
      await this.releaseLease(row.id);
    });
    return { run, done };
  }

  /**
   * Never rejects: nobody awaits a manual sync's `done`, and an unhandled rejection would end the
   * process. An unreleased lease simply expires.
   */
  private async releaseLease(registryId: string): Promise<void> {
    await this.o.leases.release(registryId, this.owner).catch((err: unknown) => {
      this.o.logger.warn({ err, registry: registryId }, 'could not release the sync lease');
    });
  }

  private async execute(row: SyncableRegistryRow, run: SyncRun): Promise<void> {
    const started = Date.now();
    const log = this.o.logger.child({ registry: row.id, run: run.id });
    const renew = setInterval(() => {
      // A failed renewal (the database away for a moment) is retried at the next tick; a rejection
      // left unhandled here would end the process.
      this.o.leases.renew(row.id, this.owner, this.leaseTtlMs, new Date()).catch((err: unknown) => {
        log.warn({ err }, 'could not renew the sync lease');
      });
    }, this.leaseTtlMs / 3);
    renew.unref();
    try {
      const outcome = row.kind === 'oci' ? await this.syncOci(row, run) : await this.syncClassic(row, run);
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
      const known = err instanceof AppError;
      const message = known ? err.message : 'The sync failed unexpectedly; the server log has the details.';
      if (!known) log.error({ err }, 'sync failed unexpectedly');
      else log.warn({ code: err.code, ms: Date.now() - started }, 'sync failed');
      this.o.observe?.({
        kind: row.kind,
        outcome: 'failed',
        seconds: (Date.now() - started) / 1000,
        added: 0,
        updated: 0,
        removed: 0,
      });
      await this.recordFailureRetrying(row, run, known ? err.code : 'internal_error', message).catch(
        (recordErr: unknown) => {
          // The database stayed away: the run stays `running` until failStale closes it.
          log.error({ err: recordErr }, 'could not record the failed sync');
        },
      );
    } finally {
      clearInterval(renew);
    }
  }

  /** How to reach the registry, credentials decrypted. */
  private sourceOf(row: SyncableRegistryRow): UpstreamConnection {
    return registryConnection(row, this.o.secrets);
  }

  private async syncClassic(row: SyncableRegistryRow, run: SyncRun): Promise<SyncOutcome> {
    const { db } = this.o.storage;
    const source = this.sourceOf(row);
    const previous = {
      etag: row.sync_etag ?? null,
      lastModified: row.sync_last_modified ?? null,
      contentDigest: row.sync_content_digest ?? null,
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
      await db.transaction().execute(async (trx) => {
        await this.o.runs.finish(
          trx,
          run.id,
          {
            status: 'unchanged',
            added: 0,
            updated: 0,
            removed: 0,
            unchanged: row.version_count,
            warnings: [],
            error: null,
            errorCode: null,
          },
          now,
        );
        await this.o.leases.recordOutcome(
          row.id,
          this.owner,
          {
            syncStatus: 'synced',
            lastSyncedAt: now,
            lastError: null,
            etag: fetched.validators.etag,
            lastModified: fetched.validators.lastModified,
            failureCount: 0,
            nextSyncAt: this.nextSync(row, now),
          },
          trx,
        );
      });
      return { status: 'unchanged', added: 0, updated: 0, removed: 0 };
    }

    lap('fetchMs');
    const outcome = await this.indexWorkers.sync(fetched.body, source.endpoint.baseUrl, {
      storage: this.o.storageOptions,
      owner: this.owner,
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
  private async syncOci(row: SyncableRegistryRow, run: SyncRun): Promise<SyncOutcome> {
    const stored = await loadStoredOciRows(this.o.storage.db, row.id);
    const result = await readOciRegistry(
      this.sourceOf(row),
      stored,
      decodeSkippedTags(row.oci_skipped_tags),
      this.o.policy,
      this.o.ociRetry,
    );
    const outcome = await commitCatalog(this.store(), {
      registryId: row.id,
      runId: run.id,
      rows: result.rows,
      warnings: result.warnings,
      what: 'registry',
      validators: { ociSkippedTags: encodeSkippedTags(result.skipped) },
      nextSyncAt: this.nextSync(row, new Date()),
    });
    return { ...outcome, manifestsFetched: result.manifestsFetched };
  }

  private store(): CommitStore {
    const { storage, versions, runs, leases } = this.o;
    return { storage, versions, runs, leases, owner: this.owner };
  }

  /**
   * A sync that failed because the database went away usually cannot record that at once either:
   * try again for a while (the pool reconnects as soon as the server is back), so the run ends
   * `failed` with its reason instead of staying `running` until its lease expires.
   */
  private async recordFailureRetrying(
    row: SyncableRegistryRow,
    run: SyncRun,
    code: string,
    message: string,
  ): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.recordFailure(row, run, code, message);
      } catch (err) {
        const delay = RECORD_RETRY_DELAYS_MS[attempt];
        if (!(err instanceof DatabaseUnavailableError) || delay === undefined) throw err;
        await sleep(delay);
      }
    }
  }

  private async recordFailure(
    row: SyncableRegistryRow,
    run: SyncRun,
    code: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    const failures = (row.failure_count ?? 0) + 1;
    const backoff = Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), row.sync_interval_minutes * 60_000);
    await this.o.storage.db.transaction().execute(async (trx) => {
      await this.o.runs.finish(
        trx,
        run.id,
        {
          status: 'failed',
          added: 0,
          updated: 0,
          removed: 0,
          unchanged: 0,
          warnings: [],
          error: message,
          errorCode: code,
        },
        now,
      );
      await this.o.leases.recordOutcome(
        row.id,
        this.owner,
        {
          syncStatus: 'failed',
          lastError: message,
          failureCount: failures,
          nextSyncAt: new Date(now.getTime() + backoff),
        },
        trx,
      );
    });
  }

  /** The interval, jittered by ±10% so registries added together do not sync in lockstep. */
  private nextSync(row: SyncableRegistryRow, now: Date): Date {
    const interval = row.sync_interval_minutes * 60_000;
    return new Date(now.getTime() + interval * (0.9 + Math.random() * 0.2));
  }
}
