import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import { DatabaseUnavailableError } from '../shared/errors.js';
import { withUnavailableErrors } from './dialect-errors.js';

/** A driver whose next failures are scripted, and which checks it always gets its own connection back. */
class ScriptedDriver implements Driver {
  readonly connection: DatabaseConnection;
  readonly log: string[] = [];
  fail: Partial<Record<'acquire' | 'query' | 'begin' | 'commit' | 'rollback', Error>> = {};

  constructor() {
    const fail = (): Partial<Record<string, Error>> => this.fail;
    const log = this.log;
    this.connection = {
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        log.push(query.sql);
        const err = fail()['query'];
        if (err) throw err;
        return { rows: [] };
      },
      // eslint-disable-next-line require-yield
      async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
        throw fail()['query'] ?? new Error('no stream');
      },
    };
  }

  private own(connection: DatabaseConnection): void {
    assert.equal(connection, this.connection, 'the inner driver gets its own connection object back');
  }

  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.fail.acquire) throw this.fail.acquire;
    return this.connection;
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    this.own(c);
    this.log.push('begin');
    if (this.fail.begin) throw this.fail.begin;
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    this.own(c);
    this.log.push('commit');
    if (this.fail.commit) throw this.fail.commit;
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    this.own(c);
    this.log.push('rollback');
    if (this.fail.rollback) throw this.fail.rollback;
  }
  async releaseConnection(c: DatabaseConnection): Promise<void> {
    this.own(c);
    this.log.push('release');
  }
  async destroy(): Promise<void> {}
}

function scripted(driver: Driver): Dialect {
  return {
    createDriver: () => driver,
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  };
}

function setup(): { db: Kysely<Record<string, never>>; driver: ScriptedDriver } {
  const driver = new ScriptedDriver();
  return { db: new Kysely({ dialect: withUnavailableErrors(scripted(driver)) }), driver };
}

const lost = (): Error => Object.assign(new Error('terminating connection'), { code: '57P01' });
const violated = (): Error => Object.assign(new Error('duplicate key'), { code: '23505' });

describe('withUnavailableErrors', () => {
  it('turns a lost connection into DatabaseUnavailableError, keeping the driver error as its cause', async () => {
    const { db, driver } = setup();
    const original = lost();
    driver.fail.query = original;
    const err = await sql`select 1`.execute(db).then(
      () => assert.fail('the query should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DatabaseUnavailableError);
    assert.equal(err.status, 503);
    assert.equal(err.code, 'database_unavailable');
    assert.equal(err.cause, original);
    assert.doesNotMatch(err.message, /terminating/, "the driver's words stay out of the client's message");
  });

  it('translates failures to connect, and to begin, commit or roll back a transaction', async () => {
    for (const step of ['acquire', 'begin', 'commit'] as const) {
      const { db, driver } = setup();
      driver.fail[step] = lost();
      await assert.rejects(
        db.transaction().execute((trx) => sql`select 1`.execute(trx)),
        DatabaseUnavailableError,
        step,
      );
    }
    // A query that fails on a dead connection, then a ROLLBACK that cannot be sent either.
    const { db, driver } = setup();
    driver.fail.query = violated();
    driver.fail.rollback = lost();
    await assert.rejects(
      db.transaction().execute((trx) => sql`insert`.execute(trx)),
      DatabaseUnavailableError,
    );
    assert.deepEqual(driver.log, ['begin', 'insert', 'rollback', 'release']);
  });

  it('passes errors of the query itself through untouched', async () => {
    const { db, driver } = setup();
    const original = violated();
    driver.fail.query = original;
    await assert.rejects(sql`insert`.execute(db), (err) => err === original);
    assert.deepEqual(driver.log, ['insert', 'release']);
  });

  it('translates a failing stream', async () => {
    const driver = new ScriptedDriver();
    driver.fail.query = lost();
    const wrapped = withUnavailableErrors(scripted(driver)).createDriver();
    const connection = await wrapped.acquireConnection();
    await assert.rejects(async () => {
      for await (const _ of connection.streamQuery(CompiledQuery.raw('select 1'))) void _;
    }, DatabaseUnavailableError);
    await wrapped.releaseConnection(connection);
    assert.equal(wrapped.savepoint, undefined, 'no savepoints where the inner driver has none');
  });
});
