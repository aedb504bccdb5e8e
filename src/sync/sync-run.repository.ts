import type { Kysely, Selectable } from 'kysely';
import { newId } from '../shared/ids.js';
import type { Database, SyncRunsTable } from '../storage/schema.js';

export type SyncTrigger = SyncRunsTable['trigger'];
export type SyncRunStatus = SyncRunsTable['status'];

/** A problem a sync skipped over, naming the offending entry where there is one. */
export interface SyncWarning {
  chart?: string;
  version?: string;
  message: string;
}

/** A sync run as stored, with its warnings decoded. */
export type SyncRun = Omit<Selectable<SyncRunsTable>, 'warnings'> & { warnings: SyncWarning[] };

export interface SyncRunOutcome {
  status: Exclude<SyncRunStatus, 'running'>;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  warnings: SyncWarning[];
  error: string | null;
  errorCode: string | null;
}

/** Keyset position in a registry's run history (newest first): the last run of the previous page. */
export interface SyncRunPosition {
  startedAt: string;
  id: string;
}

/*
 * A hostile index can carry 20,000 bad entries; a run record that size would make every history page
 * heavy. The first ones say what is wrong; the count says how much.
 */
export const MAX_STORED_WARNINGS = 1_000;

export const INTERRUPTED_CODE = 'sync_interrupted';
const INTERRUPTED_MESSAGE =
  'The sync was interrupted: the server running it stopped, or a forced sync took over, before it finished. ' +
  'The catalog was left as it was; the next sync starts over.';

/** The record of every sync: start, end, outcome, counts, warnings, error. */
export class SyncRunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Open a run. Call it holding the registry's lease: a run of the registry still `running` was left by
   * a process that stopped (or was forced out), and is closed as interrupted first.
   */
  async start(registryId: string, trigger: SyncTrigger, now: Date): Promise<SyncRun> {
    const row: Selectable<SyncRunsTable> = {
      id: newId(),
      registry_id: registryId,
      trigger,
      status: 'running',
      started_at: now.toISOString(),
      finished_at: null,
      added: 0,
      updated: 0,
      removed: 0,
      unchanged: 0,
      warnings: '[]',
      error: null,
      error_code: null,
    };
    // Read first: a run left open is rare, and a write here would cost every sync a statement.
    const orphans = await this.db
      .selectFrom('sync_runs')
      .select('id')
      .where('registry_id', '=', registryId)
      .where('status', '=', 'running')
      .execute();
    if (orphans.length > 0) {
      await this.db
        .updateTable('sync_runs')
        .set(interrupted(now))
        .where(
          'id',
          'in',
          orphans.map((r) => r.id),
        )
        .where('status', '=', 'running')
        .execute();
    }
    await this.db.insertInto('sync_runs').values(row).execute();
    return decode(row);
  }

  /**
   * Close a run. Pass the transaction that commits the catalog, so the run and the catalog change
   * together. Returns false when the run was no longer `running` (closed by {@link failStale} because its
   * process looked dead): the caller should then roll back, since another sync may own the registry.
   */
  async finish(
    executor: Kysely<Database>,
    runId: string,
    outcome: SyncRunOutcome,
    now: Date,
  ): Promise<boolean> {
    const res = await executor
      .updateTable('sync_runs')
      .set({
        status: outcome.status,
        finished_at: now.toISOString(),
        added: outcome.added,
        updated: outcome.updated,
        removed: outcome.removed,
        unchanged: outcome.unchanged,
        warnings: JSON.stringify(capWarnings(outcome.warnings)),
        error: outcome.error,
        error_code: outcome.errorCode,
      })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** A registry's runs, newest first, starting after `after`. */
  async listForRegistry(registryId: string, limit: number, after?: SyncRunPosition): Promise<SyncRun[]> {
    let q = this.db.selectFrom('sync_runs').selectAll().where('registry_id', '=', registryId);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('started_at', '<', after.startedAt),
          eb.and([eb('started_at', '=', after.startedAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(decode);
  }

  /** One run of a registry; the registry id keeps a run of another tenant's registry out of reach. */
  async get(registryId: string, runId: string): Promise<SyncRun | undefined> {
    const row = await this.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('id', '=', runId)
      .where('registry_id', '=', registryId)
      .executeTakeFirst();
    return row && decode(row);
  }

  /**
   * Mark as failed the runs left `running` by a process that stopped: those on a registry not among
   * `syncing()` (the registries whose sync lease a live process holds, from jobs/job-leases.ts survey).
   * Returns how many runs were closed.
   *
   * The open runs are read before `syncing` is asked, and no start time is compared: a sync takes its
   * lease before it opens its run, so every run read here already had its lease when the leases were
   * looked at, and a run opened after the read is not touched. (Comparing `started_at`, written by
   * another host's clock, with this host's would fail a run just opened by a host whose clock is
   * behind.) A read first also because on SQLite an UPDATE takes the write lock even when it matches
   * nothing, and waits (on the server's thread) while a big sync holds it.
   */
  async failStale(syncing: () => Promise<readonly string[]>, now = new Date()): Promise<number> {
    const open = await this.db
      .selectFrom('sync_runs')
      .select(['id', 'registry_id'])
      .where('status', '=', 'running')
      .execute();
    if (open.length === 0) return 0;
    const busy = new Set(await syncing());
    const ids = open.filter((r) => !busy.has(r.registry_id)).map((r) => r.id);
    if (ids.length === 0) return 0;
    const res = await this.db
      .updateTable('sync_runs')
      .set(interrupted(now))
      .where('id', 'in', ids)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }
}

const interrupted = (now: Date) =>
  ({
    status: 'failed',
    finished_at: now.toISOString(),
    error: INTERRUPTED_MESSAGE,
    error_code: INTERRUPTED_CODE,
  }) as const;

function decode(row: Selectable<SyncRunsTable>): SyncRun {
  return { ...row, warnings: JSON.parse(row.warnings) as SyncWarning[] };
}

function capWarnings(warnings: SyncWarning[]): SyncWarning[] {
  if (warnings.length <= MAX_STORED_WARNINGS) return warnings;
  const kept = warnings.slice(0, MAX_STORED_WARNINGS - 1);
  kept.push({ message: `${warnings.length - kept.length} more warnings were not stored.` });
  return kept;
}
