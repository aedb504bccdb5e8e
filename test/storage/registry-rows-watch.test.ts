import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Storage } from '../../src/storage/database.js';
import { registryRow } from '../support/registry-rows.js';
import { TEST_DB } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { freshStorages } from '../support/fresh-storage.js';

const { fresh, removeAll } = freshStorages('rowswatch');
after(removeAll);

/** The stamp once changes can be seen (on PostgreSQL: once the listening connection is up). */
const ready = (s: Storage): Promise<number> =>
  waitFor(() => s.registryRows.stamp() ?? false, { what: 'a stamp', timeoutMs: 10_000 }).then(Number);

describe(`the registry rows stamp (${TEST_DB})`, () => {
  it("moves with another connection's insert, update and delete of a registry, and only then", async () => {
    const { storage, open } = await fresh();
    const server = open();
    let stamp = await ready(server);
    const moved = async (what: string): Promise<void> => {
      const before = stamp;
      // SQLite reads the counter itself; PostgreSQL hears the NOTIFY sent at commit.
      stamp = await waitFor(
        () => (server.registryRows.stamp() !== before ? server.registryRows.stamp() : false),
        {
          what,
          timeoutMs: TEST_DB === 'sqlite' ? 0 : 5_000,
        },
      ).then(Number);
    };
    const row = registryRow({ name: 'watched' });
    await storage.db.insertInto('helm_registries').values(row).execute();
    await moved('insert');
    await storage.db
      .updateTable('helm_registries')
      .set({ name: 'renamed' })
      .where('id', '=', row.id)
      .execute();
    await moved('update');
    await storage.db
      .insertInto('tenants')
      .values({ id: 't1', name: 'other-table', display_name: 'Other', created_at: new Date().toISOString() })
      .execute();
    assert.equal(server.registryRows.stamp(), stamp, 'a write to another table is no registry change');
    await storage.db.deleteFrom('helm_registries').where('id', '=', row.id).execute();
    await moved('delete');
  });

  it("moves with the server's own write before its commit, and vouches for nothing inside a transaction", async () => {
    const { open } = await fresh();
    const server = open(1);
    const before = await ready(server);
    await server.db.transaction().execute(async (trx) => {
      await trx.insertInto('helm_registries').values(registryRow()).execute();
      // SQLite: the counter read here could be rolled back. PostgreSQL: NOTIFY waits for the commit,
      // so only the write itself can have moved the stamp, for this server's next request.
      const inside = server.registryRows.stamp();
      if (TEST_DB === 'sqlite') assert.equal(inside, null);
      else assert.notEqual(inside, before);
    });
    assert.notEqual(server.registryRows.stamp(), before);
  });
});
