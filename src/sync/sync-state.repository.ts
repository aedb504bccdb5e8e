import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, HelmRegistriesTable } from '../storage/schema.js';

export type SyncableRegistryRow = Selectable<HelmRegistriesTable>;

/** What the engine remembers of a registry between syncs (registry_sync_state). */
export interface SyncState {
  etag: string | null;
  lastModified: string | null;
  contentDigest: string | null;
  /** OCI only: the tags found not to be charts (see oci-sync.ts). */
  ociSkippedTags: string | null;
  /** Classic only: the digests of the index's charts last normalized (index-sync.ts ChartDigests). */
  indexCharts: string | null;
  failureCount: number;
  nextSyncAt: string | null;
}

const NEVER_SYNCED: SyncState = {
  etag: null,
  lastModified: null,
  contentDigest: null,
  ociSkippedTags: null,
  indexCharts: null,
  failureCount: 0,
  nextSyncAt: null,
};

/** What a finished sync leaves on its registry. An omitted field keeps its stored value. */
export interface SyncOutcomeRecord {
  syncStatus: 'synced' | 'failed';
  /** When the catalog was last confirmed current: set on success, omitted on failure. */
  lastSyncedAt?: Date;
  lastError: string | null;
  chartCount?: number;
  versionCount?: number;
  /** Validators for the next conditional GET; omit to keep them (a failed fetch learns nothing). */
  etag?: string | null;
  lastModified?: string | null;
  contentDigest?: string | null;
  /** OCI only: the tags found not to be charts (see oci-sync.ts); omit to keep them. */
  ociSkippedTags?: string | null;
  /**
   * Classic only: the digests of the charts this sync normalized (index-sync.ts ChartDigests); omit to
   * keep them. Recorded in the transaction that writes those charts' versions, so the two agree.
   */
  indexCharts?: string | null;
  /** Consecutive failures: 0 after a success; the caller computes the backoff from it. */
  failureCount: number;
  nextSyncAt: Date;
}

/**
 * A registry's sync state: its runtime part (registry_sync_state: validators, skipped tags, backoff,
 * due time) and the summary shown with the registry (helm_registries: status, Last Synced, counts).
 * Which process may sync a registry is the job lease's business (jobs/), not this table's.
 *
 * Protected registries must never be synced; that rule is the sync service's (it answers 409), this
 * repository only keeps them out of {@link dueForSync}.
 */
export class SyncStateRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(registryId: string): Promise<SyncState> {
    const row = await this.db
      .selectFrom('registry_sync_state')
      .selectAll()
      .where('registry_id', '=', registryId)
      .executeTakeFirst();
    if (!row) return NEVER_SYNCED;
    return {
      etag: row.etag,
      lastModified: row.last_modified,
      contentDigest: row.content_digest,
      ociSkippedTags: row.oci_skipped_tags,
      indexCharts: row.index_charts ?? null,
      failureCount: row.failure_count,
      nextSyncAt: row.next_sync_at,
    };
  }

  /** Show the registry as syncing (its lease is taken). */
  async markSyncing(registryId: string): Promise<void> {
    await this.db
      .updateTable('helm_registries')
      .set({ sync_status: 'syncing' })
      .where('id', '=', registryId)
      .execute();
  }

  /**
   * Registries whose next sync is due: unprotected, synced from upstream (not hosted), never scheduled
   * or scheduled at or before `now`, leaving out `busy` ones (a sync of theirs is running). Never-synced
   * ones first, then the longest overdue.
   */
  async dueForSync(now: Date, limit: number, busy: ReadonlySet<string>): Promise<SyncableRegistryRow[]> {
    const at = now.toISOString();
    const rows = await this.db
      .selectFrom('helm_registries as r')
      .leftJoin('registry_sync_state as s', 's.registry_id', 'r.id')
      .selectAll('r')
      .where('r.protected', '=', 0)
      .where('r.kind', 'in', ['helm', 'oci'])
      .where((eb) => eb.or([eb('s.next_sync_at', 'is', null), eb('s.next_sync_at', '<=', at)]))
      // NULLS FIRST spelled so both databases agree (their defaults differ).
      .orderBy(sql`coalesce(s.next_sync_at, '')`)
      .orderBy('r.id')
      // Busy ones are few (at most a couple per process): skip them here rather than in SQL.
      .limit(limit + busy.size)
      .execute();
    return rows.filter((r) => !busy.has(r.id)).slice(0, limit);
  }

  /** The syncable registries among `ids` (those whose interrupted sync must run again). */
  async syncable(ids: readonly string[]): Promise<SyncableRegistryRow[]> {
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('helm_registries')
      .selectAll()
      .where('id', 'in', ids)
      .where('protected', '=', 0)
      .where('kind', 'in', ['helm', 'oci'])
      .execute();
  }

  /**
   * Record a sync's outcome. Pass the transaction that closes the run (and releases its lease), so the
   * counts and validators change with the catalog.
   */
  async recordOutcome(
    registryId: string,
    outcome: SyncOutcomeRecord,
    executor: Kysely<Database> = this.db,
  ): Promise<void> {
    await executor
      .updateTable('helm_registries')
      .set({
        sync_status: outcome.syncStatus,
        last_error: outcome.lastError,
        ...(outcome.lastSyncedAt !== undefined ? { last_synced_at: outcome.lastSyncedAt.toISOString() } : {}),
        ...(outcome.chartCount !== undefined ? { chart_count: outcome.chartCount } : {}),
        ...(outcome.versionCount !== undefined ? { version_count: outcome.versionCount } : {}),
      })
      .where('id', '=', registryId)
      .execute();
    const state = {
      failure_count: outcome.failureCount,
      next_sync_at: outcome.nextSyncAt.toISOString(),
      ...(outcome.etag !== undefined ? { etag: outcome.etag } : {}),
      ...(outcome.lastModified !== undefined ? { last_modified: outcome.lastModified } : {}),
      ...(outcome.contentDigest !== undefined ? { content_digest: outcome.contentDigest } : {}),
      ...(outcome.ociSkippedTags !== undefined ? { oci_skipped_tags: outcome.ociSkippedTags } : {}),
      ...(outcome.indexCharts !== undefined ? { index_charts: outcome.indexCharts } : {}),
    };
    await executor
      .insertInto('registry_sync_state')
      .values({ registry_id: registryId, ...state })
      .onConflict((oc) => oc.column('registry_id').doUpdateSet(state))
      .execute();
  }
}
