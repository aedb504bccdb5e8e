import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  ALIAS_BOMB_YAML,
  endlessBody,
  gzipBomb,
  redirectTo,
  sendBody,
  serveFile,
  slowBody,
  startFixtureServer,
  withBasicAuth,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { getTlsFixtures, serverTlsOptions } from '../support/tls-fixtures.js';
import {
  countRegistries,
  createTenant,
  startTestServer,
  TEST_DB,
  type TestServer,
} from '../support/server.js';

type Err = { error: { code: string; message: string; details?: Array<{ field?: string }> } };
type Registry = {
  name: string;
  kind: string;
  syncStatus: string;
  lastSyncedAt: string | null;
  warnings?: string[];
};

const CORPUS = new URL('../../../shared/corpus/index/', import.meta.url).pathname;
const GRAFANA = `${CORPUS}grafana-helm-charts-index.yaml`;
const EMPTY_INDEX = 'apiVersion: v1\nentries: {}\ngenerated: "2026-01-01T00:00:00Z"\n';
const PASSWORD = 'upstream-Pa55word';

/** Validation of unprotected classic registries against real local HTTP(S) upstreams. */
describe(`registries: validation against real upstreams (${TEST_DB})`, () => {
  let server: TestServer;
  let tenant: { adminToken: string };
  let plain: FixtureServer;
  let other: FixtureServer;
  let tls: FixtureServer;
  let closedPort: number;
  const base = '/api/v1/tenants/up/registries/helm';

  before(async () => {
    server = await startTestServer({ CHARTHOUSE_MAX_INDEX_BYTES: String(8 * 1024 * 1024) });
    tenant = await createTenant(server, 'up');
    other = await startFixtureServer({ '/moved/index.yaml': serveFile(GRAFANA) });
    plain = await startFixtureServer({
      '/grafana/index.yaml': serveFile(GRAFANA),
      '/empty/index.yaml': sendBody(EMPTY_INDEX),
      '/private/index.yaml': withBasicAuth('robot', PASSWORD, serveFile(GRAFANA)),
      '/forbidden/index.yaml': sendBody('no', { status: 403 }),
      '/html/index.yaml': sendBody('<!doctype html><html><body>Welcome</body></html>', {
        headers: { 'content-type': 'text/html' },
      }),
      '/binary/index.yaml': sendBody(Buffer.from([0, 159, 146, 150, 255, 0, 1, 2])),
      '/alias/index.yaml': sendBody(ALIAS_BOMB_YAML),
      '/endless/index.yaml': endlessBody(),
      '/slow/index.yaml': slowBody(1000),
      '/bomb/index.yaml': gzipBomb(64),
      '/cross/index.yaml': withBasicAuth(
        'robot',
        PASSWORD,
        redirectTo(() => `${other.url}/moved/index.yaml`),
      ),
      '/metadata/index.yaml': redirectTo('http://169.254.169.254/latest/meta-data/'),
    });
    tls = await startFixtureServer({ '/index.yaml': serveFile(GRAFANA) }, { tls: serverTlsOptions() });
    closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
  });
  after(async () => {
    await Promise.all([server.close(), plain.close(), other.close(), tls.close()]);
  });

  const add = (body: Record<string, unknown>) =>
    server.api<Registry & Err>('POST', base, { token: tenant.adminToken, body });
  const count = (): Promise<number> => countRegistries(server);

  it('validates and saves a real repository (grafana, 3,591 versions)', async () => {
    const res = await add({ name: 'grafana', endpoint: `${plain.url}/grafana` });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'helm');
    assert.equal(res.body.syncStatus, 'never');
    assert.equal(res.body.lastSyncedAt, null);
    assert.deepEqual(res.body.warnings, []);
    const hit = plain.requests.find((r) => r.url === '/grafana/index.yaml');
    assert.match(String(hit?.headers['user-agent']), /^Charthouse\//);
  });

  it('applies a per-registry index size limit', async () => {
    const small = await add({
      name: 'grafana-small',
      endpoint: `${plain.url}/grafana`,
      maxIndexBytes: 1024 * 1024,
    });
    assert.equal(small.status, 422);
    assert.equal(small.body.error.code, 'upstream_too_large');
    assert.match(small.body.error.message, /1048576|1 MiB/);
  });

  it('accepts an empty repository with a warning', async () => {
    const res = await add({ name: 'empty', endpoint: `${plain.url}/empty/` });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.warnings?.length, 1);
    assert.match(res.body.warnings?.[0] ?? '', /no charts/);
  });

  it('names the cause of every failure with a 422 and saves nothing', async () => {
    const before = await count();
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['dns', { endpoint: 'http://no-such-host.invalid/charts' }, 'upstream_dns', /no-such-host\.invalid/],
      ['refused', { endpoint: `http://127.0.0.1:${closedPort}/` }, 'upstream_refused', /refused/i],
      ['timeout', { endpoint: `${plain.url}/slow` }, 'upstream_timeout', /within \d+ s|time/i],
      ['tls', { endpoint: tls.url }, 'upstream_tls', /certificate/i],
      [
        'wrong password',
        {
          endpoint: `${plain.url}/private`,
          auth: { type: 'basic', username: 'robot', password: 'wrong-one' },
        },
        'upstream_unauthorized',
        /credentials|password/i,
      ],
      ['no password', { endpoint: `${plain.url}/private` }, 'upstream_unauthorized', /credentials|password/i],
      ['403', { endpoint: `${plain.url}/forbidden` }, 'upstream_forbidden', /403|forbidden|denied/i],
      ['404', { endpoint: `${plain.url}/nothing-here` }, 'upstream_not_found', /404|not found/i],
      ['html', { endpoint: `${plain.url}/html` }, 'not_a_helm_repository', /Helm/],
      ['binary', { endpoint: `${plain.url}/binary` }, 'not_a_helm_repository', /Helm/],
      ['alias bomb', { endpoint: `${plain.url}/alias` }, 'not_a_helm_repository', /alias|anchor/i],
      ['endless body', { endpoint: `${plain.url}/endless` }, 'upstream_too_large', /8388608|8 MiB|larger/],
      ['gzip bomb', { endpoint: `${plain.url}/bomb` }, 'upstream_too_large', /8388608|8 MiB|larger/],
      [
        'metadata redirect',
        { endpoint: `${plain.url}/metadata` },
        'upstream_endpoint_not_allowed',
        /169\.254\.169\.254/,
      ],
      [
        'metadata endpoint',
        { endpoint: 'http://169.254.169.254/' },
        'upstream_endpoint_not_allowed',
        /metadata/i,
      ],
      [
        'metadata, IPv4-mapped IPv6',
        { endpoint: 'http://[::ffff:169.254.169.254]/' },
        'upstream_endpoint_not_allowed',
        /metadata/i,
      ],
    ];
    for (const [what, fields, code, message] of cases) {
      const started = Date.now();
      const res = await add({ name: `bad-${what.replace(/[^a-z0-9]+/g, '-')}`, ...fields });
      assert.equal(res.status, 422, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, `${what}: ${res.body.error.message}`);
      assert.match(res.body.error.message, message, what);
      assert.ok(!res.body.error.message.includes('wrong-one'), `${what}: password echoed`);
      assert.ok(Date.now() - started < 10_000, `${what} took ${Date.now() - started} ms`);
      // Credentials asked for but none given: no field is to blame, the message says what to do.
      const blamed: Record<string, string | undefined> = {
        'wrong password': 'auth.password',
        'no password': undefined,
        '403': undefined,
        tls: 'tls',
      };
      const field = what in blamed ? blamed[what] : 'endpoint';
      assert.equal(res.body.error.details?.[0]?.field, field, `${what}: the field to look at`);
    }
    assert.equal(await count(), before);
    assert.equal((await server.api('GET', '/healthz', { token: null })).status, 200);
    const logged = server.logLines.map((l) => JSON.parse(l) as { msg: string; failure?: string });
    const failures = logged.filter((l) => l.msg === 'registry validation failed').map((l) => l.failure);
    assert.ok(
      failures.includes('dns') && failures.includes('tls') && failures.includes('too_large'),
      String(failures),
    );
  });

  it('accepts the right password, and never returns, logs or stores it in clear', async () => {
    const res = await add({
      name: 'private',
      endpoint: `${plain.url}/private`,
      auth: { type: 'basic', username: 'robot', password: PASSWORD },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const got = await server.api('GET', `${base}/private`, { token: tenant.adminToken });
    const listed = await server.api('GET', base, { token: tenant.adminToken });
    for (const body of [res.body, got.body, listed.body]) assert.ok(!JSON.stringify(body).includes(PASSWORD));
    assert.ok(!server.logLines.join('\n').includes(PASSWORD));
    assert.ok(!server.logLines.join('\n').includes(Buffer.from(`robot:${PASSWORD}`).toString('base64')));
    const rows = await server.app.storage.db.selectFrom('helm_registries').selectAll().execute();
    assert.ok(!JSON.stringify(rows).includes(PASSWORD));
  });

  it('does not send credentials to another origin after a redirect, unless passCredentials', async () => {
    other.requests.length = 0;
    const res = await add({
      name: 'cross',
      endpoint: `${plain.url}/cross`,
      auth: { type: 'basic', username: 'robot', password: PASSWORD },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(other.requests.length, 1);
    assert.equal(other.requests[0]?.headers.authorization, undefined);

    other.requests.length = 0;
    const passing = await add({
      name: 'cross-pass',
      endpoint: `${plain.url}/cross`,
      auth: { type: 'basic', username: 'robot', password: PASSWORD },
      passCredentials: true,
    });
    assert.equal(passing.status, 201, JSON.stringify(passing.body));
    assert.match(String(other.requests[0]?.headers.authorization), /^Basic /);
  });

  it('uses a per-registry CA certificate or skipVerify, and neither leaks to other registries', async () => {
    const { caCertPem, otherCaCertPem } = getTlsFixtures();
    const withCa = await add({ name: 'tls-ca', endpoint: tls.url, tls: { caCert: caCertPem } });
    assert.equal(withCa.status, 201, JSON.stringify(withCa.body));
    const wrongCa = await add({ name: 'tls-wrong-ca', endpoint: tls.url, tls: { caCert: otherCaCertPem } });
    assert.equal(wrongCa.status, 422);
    assert.equal(wrongCa.body.error.code, 'upstream_tls');
    const skip = await add({ name: 'tls-skip', endpoint: tls.url, tls: { insecureSkipVerify: true } });
    assert.equal(skip.status, 201, JSON.stringify(skip.body));
    const plainAgain = await add({ name: 'tls-none', endpoint: tls.url });
    assert.equal(plainAgain.status, 422, 'the CA or skip flag of another registry must not apply');
    assert.equal(plainAgain.body.error.code, 'upstream_tls');
  });

  it('re-validates on PATCH when the endpoint, credentials or TLS change, and only then', async () => {
    const hits = () => plain.requests.filter((r) => r.url.startsWith('/grafana/')).length;
    const before = hits();
    const interval = await server.api<Registry>('PATCH', `${base}/grafana`, {
      token: tenant.adminToken,
      body: { syncIntervalMinutes: 15 },
    });
    assert.equal(interval.status, 200);
    assert.equal(hits(), before, 'an interval change contacts nobody');

    const broken = await server.api<Err>('PATCH', `${base}/grafana`, {
      token: tenant.adminToken,
      body: { endpoint: `${plain.url}/html` },
    });
    assert.equal(broken.status, 422);
    const still = await server.api<{ endpoint: string }>('GET', `${base}/grafana`, {
      token: tenant.adminToken,
    });
    assert.equal(still.body.endpoint, `${plain.url}/grafana`);

    const protectedNow = await server.api<Registry>('PATCH', `${base}/grafana`, {
      token: tenant.adminToken,
      body: { protected: true, endpoint: 'https://moved.internal.invalid' },
    });
    assert.equal(protectedNow.status, 200, JSON.stringify(protectedNow.body));
    assert.equal(protectedNow.body.syncStatus, 'disabled');
    const unprotectBroken = await server.api<Err>('PATCH', `${base}/grafana`, {
      token: tenant.adminToken,
      body: { protected: false },
    });
    assert.equal(unprotectBroken.status, 422, 'turning protection off validates the endpoint');
    const back = await server.api<Registry>('PATCH', `${base}/grafana`, {
      token: tenant.adminToken,
      body: { protected: false, endpoint: `${plain.url}/grafana` },
    });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.syncStatus, 'never');
  });
});

describe(`registries: SSRF guard with private endpoints disallowed (${TEST_DB})`, () => {
  let server: TestServer;
  let plain: FixtureServer;
  before(async () => {
    server = await startTestServer({ CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'false' });
    plain = await startFixtureServer({ '/index.yaml': serveFile(GRAFANA) });
  });
  after(async () => {
    await Promise.all([server.close(), plain.close()]);
  });

  it('refuses loopback, private and link-local endpoints in every encoding, before any request', async () => {
    const endpoints = [
      plain.url,
      `http://localhost:${plain.port}`,
      `http://0x7f000001:${plain.port}/`,
      `http://2130706433:${plain.port}/`,
      `http://0177.0.0.1:${plain.port}/`,
      `http://[::1]:${plain.port}/`,
      `http://[::ffff:127.0.0.1]:${plain.port}/`,
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://169.254.169.254/',
      'oci://127.0.0.1:5000',
    ];
    for (const endpoint of endpoints) {
      const res = await server.api<Err>('POST', '/api/v1/system/registries/helm', {
        body: { name: 'ssrf', endpoint },
      });
      assert.equal(res.status, 422, `${endpoint}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'upstream_endpoint_not_allowed', endpoint);
      assert.match(res.body.error.message, /CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS|Protected|metadata/i);
    }
    assert.equal(plain.requests.length, 0, 'the fixture was never contacted');
  });

  it('still takes a private endpoint as a protected registry, which it never contacts', async () => {
    const res = await server.api('POST', '/api/v1/system/registries/helm', {
      body: { name: 'inside', endpoint: plain.url, protected: true },
    });
    assert.equal(res.status, 201);
    assert.equal(plain.requests.length, 0);
  });
});
