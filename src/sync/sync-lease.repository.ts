import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, HelmRegistriesTable } from '../storage/schema.js';

export type SyncableRegistryRow = Selectable<HelmRegistriesTable>;

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
  /** OCI only: the tags found not to be charts (see oci-sync.ts); omit to keep them. */
  ociSkippedTags?: string | null;
  lastModified?: string | null;
  contentDigest?: string | null;
  /** Consecutive failures: 0 after a success; the caller computes the backoff from it. */
  failureCount: number;
  nextSyncAt: Date;
}

/**
 * The sync lease: at most one sync per registry at a time across every server process sharing the
 * database. The lease lives on the registry row (`lease_owner`, `lease_expires_at`) and every change
 * to it is one conditional UPDATE whose affected-row count says who won, so no database-specific lock
 * is needed and a process that dies simply lets its lease expire.
 *
 * Protected registries must never be synced; that rule is the sync service's (it answers 409), this
 * repository only keeps them out of {@link dueForSync}.
 */
export class SyncLeaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Take the lease for `ttlMs` if it is free, expired, or already `owner`'s. With `force` take it
   * regardless (an operator forcing a stuck sync); the previous holder then fails its next renew.
   */
  async acquire(
    registryId: string,
    owner: string,
    ttlMs: number,
    now: Date,
    options: { force?: boolean } = {},
  ): Promise<boolean> {
    const at = now.toISOString();
    let q = this.db
      .updateTable('helm_registries')
      .set({ lease_owner: owner, lease_expires_at: expiry(now, ttlMs) })
      .where('id', '=', registryId);
    if (!options.force) {
      q = q.where((eb) =>
        eb.or([
          eb('lease_owner', 'is', null),
          eb('lease_expires_at', 'is', null),
          eb('lease_expires_at', '<', at),
          eb('lease_owner', '=', owner),
        ]),
      );
    }
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Extend a lease still held by `owner`; false means it was lost (forced away) and the sync must stop. */
  async renew(registryId: string, owner: string, ttlMs: number, now: Date): Promise<boolean> {
    const res = await this.db
      .updateTable('helm_registries')
      .set({ lease_expires_at: expiry(now, ttlMs) })
      .where('id', '=', registryId)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Give the lease up; a no-op (false) when `owner` no longer holds it. */
  async release(registryId: string, owner: string): Promise<boolean> {
    const res = await this.db
      .updateTable('helm_registries')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('id', '=', registryId)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Show the registry as syncing while `owner` holds its lease. */
  async markSyncing(registryId: string, owner: string): Promise<boolean> {
    const res = await this.db
      .updateTable('helm_registries')
      .set({ sync_status: 'syncing' })
      .where('id', '=', registryId)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * Registries whose next sync is due: unprotected, synced from upstream (not hosted), not leased, and
   * never scheduled or scheduled at or before `now`. Never-synced ones first, then the longest overdue.
   */
  async dueForSync(
    now: Date,
    limit: number,
    kinds: ReadonlyArray<'helm' | 'oci'> = ['helm', 'oci'],
  ): Promise<SyncableRegistryRow[]> {
    const at = now.toISOString();
    return (
      this.db
        .selectFrom('helm_registries')
        .selectAll()
        .where('protected', '=', 0)
        .where('kind', 'in', kinds)
        .where((eb) =>
          eb.or([
            eb('lease_owner', 'is', null),
            eb('lease_expires_at', 'is', null),
            eb('lease_expires_at', '<', at),
          ]),
        )
        .where((eb) => eb.or([eb('next_sync_at', 'is', null), eb('next_sync_at', '<=', at)]))
        // NULLS FIRST spelled so both databases agree (their defaults differ).
        .orderBy(sql`coalesce(next_sync_at, '')`)
        .orderBy('id')
        .limit(limit)
        .execute()
    );
  }

  /**
   * Record a sync's outcome on its registry in one statement, only while `owner` still holds the
   * lease (false otherwise: a forced sync took over and its outcome wins). Pass the transaction that
   * commits the catalog so the counts and validators change with it.
   */
  async recordOutcome(
    registryId: string,
    owner: string,
    outcome: SyncOutcomeRecord,
    executor: Kysely<Database> = this.db,
  ): Promise<boolean> {
    const res = await executor
      .updateTable('helm_registries')
      .set({
        sync_status: outcome.syncStatus,
        last_error: outcome.lastError,
        failure_count: outcome.failureCount,
        next_sync_at: outcome.nextSyncAt.toISOString(),
        ...(outcome.lastSyncedAt !== undefined ? { last_synced_at: outcome.lastSyncedAt.toISOString() } : {}),
        ...(outcome.chartCount !== undefined ? { chart_count: outcome.chartCount } : {}),
        ...(outcome.versionCount !== undefined ? { version_count: outcome.versionCount } : {}),
        ...(outcome.etag !== undefined ? { sync_etag: outcome.etag } : {}),
        ...(outcome.ociSkippedTags !== undefined ? { oci_skipped_tags: outcome.ociSkippedTags } : {}),
        ...(outcome.lastModified !== undefined ? { sync_last_modified: outcome.lastModified } : {}),
        ...(outcome.contentDigest !== undefined ? { sync_content_digest: outcome.contentDigest } : {}),
      })
      .where('id', '=', registryId)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}

const expiry = (now: Date, ttlMs: number): string => new Date(now.getTime() + ttlMs).toISOString();
