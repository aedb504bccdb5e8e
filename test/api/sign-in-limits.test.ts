import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic } from '../support/hosted.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

const LIMIT = 5;
const BURST = 60;

/**
 * Sign-in limits that a burst cannot get around (issue 10 part 3): every password check counts against
 * the client's address before it starts, whichever door it comes through. The server trusts
 * X-Forwarded-For here, so each case plays a client address of its own.
 */
describe(`sign-in limits (${TEST_DB})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      CHARTHOUSE_LOGIN_RATE_LIMIT: String(LIMIT),
      CHARTHOUSE_TRUST_PROXY: 'true',
    });
    await createTenant(server, 'limits');
  });
  after(() => server.close());

  /** Sends BURST requests at once from `client`; the statuses, counted. */
  async function burst(
    client: string,
    send: (i: number, headers: Record<string, string>) => Promise<Response>,
  ) {
    const statuses = await Promise.all(
      Array.from({ length: BURST }, async (_, i) => {
        const res = await send(i, { 'x-forwarded-for': client });
        await res.arrayBuffer();
        return { status: res.status, retryAfter: res.headers.get('retry-after') };
      }),
    );
    const count = (status: number) => statuses.filter((s) => s.status === status).length;
    return { statuses, count };
  }

  it('checks at most the limit of concurrent wrong Basic credentials on /v2, the rest are 429', async () => {
    const { statuses, count } = await burst('198.51.100.1', (i, headers) =>
      fetch(`${server.url}/v2/limits/anything/tags/list`, {
        headers: { ...headers, authorization: basic('limits-member', `wrong-${i}`) },
      }),
    );
    assert.equal(count(401), LIMIT, 'only the first ones reached a password check');
    assert.equal(count(429), BURST - LIMIT);
    assert.ok(statuses.filter((s) => s.status === 429).every((s) => Number(s.retryAfter) > 0));
  });

  it('does the same on the login route and the OCI token endpoint, which share the counter', async () => {
    const login = await burst('198.51.100.2', (i, headers) =>
      fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'limits-member', password: `wrong-${i}` }),
      }),
    );
    assert.equal(login.count(401), LIMIT);
    assert.equal(login.count(429), BURST - LIMIT);

    const token = await burst('198.51.100.3', (i, headers) =>
      fetch(`${server.url}/v2/token`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=password&username=limits-member&password=wrong-${i}&service=x`,
      }),
    );
    assert.equal(token.count(401), LIMIT);
    assert.equal(token.count(429), BURST - LIMIT);
    // One counter: this address is now limited on the other doors too.
    const helm = await fetch(`${server.url}/helm/limits/index.yaml`, {
      headers: { 'x-forwarded-for': '198.51.100.3', authorization: basic('limits-member', 'again-wrong') },
    });
    assert.equal(helm.status, 429);
  });

  it('never limits a client by its own correct sign-ins', async () => {
    for (let i = 0; i < LIMIT * 3; i += 1) {
      const res = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'x-forwarded-for': '198.51.100.4', 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'limits-member', password: 'limits-member-password' }),
      });
      assert.equal(res.status, 200, `sign-in ${i + 1}`);
    }
  });

  it('shares one check among concurrent requests with the same right credential', async () => {
    const { count } = await burst('198.51.100.5', (_i, headers) =>
      fetch(`${server.url}/helm/limits/index.yaml`, {
        headers: { ...headers, authorization: basic('limits-member') },
      }),
    );
    assert.equal(count(200), BURST);
  });
});

describe(`forwarded addresses behind an untrusted proxy (${TEST_DB})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('logs one warning that clients share the proxy address, however many requests carry the header', async () => {
    const before = server.logLines.filter((l) => l.includes('X-Forwarded-For')).length;
    assert.equal(before, 0, 'no warning before any request carries the header');
    for (let i = 0; i < 3; i += 1) {
      await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-for': `203.0.113.${i}` } });
    }
    const warnings = server.logLines.filter((l) => l.includes('X-Forwarded-For'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /CHARTHOUSE_TRUST_PROXY/);
    assert.equal(JSON.parse(warnings[0] ?? '{}').level, 40, 'at warn level');
  });
});
