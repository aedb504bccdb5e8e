import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { DatabaseUnavailableError } from '../shared/errors.js';
import { isDatabaseUnavailable } from './errors.js';

/**
 * `dialect` with every driver error that means "the database is unavailable" (see
 * {@link isDatabaseUnavailable}) rethrown as the catalogue's DatabaseUnavailableError: when a
 * connection is acquired, on every query, and on BEGIN, COMMIT and ROLLBACK. Doing it here, under
 * Kysely, means every caller (routes, the index workers, the scheduler, the janitor) sees one error
 * type, and each protocol's error handler maps it once, whatever query failed. Other errors (a
 * constraint violated, bad SQL) pass through untouched.
 */
export function withUnavailableErrors(dialect: Dialect): Dialect {
  return {
    createDriver: () => new TranslatingDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

function translate(err: unknown): unknown {
  return isDatabaseUnavailable(err) ? new DatabaseUnavailableError(err) : err;
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translate(err);
  }
}

class TranslatingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return guard(() => this.inner.executeQuery<R>(compiledQuery));
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize);
    } catch (err) {
      throw translate(err);
    }
  }
}

/** The inner driver's own connection: it keeps private state on it (pg's client, its release). */
function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof TranslatingConnection ? connection.inner : connection;
}

type CompileQuery = QueryCompiler['compileQuery'];

class TranslatingDriver implements Driver {
  savepoint?: (c: DatabaseConnection, name: string, compile: CompileQuery) => Promise<void>;
  rollbackToSavepoint?: (c: DatabaseConnection, name: string, compile: CompileQuery) => Promise<void>;
  releaseSavepoint?: (c: DatabaseConnection, name: string, compile: CompileQuery) => Promise<void>;

  constructor(private readonly inner: Driver) {
    // Savepoints exist only where the inner driver has them (Kysely checks for the methods).
    const { savepoint, rollbackToSavepoint, releaseSavepoint } = inner;
    if (savepoint)
      this.savepoint = (c, name, compile) => guard(() => savepoint.call(inner, unwrap(c), name, compile));
    if (rollbackToSavepoint)
      this.rollbackToSavepoint = (c, name, compile) =>
        guard(() => rollbackToSavepoint.call(inner, unwrap(c), name, compile));
    if (releaseSavepoint)
      this.releaseSavepoint = (c, name, compile) =>
        guard(() => releaseSavepoint.call(inner, unwrap(c), name, compile));
  }

  init(): Promise<void> {
    return guard(() => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new TranslatingConnection(await guard(() => this.inner.acquireConnection()));
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return guard(() => this.inner.beginTransaction(unwrap(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return guard(() => this.inner.commitTransaction(unwrap(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return guard(() => this.inner.rollbackTransaction(unwrap(connection)));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
