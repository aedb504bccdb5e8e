import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Storage } from '../../src/storage/database.js';
import { freshStorages } from '../support/fresh-storage.js';
import { deferred } from '../support/job-doubles.js';
import { TEST_DB } from '../support/server.js';
import { waitFor } from '../support/wait.js';

describe(`Storage.poolStats (${TEST_DB})`, () => {
  const storages = freshStorages('pool');
  let storage: Storage;
  before(async () => {
    // One connection on either database, so a second query has to wait for it.
    storage = (await storages.fresh({ migrate: false })).open(1);
  });
  after(() => storages.removeAll());

  it('counts the connection a transaction holds, and the query waiting behind it', async () => {
    await sql`select 1`.execute(storage.db);
    assert.deepEqual(storage.poolStats(), { max: 1, total: 1, idle: 1, inUse: 0, waiting: 0 });

    const holding = deferred();
    const inside = deferred();
    const transaction = storage.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      inside.resolve();
      await holding.promise;
    });
    let queued: Promise<unknown> = Promise.resolve();
    try {
      await inside.promise;
      assert.deepEqual(storage.poolStats(), { max: 1, total: 1, idle: 0, inUse: 1, waiting: 0 });
      queued = sql`select 1`.execute(storage.db);
      // The query is queued once it asked for the connection (pg-pool and Kysely's SQLite mutex both
      // take it asynchronously); nothing tells us that moment but the figure itself.
      await waitFor(() => storage.poolStats().waiting === 1, {
        what: 'the second query waits',
        timeoutMs: 5_000,
      });
      assert.equal(storage.poolStats().inUse, 1);
    } finally {
      // Also when an assertion failed: an open transaction would hold the pool's close for ever.
      holding.resolve();
      await transaction;
      await queued;
    }
    assert.deepEqual(storage.poolStats(), { max: 1, total: 1, idle: 1, inUse: 0, waiting: 0 });
  });
});
