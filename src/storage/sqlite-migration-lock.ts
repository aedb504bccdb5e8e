import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';

/**
 * Kysely's migration lock is a no-op on SQLite (it assumes one connection), so two processes starting
 * on the same file could both run a migration. This lock is a write transaction on a small side file:
 * `BEGIN IMMEDIATE` is taken by one connection at a time across processes. It is polled rather than
 * waited for with busy_timeout, because better-sqlite3 waits synchronously and would freeze the event
 * loop of a process that holds the lock itself.
 */
export async function withSqliteMigrationLock<T>(
  databaseFile: string,
  fn: () => Promise<T>,
  timeoutMs = 60_000,
): Promise<T> {
  const lock = new SQLite(`${databaseFile}.migration-lock`);
  lock.pragma('busy_timeout = 0');
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        lock.exec('BEGIN IMMEDIATE');
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
        await sleep(25);
      }
    }
    try {
      return await fn();
    } finally {
      lock.exec('ROLLBACK');
    }
  } finally {
    lock.close();
  }
}
