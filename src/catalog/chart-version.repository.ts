import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import { newId } from '../shared/ids.js';
import type { Dialect } from '../storage/database.js';
import type { ChartVersionsTable, Database } from '../storage/schema.js';

export type ChartVersionRow = Selectable<ChartVersionsTable>;

/**
 * A chart version as the sync engine hands it over: the row without the columns storage owns (id,
 * registry, timestamps, the re-published flag).
 *
 * JSON columns (`sources`, `keywords`, `maintainers`, `urls`, `dependencies`, `annotations`) arrive as
 * JSON text and `deprecated` as 0/1: the caller (the sync engine, mapping the protocol layer's
 * `ChartVersionRecord`, ideally in its parse worker) serializes them, and the repository writes them
 * untouched. Storage thus stays free of protocol types, and reads hand back the same text.
 * `content_hash` is the protocol layer's hash of the record; it is compared, never recomputed, here.
 *
 * Strings must fit PostgreSQL as well as SQLite: varchar columns within {@link COLUMN_LIMITS} (checked),
 * and no NUL character anywhere (PostgreSQL text cannot hold one; the protocol layer strips control
 * characters).
 */
export type NewChartVersion = Omit<
  ChartVersionsTable,
  'id' | 'registry_id' | 'republished' | 'first_seen_at' | 'updated_at'
>;

/** A changed version: its id (from {@link ChartVersionRepository.fingerprints}) and whether its digest changed. */
export type ChartVersionUpdate = NewChartVersion & { id: string; republished: boolean };

export interface CatalogDiff {
  insert: NewChartVersion[];
  update: ChartVersionUpdate[];
  /** Ids of versions gone upstream. */
  remove: string[];
}

export interface AppliedDiff {
  inserted: number;
  updated: number;
  removed: number;
}

export interface ChartVersionFingerprint {
  id: string;
  contentHash: string;
  digest: string | null;
}

/**
 * Widths of the varchar columns (which PostgreSQL enforces and SQLite does not): applyDiff refuses
 * longer values on both databases alike. The protocol layer's own limits are lower.
 */
export const COLUMN_LIMITS = { chart_name: 255, version: 256, sort_key: 1024, content_hash: 64 } as const;

/** The key of {@link ChartVersionRepository.fingerprints}: name and version, NUL-separated. */
export const fingerprintKey = (chartName: string, version: string): string => `${chartName}\u0000${version}`;

/*
 * How rows reach each database, chosen by measurement (bench/catalog-write.bench.ts, 20,000 versions):
 * - PostgreSQL: one `INSERT ... SELECT FROM unnest($3::text[], ...)` per 2,000 rows, every column an
 *   array parameter. About 40% faster than multi-row VALUES (which must also stay under the 65,535
 *   bind-parameter limit of the wire protocol), and the parameter count no longer grows with the rows.
 *   Much larger arrays get slower again.
 * - SQLite: multi-row VALUES of a few hundred rows, bounded by SQLite's 32,766 variables. Kysely
 *   prepares every statement afresh, so a statement's cost is its parse plus its rows; a few hundred
 *   rows amortize the parse (one row per freshly prepared statement is about 2x slower).
 */
const POSTGRES_BATCH_ROWS = 2_000;
const SQLITE_BATCH_ROWS = 500;
const SQLITE_MAX_VARIABLES = 32_766;

/** Ids per DELETE statement (one bind parameter each). */
const DELETE_BATCH = 5_000;

// Column order of every write; the type checks below make sure no column of NewChartVersion is left out.
const ENTRY_COLUMNS = [
  'chart_name',
  'version',
  'sort_key',
  'app_version',
  'api_version',
  'type',
  'description',
  'icon',
  'home',
  'sources',
  'keywords',
  'maintainers',
  'kube_version',
  'deprecated',
  'created',
  'digest',
  'urls',
  'chart_url',
  'dependencies',
  'annotations',
  'content_hash',
] as const satisfies ReadonlyArray<keyof NewChartVersion>;
type MissingColumn = Exclude<keyof NewChartVersion, (typeof ENTRY_COLUMNS)[number]>;
const everyColumnWritten: [MissingColumn] extends [never] ? true : MissingColumn = true;
void everyColumnWritten;

const WRITE_COLUMNS = [
  'id',
  'registry_id',
  ...ENTRY_COLUMNS,
  'republished',
  'first_seen_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof ChartVersionsTable>;

/*
 * What an update may change: everything but the identity (id, registry, name, version) and the first
 * sighting. The re-published flag is sticky: a version whose content was once swapped upstream stays
 * marked even when later syncs see no new swap.
 */
const UPDATE_SET = [
  ...ENTRY_COLUMNS.filter((c) => c !== 'chart_name' && c !== 'version').map(
    (c) => `"${c}" = excluded."${c}"`,
  ),
  `"republished" = CASE WHEN excluded."republished" = 1 THEN 1 ELSE chart_versions."republished" END`,
  `"updated_at" = excluded."updated_at"`,
].join(', ');

const ON_CONFLICT_UPDATE =
  ` on conflict ("id") do update set ${UPDATE_SET}` +
  ` where chart_versions."registry_id" = excluded."registry_id"`;

const COLUMN_LIST = WRITE_COLUMNS.map((c) => `"${c}"`).join(', ');

/*
 * PostgreSQL: the per-row values travel as one array per column. `registry_id` and the timestamps are
 * the same for every row and travel once ($1, $2).
 */
const UNNEST_COLUMNS = ['id', ...ENTRY_COLUMNS, 'republished'] as const;
const INTEGER_COLUMNS: ReadonlySet<string> = new Set(['deprecated', 'republished']);
const UNNEST_INSERT =
  `insert into chart_versions (${COLUMN_LIST}) ` +
  `select u."id", $1, ${ENTRY_COLUMNS.map((c) => `u."${c}"`).join(', ')}, u."republished", $2, $2 ` +
  `from unnest(${UNNEST_COLUMNS.map((c, i) => `$${i + 3}::${INTEGER_COLUMNS.has(c) ? 'integer' : 'text'}[]`).join(', ')}) ` +
  `as u(${UNNEST_COLUMNS.map((c) => `"${c}"`).join(', ')})`;

interface WriteRow {
  id: string;
  entry: NewChartVersion;
  republished: 0 | 1;
}

/**
 * Storage of the chart catalog: one row per chart version of a synced registry. Callers reach a
 * registry's versions through its id, which the registry service resolves within the caller's scope.
 */
export class ChartVersionRepository {
  /** SQLite statement text by row count and kind; a sync uses at most two sizes of each. */
  private readonly sqliteStatements = new Map<string, string>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** What the catalog holds for a registry, keyed by {@link fingerprintKey}: enough to diff an index. */
  async fingerprints(
    registryId: string,
    executor: Kysely<Database> = this.db,
  ): Promise<Map<string, ChartVersionFingerprint>> {
    const rows = await executor
      .selectFrom('chart_versions')
      .select(['id', 'chart_name', 'version', 'content_hash', 'digest'])
      .where('registry_id', '=', registryId)
      .execute();
    const map = new Map<string, ChartVersionFingerprint>();
    for (const r of rows) {
      map.set(fingerprintKey(r.chart_name, r.version), {
        id: r.id,
        contentHash: r.content_hash,
        digest: r.digest,
      });
    }
    return map;
  }

  /**
   * Write one sync's changes. Pass the transaction that also records the sync's outcome, so readers see
   * the old catalog or the new one, never half; given a plain database handle it opens its own.
   *
   * `update` is an upsert on the id, confined to `registryId`: a row of another registry is never
   * touched, and naming one fails the call (rolling the transaction back).
   */
  async applyDiff(
    executor: Kysely<Database>,
    registryId: string,
    diff: CatalogDiff,
    now: Date,
  ): Promise<AppliedDiff> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => this.applyDiff(trx, registryId, diff, now));
    }
    for (const v of diff.insert) checkWidths(v);
    for (const v of diff.update) checkWidths(v);
    const at = now.toISOString();
    let removed = 0;
    // Removals first, so a version removed and re-added within one diff cannot collide with itself.
    for (let i = 0; i < diff.remove.length; i += DELETE_BATCH) {
      const res = await executor
        .deleteFrom('chart_versions')
        .where('registry_id', '=', registryId)
        .where('id', 'in', diff.remove.slice(i, i + DELETE_BATCH))
        .executeTakeFirst();
      removed += Number(res.numDeletedRows);
    }
    const updates: WriteRow[] = diff.update.map((u) => ({
      id: u.id,
      entry: u,
      republished: u.republished ? 1 : 0,
    }));
    const updated = await this.write(executor, registryId, updates, true, at);
    if (updated !== updates.length) {
      throw new Error(`applyDiff: an updated chart version does not belong to registry ${registryId}`);
    }
    const inserts: WriteRow[] = diff.insert.map((entry) => ({ id: newId(), entry, republished: 0 }));
    const inserted = await this.write(executor, registryId, inserts, false, at);
    return { inserted, updated, removed };
  }

  /**
   * Deletes one version of a registry's chart, if there is one; returns how many rows went (0 or 1). The
   * hosted registry's removals and replacements, in the publisher's transaction.
   */
  async deleteVersion(
    executor: Kysely<Database>,
    registryId: string,
    chartName: string,
    version: string,
  ): Promise<number> {
    const res = await executor
      .deleteFrom('chart_versions')
      .where('registry_id', '=', registryId)
      .where('chart_name', '=', chartName)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Every version of a registry as a sync hands it over (without the columns storage owns). */
  async entries(registryId: string, executor: Kysely<Database> = this.db): Promise<NewChartVersion[]> {
    const rows = await executor
      .selectFrom('chart_versions')
      .selectAll()
      .where('registry_id', '=', registryId)
      .execute();
    return rows.map((row) => {
      const { id: _id, registry_id: _registry, republished: _republished, ...rest } = row;
      const { first_seen_at: _first, updated_at: _updated, ...entry } = rest;
      return entry;
    });
  }

  async countByRegistry(
    registryId: string,
    executor: Kysely<Database> = this.db,
  ): Promise<{ charts: number; versions: number }> {
    const row = await executor
      .selectFrom('chart_versions')
      .select((eb) => [
        eb.fn.count<number | string | bigint>('chart_name').distinct().as('charts'),
        eb.fn.countAll<number | string | bigint>().as('versions'),
      ])
      .where('registry_id', '=', registryId)
      .executeTakeFirstOrThrow();
    // PostgreSQL returns count() as a bigint string.
    return { charts: Number(row.charts), versions: Number(row.versions) };
  }

  /** Every version of a chart, newest (highest SemVer) first. */
  async listVersions(registryId: string, chartName: string): Promise<ChartVersionRow[]> {
    return (
      this.db
        .selectFrom('chart_versions')
        .selectAll()
        .where('registry_id', '=', registryId)
        .where('chart_name', '=', chartName)
        .orderBy('sort_key', 'desc')
        // Build metadata gives two versions one precedence (1.0.0+a, 1.0.0+b): the version breaks the tie.
        .orderBy('version', 'desc')
        .execute()
    );
  }

  /**
   * Insert (or upsert by id) rows in batches; returns the rows written. The SQL is built by hand rather
   * than through the query builder: at 20,000 rows the builder's per-value nodes cost more than the
   * database's own work.
   */
  private async write(
    executor: Kysely<Database>,
    registryId: string,
    rows: WriteRow[],
    upsert: boolean,
    at: string,
  ): Promise<number> {
    let written = 0;
    const batchRows =
      this.dialect === 'postgres'
        ? POSTGRES_BATCH_ROWS
        : Math.min(SQLITE_BATCH_ROWS, Math.floor(SQLITE_MAX_VARIABLES / WRITE_COLUMNS.length));
    for (let i = 0; i < rows.length; i += batchRows) {
      const batch = rows.slice(i, i + batchRows);
      const query =
        this.dialect === 'postgres'
          ? unnestQuery(batch, registryId, at, upsert)
          : CompiledQuery.raw(this.sqliteSql(batch.length, upsert), valuesParams(batch, registryId, at));
      const res = await executor.executeQuery(query);
      written += Number(res.numAffectedRows ?? 0);
    }
    return written;
  }

  private sqliteSql(rows: number, upsert: boolean): string {
    const cacheKey = `${rows}:${upsert}`;
    let text = this.sqliteStatements.get(cacheKey);
    if (text === undefined) {
      const tuple = `(${WRITE_COLUMNS.map(() => '?').join(', ')})`;
      text =
        `insert into chart_versions (${COLUMN_LIST}) values ${Array(rows).fill(tuple).join(', ')}` +
        (upsert ? ON_CONFLICT_UPDATE : '');
      this.sqliteStatements.set(cacheKey, text);
    }
    return text;
  }
}

/** Same failure on both databases, before any write, instead of PostgreSQL's alone mid-transaction. */
function checkWidths(v: NewChartVersion): void {
  for (const column of ['chart_name', 'version', 'sort_key', 'content_hash'] as const) {
    if (v[column].length > COLUMN_LIMITS[column]) {
      throw new Error(
        `applyDiff: ${column} of ${v.chart_name.slice(0, 80)} ${v.version.slice(0, 80)} is longer than ` +
          `${COLUMN_LIMITS[column]} characters`,
      );
    }
  }
}

/** Parameters of a multi-row VALUES statement, in WRITE_COLUMNS order. */
function valuesParams(rows: WriteRow[], registryId: string, at: string): unknown[] {
  const params: unknown[] = [];
  for (const { id, entry, republished } of rows) {
    params.push(id, registryId);
    // `?? null`: a field left undefined by a caller must bind as NULL, which better-sqlite3 insists on.
    for (const c of ENTRY_COLUMNS) params.push(entry[c] ?? null);
    params.push(republished, at, at);
  }
  return params;
}

function unnestQuery(rows: WriteRow[], registryId: string, at: string, upsert: boolean): CompiledQuery {
  const ids: string[] = [];
  const republished: number[] = [];
  const columns = ENTRY_COLUMNS.map(() => [] as unknown[]);
  for (const row of rows) {
    ids.push(row.id);
    republished.push(row.republished);
    ENTRY_COLUMNS.forEach((c, k) => columns[k]!.push(row.entry[c] ?? null));
  }
  return CompiledQuery.raw(UNNEST_INSERT + (upsert ? ON_CONFLICT_UPDATE : ''), [
    registryId,
    at,
    ids,
    ...columns,
    republished,
  ]);
}
