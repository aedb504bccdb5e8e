import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type MigrationProvider,
  type SqliteDatabase,
} from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';
import { withSqliteMigrationLock } from './sqlite-migration-lock.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Storage {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, or null on PostgreSQL. */
  sqliteFile: string | null;
  /** Cheap round trip used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StorageOptions {
  /** postgres:// URL; when null the embedded SQLite file under `dataDir` is used. */
  databaseUrl: string | null;
  dataDir: string;
  /** PostgreSQL pool size (default 10); a sync worker's own connection needs one. */
  maxConnections?: number;
}

/** Open the database chosen by configuration. Does not migrate: call `migrateToLatest`. */
export function openStorage(options: StorageOptions): Storage {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.maxConnections ?? 10 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      sqliteFile: null,
      ping: async () => {
        await pool.query('select 1');
      },
      close: () => db.destroy(),
    };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'charthouse.db');
  const sqlite = new SQLite(file);
  // WAL lets readers run while a writer commits; busy_timeout makes a second writer wait, not fail.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    sqliteFile: file,
    ping: async () => {
      sqlite.prepare('select 1').get();
    },
    close: () => db.destroy(),
  };
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
 * Kysely's advisory lock on PostgreSQL, our own side-file lock on SQLite.
 */
export async function migrateToLatest(storage: Storage): Promise<void> {
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
}
