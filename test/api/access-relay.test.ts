import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { createTenant, TEST_DB } from '../support/server.js';
import { twoServersOnOnePostgres } from '../support/shared-database.js';
import { waitFor } from '../support/wait.js';

// Several servers share a database only on PostgreSQL (SPEC §4); SQLite runs one server, and this file
// has nothing to prove there, so it registers its tests in the PostgreSQL pass of the suite.
if (TEST_DB === 'postgres') {
  /** A revocation made through one server is refused at once by another that had it cached. */
  describe('access changes reach every server on one PostgreSQL (postgres)', () => {
    const servers = twoServersOnOnePostgres();

    it('refuses a token revoked on the other server at once, on the API and as a Basic password', async () => {
      const { one, two } = servers;
      const t = await createTenant(one, 'relay');
      await uploadChart(one.url, 'relay', chartTgz('relayed', '1.0.0'), basic('relay-admin'));
      const issued = await one.api<{ id: string; token: string }>('POST', '/api/v1/auth/tokens', {
        token: t.memberToken,
        body: { name: 'ci' },
      });
      const asBasic = basic('relay-member', issued.body.token);
      const index = () => fetch(`${two.url}/helm/relay/index.yaml`, { headers: { authorization: asBasic } });
      // Server two trusts the token for seconds once it has seen it.
      assert.equal((await two.api('GET', '/api/v1/me', { token: issued.body.token })).status, 200);
      assert.equal((await index()).status, 200);

      const revoked = await one.api('DELETE', `/api/v1/auth/tokens/${issued.body.id}`, {
        token: t.memberToken,
      });
      assert.equal(revoked.status, 204);
      await refusedAtOnce(
        async () => (await two.api('GET', '/api/v1/me', { token: issued.body.token })).status === 401,
      );
      assert.equal((await index()).status, 401);
    });

    it('takes a member removed on one server out of the other at once', async () => {
      const { one, two } = servers;
      const t = await createTenant(one, 'relay-members');
      const path = '/api/v1/tenants/relay-members/registries/helm';
      assert.equal((await two.api('GET', path, { token: t.memberToken })).status, 200);
      const removed = await one.api('DELETE', '/api/v1/tenants/relay-members/members/relay-members-member', {
        token: t.adminToken,
      });
      assert.equal(removed.status, 204);
      await refusedAtOnce(async () => (await two.api('GET', path, { token: t.memberToken })).status === 404);
    });

    it('ends a session signed out on the other server at once', async () => {
      const { one, two } = servers;
      const session = await one.api<{ token: string }>('POST', '/api/v1/auth/login', {
        token: null,
        body: { username: 'admin', password: 'admin-password-for-tests' },
      });
      assert.equal((await two.api('GET', '/api/v1/me', { token: session.body.token })).status, 200);
      assert.equal((await one.api('POST', '/api/v1/auth/logout', { token: session.body.token })).status, 204);
      await refusedAtOnce(
        async () => (await two.api('GET', '/api/v1/me', { token: session.body.token })).status === 401,
      );
    });
  });
}

/**
 * NOTIFY reaches the other server in milliseconds; the caches it must beat keep answers for 5 s. So
 * "at once" here means well within the cache's lifetime: the check gives up after 2 s.
 */
async function refusedAtOnce(check: () => Promise<boolean>): Promise<void> {
  await waitFor(check, { what: 'still not refused (the caches keep answers 5 s)', timeoutMs: 2_000 });
}
