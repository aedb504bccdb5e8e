import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { isBoundedStatement, openStorage, type Storage } from '../../src/storage/database.js';
import { openPgNotifyChannel, type NotifyChannel } from '../../src/storage/notify-channel.js';
import { DatabaseUnavailableError } from '../../src/shared/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

/*
 * PostgreSQL's connections when a partition silently drops their packets (the TCP proxy blackholes
 * established connections instead of resetting them): without a bound a query would wait for TCP's
 * retransmission timeout, and a listening connection would look alive for hours. PostgreSQL always,
 * whichever database the suite runs on: this is the PostgreSQL driver's behaviour.
 */
describe('PostgreSQL connections cut silently by a partition', { timeout: 90_000 }, () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let storage: Storage;
  let channel: NotifyChannel | undefined;

  before(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    storage = openStorage({
      databaseUrl: proxy.through(db.url),
      dataDir: '/nonexistent',
      maxConnections: 1,
      timeoutMs: 1_000,
      queryTimeoutMs: 1_000,
    });
  });
  after(async () => {
    await channel?.close();
    await storage?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('fails a query on a connection that no longer answers, then serves on a new one once healed', async () => {
    await sql`select 1`.execute(storage.db);
    assert.equal(storage.poolStats().total, 1);
    proxy.cut('blackhole');
    const started = Date.now();
    await assert.rejects(sql`select 1`.execute(storage.db), DatabaseUnavailableError);
    // The read timeout (1 s), not TCP's retransmission timeout (minutes).
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    // While cut, a new connection cannot be made either: unavailable again, within the connect timeout.
    await assert.rejects(sql`select 1`.execute(storage.db), DatabaseUnavailableError);
    proxy.restore();
    // The silent connection was discarded, not handed out again: the next query gets a new one.
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(storage.db);
    assert.deepEqual(rows, [{ one: 1 }]);
    await storage.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
    });
  });

  it('finds a listening connection a partition cut, and listens again once healed', async () => {
    let connections = 0;
    let errors = 0;
    const heard: string[] = [];
    channel = openPgNotifyChannel({
      db: storage.db,
      databaseUrl: proxy.through(db.url),
      channel: 'partition_test',
      onMessage: (payload) => heard.push(payload),
      onConnected: () => (connections += 1),
      onError: () => (errors += 1),
      probeMs: 300,
    });
    await waitFor(() => connections === 1, { what: 'the channel listens' });
    proxy.cut('blackhole');
    await waitFor(() => errors > 0, { what: 'the probe finds the connection dead', timeoutMs: 30_000 });
    proxy.restore();
    await waitFor(() => connections === 2, { what: 'the channel listens again', timeoutMs: 30_000 });
    await channel.publish('after');
    await waitFor(() => heard.includes('after'), { what: 'a message after the partition' });
  });

  it('bounds data statements and transaction control, not DDL or advisory-lock waits', () => {
    for (const bounded of [
      'select * from "tenants" where "id" = $1',
      '\n  with x as (select 1) select * from x',
      'insert into t values ($1)',
      'update t set a = 1',
      'delete from t',
      'begin',
      'start transaction isolation level serializable',
      'commit',
      'rollback',
    ])
      assert.ok(isBoundedStatement(bounded), bounded);
    for (const unbounded of [
      'create index "chart_versions_name" on "chart_versions" ("name")',
      'alter table t add column c text',
      'drop table t',
      'select pg_advisory_xact_lock(3853314791062309107)',
    ])
      assert.ok(!isBoundedStatement(unbounded), unbounded);
  });
});
