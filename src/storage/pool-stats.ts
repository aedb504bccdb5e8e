import type { DatabaseConnection, Dialect, Driver, TransactionSettings } from 'kysely';

/**
 * The server's connections to its database at one moment (for metrics). PostgreSQL: the pool's own
 * figures. SQLite: its single connection, which Kysely lends to one query or transaction at a time;
 * `waiting` counts the queries queued behind the one holding it.
 */
export interface PoolStats {
  /** Connections the pool may open. */
  max: number;
  /** Connections open now (idle + in use). */
  total: number;
  idle: number;
  inUse: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

/**
 * `dialect` with its connections counted as Kysely acquires and releases them, for a driver that
 * keeps no figures of its own (SQLite's: one connection behind a mutex, see {@link PoolStats}).
 */
export function countingConnections(
  dialect: Dialect,
  max: number,
): { dialect: Dialect; stats: () => PoolStats } {
  const counts = { inUse: 0, waiting: 0 };
  return {
    dialect: {
      createDriver: () => new CountingDriver(dialect.createDriver(), counts),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: (db) => dialect.createIntrospector(db),
    },
    stats: () => ({
      max,
      total: max,
      idle: max - counts.inUse,
      inUse: counts.inUse,
      waiting: counts.waiting,
    }),
  };
}

class CountingDriver implements Driver {
  savepoint?: Driver['savepoint'];
  rollbackToSavepoint?: Driver['rollbackToSavepoint'];
  releaseSavepoint?: Driver['releaseSavepoint'];

  constructor(
    private readonly inner: Driver,
    private readonly counts: { inUse: number; waiting: number },
  ) {
    // Savepoints exist only where the inner driver has them (Kysely checks for the methods).
    this.savepoint = inner.savepoint?.bind(inner);
    this.rollbackToSavepoint = inner.rollbackToSavepoint?.bind(inner);
    this.releaseSavepoint = inner.releaseSavepoint?.bind(inner);
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    this.counts.waiting += 1;
    let connection: DatabaseConnection;
    try {
      connection = await this.inner.acquireConnection();
    } finally {
      this.counts.waiting -= 1;
    }
    this.counts.inUse += 1;
    return connection;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.counts.inUse -= 1;
    await this.inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
