import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { migrations as allMigrations } from '../../src/storage/migrations/index.js';
import { loadConfig } from '../../src/config/config.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TEST_DB } from '../support/server.js';

/**
 * Several server processes start at once on one database (scale-out on PostgreSQL; a restart loop on
 * SQLite): migrations run once under the migrator's lock and exactly one administrator is created.
 */
describe(`start-up on a shared database (${TEST_DB})`, () => {
  let dataDir: string;
  let pg: TestDatabase | undefined;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-startup-'));
    if (TEST_DB === 'postgres') pg = await createTestDatabase();
  });
  after(async () => {
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('migrates once and bootstraps one admin when four servers start together', async () => {
    const config = loadConfig({
      CHARTHOUSE_PORT: '0',
      CHARTHOUSE_HOST: '127.0.0.1',
      CHARTHOUSE_DATA_DIR: dataDir,
      ...(pg ? { CHARTHOUSE_DATABASE_URL: pg.url } : {}),
    });
    const apps = await Promise.all([1, 2, 3, 4].map(() => createApp(config, pino({ level: 'silent' }))));
    try {
      const generated = apps.map((a) => a.generatedAdminPassword).filter((p) => p !== null);
      assert.equal(generated.length, 1, 'exactly one process generated (and prints) the password');
      const db = apps[0]!.storage.db;
      const admins = await db
        .selectFrom('users')
        .select('username')
        .where('is_system_admin', '=', 1)
        .execute();
      assert.deepEqual(admins, [{ username: 'admin' }]);
      const migrations = await db
        .selectFrom('charthouse_migrations' as never)
        .select('name' as never)
        .execute();
      assert.equal(migrations.length, Object.keys(allMigrations).length);
      // Every process can log in with the one password.
      const address = await apps[3]!.listen();
      const res = await fetch(`${address}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: generated[0] }),
      });
      assert.equal(res.status, 200);
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
  });
});
