import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChartVersionRepository } from '../../src/catalog/chart-version.repository.js';
import { versionSortKey } from '../../src/protocol/helm/semver-sort.js';
import { newId } from '../../src/shared/ids.js';
import { openStorage, type Storage } from '../../src/storage/database.js';
import { chartVersionRow } from '../fixtures/chart-rows.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { registryRow } from '../support/registry-rows.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { twoServersOnOnePostgres } from '../support/shared-database.js';
import { waitFor } from '../support/wait.js';

/**
 * Servers keep registry rows in memory (src/registries/visible-registries.ts). On SQLite a change by
 * any connection is seen by the next request; on PostgreSQL a change by another server or connection
 * arrives by NOTIFY at its commit, which these tests allow 2 s (it takes milliseconds), and a change
 * made through a server is seen by that server's next request.
 */
const seen = async (check: () => Promise<boolean>, what: string): Promise<void> => {
  if (TEST_DB === 'sqlite') assert.ok(await check(), `${what}: not at once`);
  else await waitFor(check, { what, timeoutMs: 2_000 });
};

interface Hits {
  items: { name: string; latestVersion: string; registry: { name: string } }[];
}

describe(`registry rows cached per server stay true to the database (${TEST_DB})`, () => {
  let pg: TestDatabase | undefined;
  let server: TestServer;
  let other: Storage;
  let member: string;
  const tenant = 'rowcache';

  before(async () => {
    pg = TEST_DB === 'postgres' ? await createTestDatabase() : undefined;
    server = await startTestServer(pg ? { CHARTHOUSE_DATABASE_URL: pg.url } : {});
    // Another connection to the same database, as a sync worker thread, the CLI or another server has.
    other = openStorage({ databaseUrl: pg?.url ?? null, dataDir: server.dataDir });
    member = (await createTenant(server, tenant)).memberToken;
  });
  after(async () => {
    await other?.close();
    await server?.close();
    await pg?.drop();
  });

  const search = async (q: string): Promise<string[]> => {
    const res = await server.api<Hits>('GET', `/api/v1/tenants/${tenant}/charts?q=${q}`, { token: member });
    assert.equal(res.status, 200);
    return res.body.items.map((h) => `${h.registry.name}/${h.name}@${h.latestVersion}`);
  };
  const status = async (name: string): Promise<number> =>
    (await server.api('GET', `/api/v1/tenants/${tenant}/registries/helm/${name}`, { token: member })).status;

  it('sees registries another connection adds, renames, re-syncs and deletes on the next request', async () => {
    const id = newId();
    await other.db
      .insertInto('helm_registries')
      .values(
        registryRow({ id, name: 'outside', sync_status: 'synced', last_synced_at: new Date().toISOString() }),
      )
      .execute();
    const versions = new ChartVersionRepository(other.db, other.dialect);
    const row = (v: string) => chartVersionRow('cached-chart', v, { sort_key: versionSortKey(v)! });
    await versions.applyDiff(other.db, id, { insert: [row('1.0.0')], update: [], remove: [] }, new Date());
    await seen(async () => (await status('outside')) === 200, 'a new registry');
    assert.deepEqual(await search('cached-chart'), ['outside/cached-chart@1.0.0']);
    // Asked twice: the second answer comes from the rows this server now keeps.
    assert.equal(await status('outside'), 200);

    await other.db.updateTable('helm_registries').set({ name: 'renamed' }).where('id', '=', id).execute();
    await seen(async () => (await status('renamed')) === 200, 'the new name');
    assert.equal(await status('outside'), 404);
    assert.deepEqual(await search('cached-chart'), ['renamed/cached-chart@1.0.0']);

    // A sync commits its catalog and the registry's stamp (Last Synced, counts) in one transaction.
    await other.db.transaction().execute(async (trx) => {
      await versions.applyDiff(trx, id, { insert: [row('2.0.0')], update: [], remove: [] }, new Date());
      await trx
        .updateTable('helm_registries')
        .set({ last_synced_at: new Date(Date.now() + 1_000).toISOString(), version_count: 2 })
        .where('id', '=', id)
        .execute();
    });
    await seen(
      async () => (await search('cached-chart')).join() === 'renamed/cached-chart@2.0.0',
      'the re-synced catalog',
    );

    await other.db.deleteFrom('helm_registries').where('id', '=', id).execute();
    await seen(async () => (await status('renamed')) === 404, 'the deletion');
    assert.deepEqual(await search('cached-chart'), []);
  });

  it("answers a change made through the server with the server's next request", async () => {
    const id = newId();
    await other.db
      .insertInto('helm_registries')
      .values(registryRow({ id, name: 'doomed' }))
      .execute();
    await seen(async () => (await status('doomed')) === 200, 'a new registry');
    const deleted = await server.api('DELETE', '/api/v1/system/registries/helm/doomed');
    assert.equal(deleted.status, 204);
    assert.equal(await status('doomed'), 404);
  });
});

// Several servers share a database only on PostgreSQL.
if (TEST_DB === 'postgres') {
  describe('a registry changed through one server is seen by another (postgres)', () => {
    const servers = twoServersOnOnePostgres();

    it('answers 404 on the other server once a registry is deleted, and the new name after a rename', async () => {
      const { one, two, db } = servers;
      const t = await createTenant(one, 'rowcache-two');
      const writer = openStorage({ databaseUrl: db.url, dataDir: path.join(one.dataDir, 'unused') });
      try {
        await writer.db
          .insertInto('helm_registries')
          .values(registryRow({ name: 'shared-a' }))
          .execute();
        await writer.db
          .insertInto('helm_registries')
          .values(registryRow({ name: 'shared-b' }))
          .execute();
      } finally {
        await writer.close();
      }
      const on = (server: TestServer, name: string) =>
        server.api('GET', `/api/v1/tenants/rowcache-two/registries/helm/${name}`, { token: t.memberToken });
      await waitFor(async () => (await on(two, 'shared-a')).status === 200, {
        what: 'shared-a on two',
        timeoutMs: 2_000,
      });
      assert.equal((await on(two, 'shared-b')).status, 200);

      assert.equal((await one.api('DELETE', '/api/v1/system/registries/helm/shared-a')).status, 204);
      await waitFor(async () => (await on(two, 'shared-a')).status === 404, {
        what: 'shared-a still found on two',
        timeoutMs: 2_000,
      });
      const renamed = await one.api('PATCH', '/api/v1/system/registries/helm/shared-b', {
        body: { name: 'shared-c' },
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      await waitFor(async () => (await on(two, 'shared-c')).status === 200, {
        what: 'shared-c not found on two',
        timeoutMs: 2_000,
      });
      assert.equal((await on(two, 'shared-b')).status, 404);
    });
  });
}
