import type { SyncWarning } from '../protocol/helm/chart-version.js';
import { inTransaction, type Db, type Tx } from '../storage/transaction.js';
import { CatalogDiffer, isSuspectShrink } from './catalog-diff.js';
import type { ChartVersionRepository, NewChartVersion } from './chart-version.repository.js';

/** Rows arriving batch by batch (a classic index is normalized while it is written), then warnings. */
export interface RowSource {
  batches: AsyncIterable<NewChartVersion[]>;
  /** The parse's and normalization's warnings; read once every batch has arrived. */
  warnings(): SyncWarning[];
  /**
   * Charts the source left out because they did not change since the catalog was written from it:
   * their stored versions stay as they are. Read once every batch has arrived.
   */
  kept?(): readonly string[];
}

/** What a write changed, and the registry's catalog after it. */
export interface CatalogWriteSummary {
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  /** The source's warnings, then the diff's (re-published versions). */
  warnings: SyncWarning[];
  charts: number;
  versions: number;
}

export interface CatalogWriteRequest {
  registryId: string;
  /**
   * Apply a suspect shrink: the caller has seen it before (a sync's previous run was held as suspect),
   * so the upstream really dropped those versions.
   */
  shrinkConfirmed: boolean;
  /**
   * Called inside the transaction once the catalog is written, for the caller to close its own record
   * of the write (a sync run) with it. Returning false rolls everything back: result `abandoned`.
   */
  close(trx: Tx, summary: CatalogWriteSummary): Promise<boolean>;
}

export type CatalogWriteResult =
  | ({ status: 'written' } & CatalogWriteSummary)
  /** A sudden shrink, held: nothing was written (see isSuspectShrink). */
  | { status: 'suspect'; stored: number; incoming: number; warnings: SyncWarning[] }
  /** `close` returned false: nothing was written. */
  | { status: 'abandoned' };

/** Thrown inside the transaction to roll back the writes of a suspect shrink. */
class SuspectShrink extends Error {
  constructor(readonly incoming: number) {
    super('suspect shrink');
  }
}

/** Thrown inside the transaction when the caller's `close` said no. */
class Abandoned extends Error {
  constructor() {
    super('catalog write abandoned by its caller');
  }
}

/**
 * The write side of the catalog: every change to `chart_versions` comes through here (and so through
 * ChartVersionRepository), whether a sync brings a registry's whole catalog or the hosted registry
 * one pushed or deleted version.
 */
export class CatalogWriter {
  constructor(
    private readonly db: Db,
    private readonly versions: ChartVersionRepository,
  ) {}

  /**
   * Make a registry's catalog equal `rows`: the diff against what is stored, written with the caller's
   * `close` in one transaction, so readers see the old catalog or the new one, never half; or hold a
   * suspect shrink. A classic index streams its rows instead ({@link commitStream}).
   */
  async commit(
    request: CatalogWriteRequest,
    rows: NewChartVersion[],
    warnings: SyncWarning[],
  ): Promise<CatalogWriteResult> {
    async function* once(): AsyncGenerator<NewChartVersion[]> {
      yield rows;
    }
    return this.commitStream(request, { batches: once(), warnings: () => warnings });
  }

  /**
   * {@link commit} for rows that arrive in batches: each batch is diffed and written as it comes, inside
   * the one transaction, and what is gone upstream is removed after the last. A shrink is judged at the
   * end, when the count is known; its writes are then rolled back. On SQLite the transaction holds the
   * write lock while batches arrive (other writers wait, readers do not).
   */
  async commitStream(request: CatalogWriteRequest, source: RowSource): Promise<CatalogWriteResult> {
    const { registryId, shrinkConfirmed, close } = request;
    const now = new Date();
    const stored = await this.versions.fingerprints(registryId);
    const differ = new CatalogDiffer(stored);
    let added = 0;
    let updated = 0;
    let warnings: SyncWarning[] = [];
    try {
      return await inTransaction(this.db, async (trx) => {
        for await (const rows of source.batches) {
          const diff = differ.add(rows);
          if (diff.insert.length > 0 || diff.update.length > 0) {
            await this.versions.applyDiff(trx, registryId, diff, now);
          }
          added += diff.insert.length;
          updated += diff.update.length;
        }
        differ.keepCharts(source.kept?.() ?? []);
        warnings = [...source.warnings(), ...differ.warnings];
        if (isSuspectShrink(stored.size, differ.rowCount) && !shrinkConfirmed) {
          throw new SuspectShrink(differ.rowCount);
        }
        const { remove, unchanged } = differ.finish();
        if (remove.length > 0) {
          await this.versions.applyDiff(trx, registryId, { insert: [], update: [], remove }, now);
        }
        const counts = await this.versions.countByRegistry(registryId, trx);
        const summary: CatalogWriteSummary = {
          added,
          updated,
          removed: remove.length,
          unchanged,
          warnings,
          charts: counts.charts,
          versions: counts.versions,
        };
        if (!(await close(trx, summary))) throw new Abandoned();
        return { status: 'written', ...summary };
      });
    } catch (error) {
      if (error instanceof SuspectShrink) {
        return { status: 'suspect', stored: stored.size, incoming: error.incoming, warnings };
      }
      if (error instanceof Abandoned) return { status: 'abandoned' };
      throw error;
    }
  }

  /**
   * A hosted chart version pushed (new, or replacing another archive under its number): its row,
   * written in the publisher's transaction.
   */
  async replaceVersion(trx: Tx, registryId: string, row: NewChartVersion, now: Date): Promise<void> {
    await this.versions.deleteVersion(trx, registryId, row.chart_name, row.version);
    await this.versions.applyDiff(trx, registryId, { insert: [row], update: [], remove: [] }, now);
  }

  /** A hosted chart version deleted: its row goes, in the publisher's transaction. */
  async removeVersion(trx: Tx, registryId: string, chartName: string, version: string): Promise<void> {
    await this.versions.deleteVersion(trx, registryId, chartName, version);
  }
}
