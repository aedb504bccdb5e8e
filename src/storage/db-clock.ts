import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from './database.js';

/**
 * The database's clock, as SQL that yields the same text `Date.prototype.toISOString()` makes
 * (`2026-12-06T04:17:56.123Z`), so it compares in order with the ISO timestamps stored in varchar
 * columns. Used where processes on different hosts judge one another's liveness (job heartbeats and
 * leases): every process then reads one clock, however far its own runs ahead or behind.
 *
 * PostgreSQL: `statement_timestamp()`, not `now()` (frozen at the start of a long transaction) nor
 * `clock_timestamp()` (volatile: evaluated again for every row compared). SQLite: `'now'` is fixed for
 * the whole statement.
 */
export function dbNowIso(dialect: Dialect, minusMs = 0): RawBuilder<string> {
  const ms = Math.round(minusMs);
  if (dialect === 'sqlite') {
    return sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${`${-ms / 1000} seconds`})`;
  }
  return sql<string>`to_char((statement_timestamp() - ${ms}::integer * interval '1 millisecond') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
