import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN, createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

describe(`identity and access (${TEST_DB})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ CHARTHOUSE_LOGIN_RATE_LIMIT: '5' });
  });
  after(() => server.close());

  it('signs in the bootstrap admin and tells who they are', async () => {
    const me = await server.api<{ username: string; systemRole: string | null; tenants: unknown[] }>(
      'GET',
      '/api/v1/me',
    );
    assert.equal(me.status, 200);
    assert.equal(me.body.username, ADMIN.username);
    assert.equal(me.body.systemRole, 'admin');
  });

  it('answers a wrong password and an unknown user alike, with 401', async () => {
    const wrong = await server.api<{ error: { code: string; message: string } }>(
      'POST',
      '/api/v1/auth/login',
      {
        token: null,
        body: { username: ADMIN.username, password: 'nope-nope' },
      },
    );
    const unknown = await server.api<{ error: { code: string; message: string } }>(
      'POST',
      '/api/v1/auth/login',
      {
        token: null,
        body: { username: 'ghost', password: 'nope-nope' },
      },
    );
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.body.error.code, 'invalid_credentials');
  });

  it('refuses requests without a token, with a bad one, and with a malformed header', async () => {
    assert.equal((await server.api('GET', '/api/v1/me', { token: null })).status, 401);
    assert.equal((await server.api('GET', '/api/v1/me', { token: 'chs_' + 'x'.repeat(43) })).status, 401);
    const basic = await server.api('GET', '/api/v1/me', {
      token: null,
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    });
    assert.equal(basic.status, 401);
  });

  it('issues personal tokens that work and are stored only as a hash', async () => {
    const res = await server.api<{ token: string; name: string }>('POST', '/api/v1/auth/tokens', {
      body: { name: 'ci' },
    });
    assert.equal(res.status, 201);
    assert.match(res.body.token, /^chp_/);
    const me = await server.api<{ username: string }>('GET', '/api/v1/me', { token: res.body.token });
    assert.equal(me.body.username, ADMIN.username);
    const rows = await server.app.storage.db
      .selectFrom('api_tokens')
      .select(['token_hash', 'name'])
      .execute();
    assert.ok(rows.length >= 2);
    for (const row of rows) {
      assert.notEqual(row.token_hash, res.body.token);
      assert.match(row.token_hash, /^[0-9a-f]{64}$/);
    }
  });

  it('refuses an expired token', async () => {
    const token = `chs_${randomBytes(32).toString('base64url')}`;
    const admin = await server.app.storage.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', ADMIN.username)
      .executeTakeFirstOrThrow();
    await server.app.storage.db
      .insertInto('api_tokens')
      .values({
        id: randomUUID(),
        user_id: admin.id,
        name: 'old',
        kind: 'session',
        token_hash: createHash('sha256').update(token).digest('hex'),
        expires_at: new Date(Date.now() - 1000).toISOString(),
        last_used_at: null,
        created_at: new Date(Date.now() - 86_400_000).toISOString(),
      })
      .execute();
    const res = await server.api<{ error: { code: string } }>('GET', '/api/v1/me', { token });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'invalid_token');
  });

  it('stores passwords with a memory-hard KDF, never in clear', async () => {
    const users = await server.app.storage.db
      .selectFrom('users')
      .select(['username', 'password_hash'])
      .execute();
    const admin = users.find((u) => u.username === ADMIN.username);
    assert.match(admin?.password_hash ?? '', /^scrypt\$32768\$8\$1\$/);
    assert.ok(!users.some((u) => (u.password_hash ?? '').includes(ADMIN.password)));
  });

  it('lists the tenants a member belongs to, and only those', async () => {
    const a = await createTenant(server, 'id-alpha');
    await createTenant(server, 'id-beta');
    const me = await server.api<{
      systemRole: string | null;
      tenants: Array<{ name: string; role: string }>;
    }>('GET', '/api/v1/me', {
      token: a.memberToken,
    });
    assert.equal(me.body.systemRole, null);
    assert.deepEqual(
      me.body.tenants.map((t) => [t.name, t.role]),
      [['id-alpha', 'member']],
    );
  });

  it('rate limits sign-in attempts with 429 and Retry-After', async () => {
    let last = 0;
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i += 1) {
      const res = await server.api('POST', '/api/v1/auth/login', {
        token: null,
        body: { username: 'x', password: 'yyyyyyyy' },
      });
      last = res.status;
      retryAfter = res.headers.get('retry-after');
    }
    assert.equal(last, 429);
    assert.ok(Number(retryAfter) > 0);
  });

  it('never logs a password or a token', async () => {
    const text = server.logLines.join('\n');
    assert.ok(!text.includes(ADMIN.password));
    assert.ok(!text.includes(server.adminToken));
  });
});
