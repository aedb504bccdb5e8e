import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  countRegistries,
  createTenant,
  startTestServer,
  TEST_DB,
  type TestServer,
} from '../support/server.js';

type Err = { error: { code: string; message: string; details?: Array<{ field?: string; message: string }> } };
type Registry = {
  id: string;
  name: string;
  scope: string;
  kind: string;
  endpoint: string;
  protected: boolean;
  auth: { type: string; username?: string };
  syncStatus: string;
  lastSyncedAt: string | null;
  createdAt: string;
};

const base = '/api/v1/tenants/forms/registries/helm';

/** Registry rules that need no upstream: protected registries, form checks, roles, tenant isolation. */
describe(`registries: form, protected mode and isolation (${TEST_DB})`, () => {
  let server: TestServer;
  let t: { adminToken: string; memberToken: string };
  let other: { adminToken: string; memberToken: string };

  before(async () => {
    server = await startTestServer();
    t = await createTenant(server, 'forms');
    other = await createTenant(server, 'other');
  });
  after(() => server.close());

  const count = (): Promise<number> => countRegistries(server);

  it('adds a protected registry without contacting it: sync disabled, Last Synced n/a', async () => {
    const res = await server.api<Registry>('POST', base, {
      token: t.adminToken,
      body: {
        name: 'private-charts',
        endpoint: 'https://charts.internal.invalid/stable/',
        protected: true,
        auth: { type: 'basic', username: 'robot', password: 's3cret-pass' },
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'helm');
    assert.equal(res.body.scope, 'tenant');
    assert.equal(res.body.protected, true);
    assert.equal(res.body.syncStatus, 'disabled');
    assert.equal(res.body.lastSyncedAt, null);
    assert.equal(res.body.endpoint, 'https://charts.internal.invalid/stable');
    assert.deepEqual(res.body.auth, { type: 'basic', username: 'robot' });
    assert.ok(!JSON.stringify(res.body).includes('s3cret-pass'));
  });

  it('tells OCI from classic by the endpoint, for protected registries too', async () => {
    const res = await server.api<Registry>('POST', base, {
      token: t.adminToken,
      body: { name: 'private-oci', endpoint: 'oci://registry.internal.invalid:5000/helm', protected: true },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'oci');
    assert.equal(res.body.endpoint, 'oci://registry.internal.invalid:5000/helm');
    assert.deepEqual(res.body.auth, { type: 'none' });
  });

  it('keeps the password encrypted at rest, bound to its registry', async () => {
    const row = await server.app.storage.db
      .selectFrom('helm_registries')
      .selectAll()
      .where('name', '=', 'private-charts')
      .executeTakeFirstOrThrow();
    assert.ok(row.password_enc);
    assert.ok(!row.password_enc.includes('s3cret-pass'));
    assert.match(row.password_enc, /^v1:/);
    assert.ok(!JSON.stringify(row).includes('s3cret-pass'));
  });

  it('refuses bad input with a 4xx that says what to fix, and saves nothing', async () => {
    const before = await count();
    const cases: Array<[string, unknown, number, RegExp]> = [
      ['malformed JSON', '{"name": "x", ', 400, /not valid JSON/],
      [
        'unknown field',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, colour: 'red' },
        400,
        /unknown field "colour"/,
      ],
      [
        'server-owned id',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, id: 'x' },
        400,
        /"id" is set by the server/,
      ],
      [
        'server-owned scope',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, scope: 'system' },
        400,
        /"scope" is set by the server/,
      ],
      [
        'server-owned tenantId',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, tenantId: 'x' },
        400,
        /"tenantId" is set by the server/,
      ],
      [
        'server-owned createdAt',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, createdAt: 'x' },
        400,
        /"createdAt" is set by the server/,
      ],
      [
        'over-long name',
        { name: 'n'.repeat(64), endpoint: 'https://x.invalid', protected: true },
        400,
        /name: must be at most 63/,
      ],
      ['bad name', { name: '../etc', endpoint: 'https://x.invalid', protected: true }, 400, /name/],
      ['missing endpoint', { name: 'a', protected: true }, 400, /endpoint: is required/],
      ['ftp scheme', { name: 'a', endpoint: 'ftp://x.invalid/charts', protected: true }, 400, /endpoint/],
      ['file scheme', { name: 'a', endpoint: 'file:///etc/passwd', protected: true }, 400, /endpoint/],
      [
        'credentials in URL',
        { name: 'a', endpoint: 'http://user:pass@x.invalid/', protected: true },
        400,
        /auth/,
      ],
      [
        'basic without password',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, auth: { type: 'basic', username: 'u' } },
        400,
        /password/,
      ],
      [
        'basic without username',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, auth: { type: 'basic', password: 'p' } },
        400,
        /username/,
      ],
      [
        'sync interval under 5',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, syncIntervalMinutes: 1 },
        400,
        /syncIntervalMinutes/,
      ],
      [
        'protected as a string',
        { name: 'a', endpoint: 'https://x.invalid', protected: 'true' },
        400,
        /protected/,
      ],
      [
        'caCert not PEM',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, tls: { caCert: 'hello' } },
        400,
        /PEM/,
      ],
      [
        'ociRepositories on a classic repo',
        { name: 'a', endpoint: 'https://x.invalid', protected: true, ociRepositories: ['x'] },
        400,
        /OCI/,
      ],
      [
        'bad OCI repository name',
        { name: 'a', endpoint: 'oci://x.invalid', protected: true, ociRepositories: ['Bad Name'] },
        400,
        /ociRepositories/,
      ],
      ['array body', [], 400, /body/],
    ];
    for (const [what, body, status, message] of cases) {
      const res = await server.api<Err>('POST', base, {
        token: t.adminToken,
        ...(typeof body === 'string' ? { rawBody: body } : { body }),
      });
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      const text = `${res.body.error.message} ${JSON.stringify(res.body.error.details ?? [])}`;
      assert.match(text, message, what);
      assert.doesNotMatch(text, /\n\s+at \S+ \(/, `${what}: no stack trace`);
    }
    const huge = await server.api<Err>('POST', base, {
      token: t.adminToken,
      body: {
        name: 'big',
        endpoint: 'https://x.invalid',
        protected: true,
        tls: { caCert: 'x'.repeat(2 * 1024 * 1024) },
      },
    });
    assert.equal(huge.status, 413);
    assert.equal(await count(), before);
    assert.equal((await server.api('GET', '/healthz', { token: null })).status, 200);
  });

  it('names every invalid field in one answer, the first in the message', async () => {
    const before = await count();
    const empty = await server.api<Err>('POST', base, { token: t.adminToken, body: {} });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'invalid_request');
    assert.deepEqual(empty.body.error.details, [
      { field: 'name', message: 'is required' },
      { field: 'endpoint', message: 'is required' },
    ]);
    assert.equal(
      empty.body.error.message,
      'The request body is invalid: name: is required (and 1 more: see details).',
    );

    // Several rules broken by one value, and a union (auth): one detail per field.
    const schema = await server.api<Err>('POST', base, {
      token: t.adminToken,
      body: { name: '', endpoint: '', auth: { type: 'basic' }, syncIntervalMinutes: 1, colour: 'red' },
    });
    assert.equal(schema.status, 400);
    assert.deepEqual(
      schema.body.error.details?.map((d) => d.field),
      ['colour', 'name', 'endpoint', 'auth.username', 'syncIntervalMinutes'],
    );
    assert.equal(schema.body.error.details?.find((d) => d.field === 'name')?.message, 'must not be empty');

    // Past the schema, the service's own checks are collected too, not stopped at the first.
    const form = await server.api<Err>('POST', base, {
      token: t.adminToken,
      body: {
        name: 'several',
        endpoint: 'ftp://charts.example.com',
        auth: { type: 'basic', username: 'robot' },
        tls: { caCert: 'not a certificate' },
      },
    });
    assert.equal(form.status, 400);
    assert.deepEqual(
      form.body.error.details?.map((d) => d.field),
      ['endpoint', 'auth.password', 'tls.caCert'],
    );
    assert.match(
      form.body.error.message,
      /^The endpoint scheme "ftp:" is not supported.*\(3 fields to correct/,
    );
    assert.equal(await count(), before);
  });

  it('keeps names unique per scope (409) but lets two tenants use the same name', async () => {
    const body = { name: 'dup', endpoint: 'https://dup.invalid', protected: true };
    assert.equal((await server.api('POST', base, { token: t.adminToken, body })).status, 201);
    const again = await server.api<Err>('POST', base, { token: t.adminToken, body });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'registry_name_taken');
    const elsewhere = await server.api('POST', '/api/v1/tenants/other/registries/helm', {
      token: other.adminToken,
      body,
    });
    assert.equal(elsewhere.status, 201);
  });

  it('creates one registry when the same request arrives twice at once', async () => {
    const body = { name: 'twice', endpoint: 'https://twice.invalid', protected: true };
    const results = await Promise.all(
      [1, 2, 3].map(() => server.api('POST', base, { token: t.adminToken, body })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409]);
  });

  it('shows system registries to every tenant, read-only', async () => {
    const sys = await server.api<Registry>('POST', '/api/v1/system/registries/helm', {
      body: { name: 'stable-mirror', endpoint: 'https://mirror.internal.invalid', protected: true },
    });
    assert.equal(sys.status, 201, JSON.stringify(sys.body));
    assert.equal(sys.body.scope, 'system');
    for (const [tenant, token] of [
      ['forms', t.memberToken],
      ['other', other.memberToken],
    ] as const) {
      const list = await server.api<{ items: Registry[] }>(
        'GET',
        `/api/v1/tenants/${tenant}/registries/helm`,
        { token },
      );
      const item = list.body.items.find((r) => r.name === 'stable-mirror');
      assert.equal(item?.scope, 'system');
      const one = await server.api<Registry>(
        'GET',
        `/api/v1/tenants/${tenant}/registries/helm/stable-mirror`,
        { token },
      );
      assert.equal(one.status, 200);
    }
    const patch = await server.api<Err>('PATCH', `${base}/stable-mirror`, {
      token: t.adminToken,
      body: { protected: false },
    });
    assert.equal(patch.status, 403);
    assert.equal(patch.body.error.code, 'system_registry_read_only');
    assert.equal((await server.api('DELETE', `${base}/stable-mirror`, { token: t.adminToken })).status, 403);
    // Only the system admin reaches the system scope.
    assert.equal(
      (await server.api('GET', '/api/v1/system/registries/helm', { token: t.adminToken })).status,
      403,
    );
    assert.equal(
      (
        await server.api('POST', '/api/v1/system/registries/helm', {
          token: t.adminToken,
          body: { name: 'x', endpoint: 'https://x.invalid', protected: true },
        })
      ).status,
      403,
    );
  });

  it('lists system registries first, then the tenant, and paginates with a cursor', async () => {
    const all = await server.api<{ items: Registry[] }>('GET', base, { token: t.memberToken });
    const scopes = all.body.items.map((r) => r.scope);
    assert.deepEqual(
      scopes,
      [...scopes].sort((a, b) => (a === b ? 0 : a === 'system' ? -1 : 1)),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await server.api<{ items: Registry[]; nextCursor?: string }>(
        'GET',
        `${base}?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: t.memberToken },
      );
      assert.equal(page.status, 200);
      seen.push(...page.body.items.map((r) => `${r.scope}/${r.name}`));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.body.items.map((r) => `${r.scope}/${r.name}`),
    );
    assert.equal((await server.api('GET', `${base}?cursor=garbage`, { token: t.memberToken })).status, 400);
  });

  it('lets members read but not change registries', async () => {
    assert.equal((await server.api('GET', `${base}/private-charts`, { token: t.memberToken })).status, 200);
    const add = await server.api('POST', base, {
      token: t.memberToken,
      body: { name: 'm', endpoint: 'https://m.invalid', protected: true },
    });
    assert.equal(add.status, 403);
    assert.equal(
      (
        await server.api('PATCH', `${base}/private-charts`, {
          token: t.memberToken,
          body: { syncIntervalMinutes: 30 },
        })
      ).status,
      403,
    );
    assert.equal(
      (await server.api('DELETE', `${base}/private-charts`, { token: t.memberToken })).status,
      403,
    );
  });

  it('answers 404 on every registry route for another tenant, exactly as for a missing one', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/tenants/forms/registries/helm'],
      [
        'POST',
        '/api/v1/tenants/forms/registries/helm',
        { name: 'x', endpoint: 'https://x.invalid', protected: true },
      ],
      ['GET', '/api/v1/tenants/forms/registries/helm/private-charts'],
      ['PATCH', '/api/v1/tenants/forms/registries/helm/private-charts', { protected: true }],
      ['DELETE', '/api/v1/tenants/forms/registries/helm/private-charts'],
    ];
    for (const [method, path, body] of routes) {
      const res = await server.api<Err>(method, path, { token: other.adminToken, ...(body ? { body } : {}) });
      assert.equal(res.status, 404, `${method} ${path}`);
      const missing = await server.api<Err>(method, path.replace('/forms/', '/nowhere/'), {
        token: other.adminToken,
        ...(body ? { body } : {}),
      });
      assert.equal(missing.status, 404);
      assert.equal(res.body.error.code, missing.body.error.code);
    }
    // Another tenant's registry by name inside one's own tenant is simply not there.
    const viaOwn = await server.api('GET', '/api/v1/tenants/other/registries/helm/private-charts', {
      token: other.adminToken,
    });
    assert.equal(viaOwn.status, 404);
    const list = await server.api<{ items: Registry[] }>('GET', '/api/v1/tenants/other/registries/helm', {
      token: other.adminToken,
    });
    assert.ok(!list.body.items.some((r) => r.name === 'private-charts'));
  });

  it('patches everything, keeps a stored password only for the same user and host', async () => {
    const renamed = await server.api<Registry>('PATCH', `${base}/private-charts`, {
      token: t.adminToken,
      body: { name: 'private-charts-2', syncIntervalMinutes: 120 },
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'private-charts-2');
    const moved = await server.api<Err>('PATCH', `${base}/private-charts-2`, {
      token: t.adminToken,
      body: { endpoint: 'https://attacker.invalid/' },
    });
    assert.equal(moved.status, 400);
    assert.match(moved.body.error.message, /credentials/);
    const userChange = await server.api<Err>('PATCH', `${base}/private-charts-2`, {
      token: t.adminToken,
      body: { auth: { type: 'basic', username: 'someone-else' } },
    });
    assert.equal(userChange.status, 400);
    const none = await server.api<Registry>('PATCH', `${base}/private-charts-2`, {
      token: t.adminToken,
      body: { auth: { type: 'none' } },
    });
    assert.deepEqual(none.body.auth, { type: 'none' });
    const row = await server.app.storage.db
      .selectFrom('helm_registries')
      .selectAll()
      .where('name', '=', 'private-charts-2')
      .executeTakeFirstOrThrow();
    assert.equal(row.password_enc, null);
    const empty = await server.api('PATCH', `${base}/private-charts-2`, { token: t.adminToken, body: {} });
    assert.equal(empty.status, 400);
  });

  it('deletes a registry', async () => {
    assert.equal((await server.api('DELETE', `${base}/dup`, { token: t.adminToken })).status, 204);
    assert.equal((await server.api('GET', `${base}/dup`, { token: t.adminToken })).status, 404);
    assert.equal((await server.api('DELETE', `${base}/dup`, { token: t.adminToken })).status, 404);
    const stillThere = await server.api('GET', '/api/v1/tenants/other/registries/helm/dup', {
      token: other.adminToken,
    });
    assert.equal(stillThere.status, 200);
  });

  it('never logs the registry password', () => {
    assert.ok(!server.logLines.join('\n').includes('s3cret-pass'));
  });
});
