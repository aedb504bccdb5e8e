import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

type Err = { error: { code: string; message: string; details?: Array<{ field?: string; message: string }> } };

describe(`tenants and members (${TEST_DB})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('lets the system admin create and list tenants', async () => {
    const res = await server.api<{ name: string; displayName: string }>('POST', '/api/v1/tenants', {
      body: { name: 'acme', displayName: 'Acme Corp' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.displayName, 'Acme Corp');
    const list = await server.api<{ items: Array<{ name: string }> }>('GET', '/api/v1/tenants');
    assert.ok(list.body.items.some((t) => t.name === 'acme'));
  });

  it('refuses the reserved name, bad slugs and duplicates, changing nothing', async () => {
    const reserved = await server.api<Err>('POST', '/api/v1/tenants', { body: { name: 'system' } });
    assert.equal(reserved.status, 400);
    assert.match(reserved.body.error.message, /reserved/);
    for (const name of ['Acme', '-x', 'a_b', 'x'.repeat(64), '']) {
      const bad = await server.api<Err>('POST', '/api/v1/tenants', { body: { name } });
      assert.equal(bad.status, 400, name);
      assert.equal(bad.body.error.details?.[0]?.field, 'name');
    }
    await server.api('POST', '/api/v1/tenants', { body: { name: 'dup' } });
    const dup = await server.api<Err>('POST', '/api/v1/tenants', { body: { name: 'dup' } });
    assert.equal(dup.status, 409);
    const list = await server.api<{ items: Array<{ name: string }> }>('GET', '/api/v1/tenants');
    assert.deepEqual(
      list.body.items.map((t) => t.name).filter((n) => n !== 'acme' && n !== 'dup'),
      [],
    );
  });

  it('paginates tenants with a cursor', async () => {
    for (const n of ['pg-a', 'pg-b', 'pg-c'])
      await server.api('POST', '/api/v1/tenants', { body: { name: n } });
    const first = await server.api<{ items: Array<{ name: string }>; nextCursor?: string }>(
      'GET',
      '/api/v1/tenants?limit=2',
    );
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.nextCursor);
    const second = await server.api<{ items: Array<{ name: string }> }>(
      'GET',
      `/api/v1/tenants?limit=2&cursor=${first.body.nextCursor}`,
    );
    assert.ok(!second.body.items.some((t) => first.body.items.some((f) => f.name === t.name)));
  });

  it('keeps tenant management to the system admin', async () => {
    const t = await createTenant(server, 'roles');
    for (const token of [t.adminToken, t.memberToken]) {
      assert.equal(
        (await server.api('POST', '/api/v1/tenants', { token, body: { name: 'evil' } })).status,
        403,
      );
      assert.equal((await server.api('GET', '/api/v1/tenants', { token })).status, 403);
    }
  });

  it('lets tenant admins invite members, not members; and hides other tenants as 404', async () => {
    const a = await createTenant(server, 'ten-a');
    const b = await createTenant(server, 'ten-b');
    const byMember = await server.api('POST', '/api/v1/tenants/ten-a/members', {
      token: a.memberToken,
      body: { username: 'ten-b-member', role: 'member' },
    });
    assert.equal(byMember.status, 403);
    const byAdmin = await server.api<{ username: string; role: string }>(
      'POST',
      '/api/v1/tenants/ten-a/members',
      { token: a.adminToken, body: { username: 'ten-b-member', role: 'member' } },
    );
    assert.equal(byAdmin.status, 202, 'a tenant admin invites; the user joins when they accept');
    assert.equal(byAdmin.body.username, 'ten-b-member');
    const members = await server.api<{ items: Array<{ username: string }> }>(
      'GET',
      '/api/v1/tenants/ten-a/members',
      {
        token: a.memberToken,
      },
    );
    assert.deepEqual(members.body.items.map((m) => m.username).sort(), ['ten-a-admin', 'ten-a-member']);

    // Another tenant's admin sees ten-a exactly as a tenant that does not exist.
    const foreign = await server.api<Err>('GET', '/api/v1/tenants/ten-a/members', { token: b.adminToken });
    const missing = await server.api<Err>('GET', '/api/v1/tenants/no-such-tenant/members', {
      token: b.adminToken,
    });
    assert.equal(foreign.status, 404);
    assert.equal(missing.status, 404);
    assert.equal(foreign.body.error.code, missing.body.error.code);
    const foreignAdd = await server.api('POST', '/api/v1/tenants/ten-a/members', {
      token: b.adminToken,
      body: { username: 'mole', role: 'admin' },
    });
    assert.equal(foreignAdd.status, 404);
    for (const method of ['PATCH', 'DELETE'] as const) {
      const foreignChange = await server.api(method, '/api/v1/tenants/ten-a/members/ten-a-member', {
        token: b.adminToken,
        ...(method === 'PATCH' ? { body: { role: 'admin' } } : {}),
      });
      assert.equal(foreignChange.status, 404, method);
    }
  });

  it('does not let a tenant admin set or reset any password', async () => {
    const a = await createTenant(server, 'reset-a');
    await createTenant(server, 'reset-b');
    for (const username of ['reset-b-admin', 'brand-new-user']) {
      const res = await server.api<Err>('POST', '/api/v1/tenants/reset-a/members', {
        token: a.adminToken,
        body: { username, password: 'taken-over!', role: 'member' },
      });
      assert.equal(res.status, 403, username);
    }
    const login = await server.api('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'reset-b-admin', password: 'taken-over!' },
    });
    assert.equal(login.status, 401);
    // The system administrator still may not reset a password by adding someone.
    const bySystem = await server.api<Err>('POST', '/api/v1/tenants/reset-a/members', {
      body: { username: 'reset-b-admin', password: 'taken-over!', role: 'member' },
    });
    assert.equal(bySystem.status, 400);
  });
});
