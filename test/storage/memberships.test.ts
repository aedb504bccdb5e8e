import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/shared/ids.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import { TenantRepository } from '../../src/tenants/tenant.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TEST_DB } from '../support/server.js';

/** The last-administrator rule holds under concurrency, on both databases (tenant.repository.ts). */
describe(`membership storage (${TEST_DB})`, () => {
  let dataDir: string;
  let pg: TestDatabase | undefined;
  let storage: Storage;
  let repo: TenantRepository;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-members-'));
    if (TEST_DB === 'postgres') pg = await createTestDatabase();
    storage = openStorage({ databaseUrl: pg?.url ?? null, dataDir });
    await migrateToLatest(storage);
    repo = new TenantRepository(storage.db);
  });
  after(async () => {
    await storage?.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function tenantWithAdmins(n: number): Promise<{ tenantId: string; admins: string[] }> {
    const tenantId = newId();
    const now = new Date().toISOString();
    await repo.insert({ id: tenantId, name: `t-${tenantId.slice(-8)}`, display_name: 't', created_at: now });
    const admins: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const id = newId();
      await storage.db
        .insertInto('users')
        .values({
          id,
          username: `u-${id.slice(-12)}`,
          password_hash: null,
          is_system_admin: 0,
          created_at: now,
        })
        .execute();
      await repo.addMembership({ tenant_id: tenantId, user_id: id, role: 'admin', created_at: now });
      admins.push(id);
    }
    return { tenantId, admins };
  }

  const adminCount = async (tenantId: string): Promise<number> =>
    (
      await storage.db
        .selectFrom('memberships')
        .select('user_id')
        .where('tenant_id', '=', tenantId)
        .where('role', '=', 'admin')
        .execute()
    ).length;

  it('lets exactly one of two concurrent demotions of the last two admins through', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { tenantId, admins } = await tenantWithAdmins(2);
      const outcomes = await Promise.all(admins.map((id) => repo.changeMembership(tenantId, id, 'member')));
      assert.deepEqual(outcomes.sort(), ['changed', 'last_admin'], `round ${round}`);
      assert.equal(await adminCount(tenantId), 1);
    }
  });

  it('lets exactly one of two concurrent removals of the last two admins through', async () => {
    const { tenantId, admins } = await tenantWithAdmins(2);
    const outcomes = await Promise.all(admins.map((id) => repo.changeMembership(tenantId, id, null)));
    assert.deepEqual(outcomes.sort(), ['changed', 'last_admin']);
    assert.equal(await adminCount(tenantId), 1);
  });

  it('tells "unchanged" and "not a member" apart from a change', async () => {
    const { tenantId, admins } = await tenantWithAdmins(2);
    assert.equal(await repo.changeMembership(tenantId, admins[0]!, 'admin'), 'unchanged');
    assert.equal(await repo.changeMembership(tenantId, newId(), 'member'), 'not_member');
    assert.equal(await repo.changeMembership(tenantId, admins[0]!, 'member'), 'changed');
  });
});
