/** True when a write failed on a UNIQUE constraint, on SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * PostgreSQL SQLSTATEs that mean "the server cannot serve this connection now", besides class 08
 * (connection exception): the backend was terminated (57P01 admin shutdown, which is also what
 * `pg_terminate_backend` and `pg_ctl stop -m fast` send), crashed (57P02), is starting up or shutting
 * down (57P03), or the server has no connection slot left (53300).
 */
const PG_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Socket errors on the way to the database server (node-postgres passes them through as they are). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * node-postgres reports a lost or unobtainable connection with plain Errors and no code; these are the
 * beginnings of their messages (pg 8 `client.js`, pg-pool 3 `index.js`).
 */
const PG_CONNECTION_MESSAGES = [
  // "Connection terminated unexpectedly", "Connection terminated due to connection timeout"
  'Connection terminated',
  // pg-pool: no connection came free (or none could be made) within connectionTimeoutMillis
  'timeout exceeded when trying to connect',
  // a query sent on a client whose socket already failed, or that was closed under it
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  // no answer within the statement's read timeout (storage/database.ts DEFAULT_QUERY_TIMEOUT_MS)
  'Query read timeout',
];

/**
 * Whether a database driver's error means the database is unavailable (connection lost or refused,
 * server restarting, pool exhausted past its timeout, SQLite locked past its busy timeout) rather than
 * a problem with the query itself. The one place these are recognised: storage/database.ts turns them
 * into the catalogue's 503 DatabaseUnavailableError. Only meant for errors raised by the drivers:
 * the message checks would be too loose for errors from anywhere else.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return classify(err, 0);
}

function classify(err: unknown, depth: number): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const { code, message, cause, errors } = err as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (/^08[0-9A-Z]{3}$/.test(code) || PG_UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code))
      return true;
    // better-sqlite3: SQLITE_BUSY (and _SNAPSHOT, _RECOVERY, _TIMEOUT) once busy_timeout has passed,
    // SQLITE_LOCKED (and _SHAREDCACHE, _VTAB).
    if (/^SQLITE_(BUSY|LOCKED)(_|$)/.test(code)) return true;
  }
  if (typeof message === 'string' && PG_CONNECTION_MESSAGES.some((m) => message.startsWith(m))) return true;
  // Node's connect with several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError.
  if (Array.isArray(errors) && errors.some((e) => classify(e, depth + 1))) return true;
  return classify(cause, depth + 1);
}
