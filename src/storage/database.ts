import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type MigrationProvider,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  type SqliteDatabase,
} from 'kysely';
import pg from 'pg';
import { DatabaseUnavailableError } from '../shared/errors.js';
import { withUnavailableErrors } from './dialect-errors.js';
import { isDatabaseUnavailable } from './errors.js';
import { migrations } from './migrations/index.js';
import { countingConnections, type PoolStats } from './pool-stats.js';
import type { Database } from './schema.js';
import {
  pgRegistryRowsWatch,
  sqliteRegistryRowsWatch,
  TableWritesPlugin,
  type PgRegistryRowsWatch,
  type RegistryRowsWatch,
} from './registry-rows-watch.js';
import { withSqliteMigrationLock } from './sqlite-migration-lock.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Storage {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, or null on PostgreSQL. */
  sqliteFile: string | null;
  /** Cheap round trip used by /readyz; rejects within {@link PING_TIMEOUT_MS} when there is no answer. */
  ping(): Promise<void>;
  /** This process's connections now (the index-sync worker threads open their own, not counted here). */
  poolStats(): PoolStats;
  /** Whether registry rows changed since a stamp (registry-rows-watch.ts): for per-node caches. */
  registryRows: RegistryRowsWatch;
  close(): Promise<void>;
}

export type { PoolStats } from './pool-stats.js';

export interface StorageOptions {
  /** postgres:// URL; when null the embedded SQLite file under `dataDir` is used. */
  databaseUrl: string | null;
  dataDir: string;
  /** PostgreSQL pool size (default 10); a sync worker's own connection needs one. */
  maxConnections?: number;
  /**
   * How long a query waits for the database before failing with DatabaseUnavailableError (default
   * {@link DEFAULT_DATABASE_TIMEOUT_MS}): on PostgreSQL to connect or to get a pooled connection, on
   * SQLite for another connection's write lock (busy_timeout).
   */
  timeoutMs?: number;
  /**
   * PostgreSQL: how long a bounded statement (see {@link isBoundedStatement}) may wait for its answer
   * before its connection is given up as lost (DatabaseUnavailableError); 0 for no limit. Default
   * {@link DEFAULT_QUERY_TIMEOUT_MS}.
   */
  queryTimeoutMs?: number;
}

export const DEFAULT_DATABASE_TIMEOUT_MS = 5_000;
/**
 * A partition that silently drops packets on an established connection leaves a query waiting for
 * TCP's retransmission timeout (about 15 minutes on Linux): the request, and the pool's connection,
 * hang that long. Charthouse's own statements answer in milliseconds; 30 s leaves room for a loaded
 * database while bounding the hang well under nginx's 300 s read timeout.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
/** /readyz must answer quickly whatever the database does: an orchestrator's probe has its own deadline. */
export const PING_TIMEOUT_MS = 2_000;

/** Open the database chosen by configuration. Does not migrate: call `migrateToLatest`. */
export function openStorage(options: StorageOptions): Storage {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  if (options.databaseUrl) {
    const max = options.maxConnections ?? 10;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max,
      // Without it a request during a PostgreSQL restart (or with every connection busy) waits forever.
      connectionTimeoutMillis: timeoutMs,
    });
    // An idle client losing its connection: pg-pool drops it and reports it here; the next query reconnects.
    pool.on('error', () => undefined);
    // A client checked out (inside a query or a transaction) has no listener of the pool's, and pg
    // emits 'error' on it when its connection dies (pg_terminate_backend, a restart): unhandled, that
    // ends the process. With this listener on every client the pool ever makes, the error reaches the
    // query waiting on that client, the client is no longer queryable, and the pool discards it when
    // it is released. 'connect' is emitted synchronously before a new client is handed out.
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    const db = new Kysely<Database>({
      dialect: withUnavailableErrors(
        new PostgresDialect({ pool: discardingLostClients(pool, queryTimeoutMs) }),
      ),
      plugins: [new TableWritesPlugin('helm_registries', () => registryRows.localWrite())],
    });
    // Called only once queries run, by then assigned.
    const registryRows: PgRegistryRowsWatch = pgRegistryRowsWatch(db, options.databaseUrl);
    // pg's own read timeout frees the client when the server stops answering mid-query (its types
    // do not list the per-query setting yet).
    const pingQuery: pg.QueryConfig & { query_timeout: number } = {
      text: 'select 1',
      query_timeout: PING_TIMEOUT_MS,
    };
    return {
      db,
      dialect: 'postgres',
      sqliteFile: null,
      ping: () =>
        withDeadline(
          pool.query(pingQuery).then(() => undefined),
          Math.min(PING_TIMEOUT_MS, timeoutMs),
        ),
      poolStats: () => ({
        max,
        total: pool.totalCount,
        idle: pool.idleCount,
        inUse: pool.totalCount - pool.idleCount,
        waiting: pool.waitingCount,
      }),
      registryRows,
      close: async () => {
        await registryRows.close();
        await db.destroy();
      },
    };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'charthouse.db');
  const sqlite = new SQLite(file);
  // WAL lets readers run while a writer commits; busy_timeout makes a second writer wait, not fail at
  // once (past it, SQLITE_BUSY becomes DatabaseUnavailableError).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeoutMs))}`);
  sqlite.pragma('foreign_keys = ON');
  const counted = countingConnections(new SqliteDialect({ database: withStatementCache(sqlite) }), 1);
  const db = new Kysely<Database>({ dialect: withUnavailableErrors(counted.dialect) });
  return {
    db,
    dialect: 'sqlite',
    sqliteFile: file,
    ping: async () => {
      sqlite.prepare('select 1').get();
    },
    poolStats: counted.stats,
    registryRows: sqliteRegistryRowsWatch(sqlite),
    close: () => db.destroy(),
  };
}

/**
 * The pool as Kysely uses it, except that a client whose connection was lost during a query goes back
 * to the pool as broken, so the pool closes it instead of handing it to the next request. (The server's
 * FATAL "terminating connection" reaches the query before the socket's end marks the client unusable;
 * Kysely's plain `release()` in between would return a dead client to the idle list.)
 */
function discardingLostClients(pool: pg.Pool, queryTimeoutMs: number): PostgresPool {
  const statements = new StatementNames();
  return {
    connect: async () => new DiscardingClient(await pool.connect(), statements, queryTimeoutMs),
    end: () => pool.end(),
  };
}

class DiscardingClient implements PostgresPoolClient {
  private lost: Error | undefined;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly statements: StatementNames,
    private readonly queryTimeoutMs: number,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sql: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // The dialect is configured without a cursor class, so Kysely only ever sends SQL text.
    if (typeof sql !== 'string') throw new Error('streaming queries are not configured');
    const values = parameters === undefined ? [] : [...parameters];
    const name = this.statements.nameOf(sql, values.length);
    // pg's read timeout answers the query with an error and leaves the connection as it is; the error
    // counts as the database unavailable, so the client is discarded on release (below). (pg's types
    // do not list the per-query setting yet.)
    const bounded = this.queryTimeoutMs > 0 && isBoundedStatement(sql);
    const run = (named: string | undefined) => {
      const config: pg.QueryConfig & { query_timeout?: number } =
        named === undefined ? { text: sql, values } : { name: named, text: sql, values };
      if (bounded) config.query_timeout = this.queryTimeoutMs;
      return this.client.query(config);
    };
    return run(name)
      .catch((err: unknown) => {
        // A table changed under a prepared `select *` (another server migrated): this connection's
        // statements are stale, so it goes when released, and the query runs once more unprepared
        // (inside a transaction that retry fails too, and the transaction with it).
        if (name === undefined || !isStalePlan(err)) throw err;
        this.lost = err instanceof Error ? err : new Error(String(err));
        return run(undefined);
      })
      .then(
        (result) => result as unknown as PostgresQueryResult<R>,
        (err: unknown) => {
          if (isDatabaseUnavailable(err)) this.lost = err instanceof Error ? err : new Error(String(err));
          throw err;
        },
      );
  }

  release(): void {
    this.client.release(this.lost);
  }
}

/**
 * Whether a statement gets the read timeout: data statements and transaction control, which
 * Charthouse's requests and jobs send. Not DDL (a migration may rebuild a big table) and not a wait
 * for an advisory lock (a server starting while another migrates waits for as long as that takes).
 */
export function isBoundedStatement(sql: string): boolean {
  return (
    /^\s*(select|insert|update|delete|with|begin|start|commit|rollback|savepoint|release)\b/i.test(sql) &&
    !/pg_advisory/i.test(sql)
  );
}

/** Distinct statements prepared per connection at most; past it, new texts run unprepared. */
const MAX_PREPARED_STATEMENTS = 500;
/** Statements with more parameters (batched inserts, long IN lists) vary in text: not worth keeping. */
const MAX_PREPARED_PARAMETERS = 32;

/**
 * Names for PostgreSQL prepared statements, one per SQL text. A request's few small queries cost
 * PostgreSQL more to parse and plan than to run, and each of the pool's connections parses a named
 * statement once (pg remembers which it has), so repeats send only Bind and Execute. Only plain DML
 * with few parameters is named: DDL (migrations) and texts that vary with their data are not, which
 * keeps the statements a connection holds bounded.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  nameOf(sql: string, parameterCount: number): string | undefined {
    const known = this.names.get(sql);
    if (known !== undefined) return known;
    if (
      parameterCount > MAX_PREPARED_PARAMETERS ||
      this.names.size >= MAX_PREPARED_STATEMENTS ||
      !/^\s*(select|insert|update|delete|with)\s/i.test(sql)
    )
      return undefined;
    const name = `ch${this.names.size}`;
    this.names.set(sql, name);
    return name;
  }
}

/** PostgreSQL's refusal to run a prepared statement whose result columns a schema change altered. */
function isStalePlan(err: unknown): boolean {
  return (
    (err as { code?: unknown }).code === '0A000' &&
    /cached plan must not change result type/.test((err as Error).message)
  );
}

/**
 * `work`, or a DatabaseUnavailableError once `ms` have passed without an answer. The work itself is
 * not cancelled (its own timeouts end it); its late failure is ignored.
 */
function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DatabaseUnavailableError(new Error(`no answer within ${ms} ms`))),
      ms,
    );
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Prepared statements kept per connection; the application has fewer distinct queries than this. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query afresh; compiling the SQL then costs more than running
 * it for the small queries of an API request, and a sync's batched inserts repeat one statement text
 * dozens of times. Statements are kept by SQL text (least recently used dropped first). Reuse is safe:
 * the driver runs one query at a time on the connection, and a statement is reset when it runs again.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Bring the schema up to date, under a lock so several server processes starting at once migrate once:
 * Kysely's session-level advisory lock on PostgreSQL (pg_advisory_lock, held on one connection while
 * the migrations run in one transaction), our own side-file lock on SQLite. A process that waited for
 * the lock finds the schema current and applies nothing. Returns the names of the migrations applied.
 */
export async function migrateToLatest(storage: Storage): Promise<string[]> {
  const migrator = new Migrator({
    db: storage.db,
    provider,
    migrationTableName: 'charthouse_migrations',
    migrationLockTableName: 'charthouse_migration_lock',
  });
  const run = () => migrator.migrateToLatest();
  const { error, results } = storage.sqliteFile
    ? await withSqliteMigrationLock(storage.sqliteFile, run)
    : await run();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const name = failed ? ` (${failed.migrationName})` : '';
    throw new Error(
      `Database migration failed${name}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
