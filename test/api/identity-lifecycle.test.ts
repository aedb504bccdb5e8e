import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { pushHelmChart } from '../support/oci-push.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

type Err = { error: { code: string; message: string; details?: Array<{ field?: string; message: string }> } };
type Token = {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
};
type Invitation = {
  id: string;
  tenant: string;
  username: string;
  role: string;
  invitedBy: string;
  expiresAt: string;
};

const DAY = 86_400_000;

/** Sign-out, personal tokens, members' roles and removal, invitations: SPEC §3 and issue 10 part 4. */
describe(`identity lifecycle (${TEST_DB})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const login = async (username: string, password = `${username}-password`): Promise<string> => {
    const res = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
      token: null,
      body: { username, password },
    });
    assert.equal(res.status, 200, `${username}: ${JSON.stringify(res.body)}`);
    return res.body.token;
  };

  /** Creates a user through the system admin, in `tenant` with `role`. */
  const addUser = async (tenant: string, username: string, role: 'admin' | 'member'): Promise<string> => {
    const res = await server.api('POST', `/api/v1/tenants/${tenant}/members`, {
      body: { username, password: `${username}-password`, role },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return login(username);
  };

  describe('sign-out', () => {
    it('ends the session on the server: the token is refused at once', async () => {
      const token = await login('admin', 'admin-password-for-tests');
      assert.equal((await server.api('GET', '/api/v1/me', { token })).status, 200);
      const out = await server.api('POST', '/api/v1/auth/logout', { token });
      assert.equal(out.status, 204);
      const after = await server.api<Err>('GET', '/api/v1/me', { token });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, 'invalid_token');
      assert.equal((await server.api('POST', '/api/v1/auth/logout', { token })).status, 401);
    });

    it('does not end a personal API token: it says how to revoke one', async () => {
      const issued = await server.api<{ token: string }>('POST', '/api/v1/auth/tokens', {
        body: { name: 'ci-logout' },
      });
      const res = await server.api<Err>('POST', '/api/v1/auth/logout', { token: issued.body.token });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'not_a_session');
      assert.match(res.body.error.message, /DELETE \/api\/v1\/auth\/tokens/);
      assert.equal((await server.api('GET', '/api/v1/me', { token: issued.body.token })).status, 200);
    });
  });

  describe('personal API tokens', () => {
    it('expire after 90 days unless another lifetime, or none, is asked for', async () => {
      const dflt = await server.api<{ expiresAt: string }>('POST', '/api/v1/auth/tokens', {
        body: { name: 'default' },
      });
      assert.equal(dflt.status, 201);
      const days = (Date.parse(dflt.body.expiresAt) - Date.now()) / DAY;
      assert.ok(days > 89.9 && days <= 90, `${days} days`);
      const week = await server.api<{ expiresAt: string }>('POST', '/api/v1/auth/tokens', {
        body: { name: 'week', expiresInDays: 7 },
      });
      assert.ok(Math.abs((Date.parse(week.body.expiresAt) - Date.now()) / DAY - 7) < 0.01);
      const never = await server.api<{ expiresAt: string | null }>('POST', '/api/v1/auth/tokens', {
        body: { name: 'never', expiresInDays: null },
      });
      assert.equal(never.status, 201);
      assert.equal(never.body.expiresAt, null);
      for (const bad of [0, -1, 1.5, 'never']) {
        const res = await server.api<Err>('POST', '/api/v1/auth/tokens', {
          body: { name: 'bad', expiresInDays: bad },
        });
        assert.equal(res.status, 400, String(bad));
      }
    });

    it('are listed with name, created, last used and expiry, never the secret', async () => {
      const t = await createTenant(server, 'tok-list');
      const issued = await server.api<{ id: string; token: string }>('POST', '/api/v1/auth/tokens', {
        token: t.memberToken,
        body: { name: 'laptop' },
      });
      await server.api('GET', '/api/v1/me', { token: issued.body.token });
      const list = await server.api<{ items: Token[] }>('GET', '/api/v1/auth/tokens', {
        token: t.memberToken,
      });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((i) => i.name),
        ['laptop'],
        'only personal tokens of the caller; sessions are not listed',
      );
      const [item] = list.body.items;
      assert.equal(item?.id, issued.body.id);
      assert.ok(item?.lastUsedAt, 'last use recorded');
      assert.ok(item?.createdAt && item.expiresAt);
      const text = JSON.stringify(list.body);
      assert.ok(!text.includes(issued.body.token) && !text.includes('hash'), 'no secret in the list');
    });

    it('are revoked by their owner only, and refused at once on every protocol', async () => {
      const t = await createTenant(server, 'tok-revoke');
      const other = await createTenant(server, 'tok-other');
      await uploadChart(server.url, 'tok-revoke', chartTgz('revokable', '1.0.0'), basic('tok-revoke-admin'));
      const issued = await server.api<{ id: string; token: string }>('POST', '/api/v1/auth/tokens', {
        token: t.memberToken,
        body: { name: 'helm' },
      });
      const asBasic = basic('tok-revoke-member', issued.body.token);
      // Warm every cache that could keep the token: the API's, and Basic on /helm and /v2.
      assert.equal((await server.api('GET', '/api/v1/me', { token: issued.body.token })).status, 200);
      const index = () =>
        fetch(`${server.url}/helm/tok-revoke/index.yaml`, { headers: { authorization: asBasic } });
      const tags = () =>
        fetch(`${server.url}/v2/tok-revoke/revokable/tags/list`, { headers: { authorization: asBasic } });
      assert.equal((await index()).status, 200);
      assert.equal((await tags()).status, 200);

      const foreign = await server.api<Err>('DELETE', `/api/v1/auth/tokens/${issued.body.id}`, {
        token: other.adminToken,
      });
      assert.equal(foreign.status, 404, "another user's token is not found");
      const revoked = await server.api('DELETE', `/api/v1/auth/tokens/${issued.body.id}`, {
        token: t.memberToken,
      });
      assert.equal(revoked.status, 204);
      assert.equal((await server.api('GET', '/api/v1/me', { token: issued.body.token })).status, 401);
      assert.equal((await index()).status, 401);
      assert.equal((await tags()).status, 401);
      const again = await server.api('DELETE', `/api/v1/auth/tokens/${issued.body.id}`, {
        token: t.memberToken,
      });
      assert.equal(again.status, 404);
    });
  });

  describe('members', () => {
    it("lets a tenant admin change a member's role, and never demote or remove the last admin", async () => {
      const t = await createTenant(server, 'roles-a');
      const promoted = await server.api<{ username: string; role: string }>(
        'PATCH',
        '/api/v1/tenants/roles-a/members/roles-a-member',
        { token: t.adminToken, body: { role: 'admin' } },
      );
      assert.equal(promoted.status, 200);
      assert.equal(promoted.body.role, 'admin');
      // The promoted member administers at once (no stale cached role).
      const invite = await server.api('GET', '/api/v1/tenants/roles-a/invitations', { token: t.memberToken });
      assert.equal(invite.status, 200);
      // Two admins: one may go; then the other is the last.
      assert.equal(
        (
          await server.api('PATCH', '/api/v1/tenants/roles-a/members/roles-a-admin', {
            token: t.memberToken,
            body: { role: 'member' },
          })
        ).status,
        200,
      );
      const demoteLast = await server.api<Err>('PATCH', '/api/v1/tenants/roles-a/members/roles-a-member', {
        token: t.memberToken,
        body: { role: 'member' },
      });
      assert.equal(demoteLast.status, 409);
      assert.equal(demoteLast.body.error.code, 'last_admin');
      assert.match(demoteLast.body.error.message, /last administrator/);
      const removeLast = await server.api<Err>('DELETE', '/api/v1/tenants/roles-a/members/roles-a-member', {
        token: t.memberToken,
      });
      assert.equal(removeLast.status, 409);
      const bySystemAdmin = await server.api<Err>('DELETE', '/api/v1/tenants/roles-a/members/roles-a-member');
      assert.equal(bySystemAdmin.status, 409, 'the rule holds for system administrators too');
      // A plain member may not change roles.
      const byMember = await server.api<Err>('PATCH', '/api/v1/tenants/roles-a/members/roles-a-member', {
        token: t.adminToken,
        body: { role: 'member' },
      });
      assert.equal(byMember.status, 403);
    });

    it('keeps one admin when two admins demote each other at the same moment', async () => {
      await createTenant(server, 'race');
      const b = await addUser('race', 'race-admin-b', 'admin');
      const a = await login('race-admin');
      const [one, two] = await Promise.all([
        server.api('PATCH', '/api/v1/tenants/race/members/race-admin-b', {
          token: a,
          body: { role: 'member' },
        }),
        server.api('PATCH', '/api/v1/tenants/race/members/race-admin', {
          token: b,
          body: { role: 'member' },
        }),
      ]);
      // The loser is refused as the last admin (409), or, when the winner's change is already seen, as
      // a member who may no longer change roles (403); never both demoted.
      const statuses = [one.status, two.status].sort();
      assert.equal(statuses[0], 200);
      assert.ok(statuses[1] === 403 || statuses[1] === 409, String(statuses[1]));
      const members = await server.api<{ items: Array<{ username: string; role: string }> }>(
        'GET',
        '/api/v1/tenants/race/members',
      );
      assert.equal(members.body.items.filter((m) => m.role === 'admin').length, 1);
    });

    it('takes every access away from a removed member at once, on every protocol', async () => {
      const t = await createTenant(server, 'gone');
      await uploadChart(server.url, 'gone', chartTgz('kept', '1.0.0'), basic('gone-admin'));
      const member = basic('gone-member');
      // Warm the caches: the API scope, Basic on /helm and /v2, and a bearer token from /v2/token.
      assert.equal(
        (await server.api('GET', '/api/v1/tenants/gone/registries/helm', { token: t.memberToken })).status,
        200,
      );
      const index = () => fetch(`${server.url}/helm/gone/index.yaml`, { headers: { authorization: member } });
      assert.equal((await index()).status, 200);
      const tokenRes = await fetch(`${server.url}/v2/token?service=x&scope=repository:gone/kept:pull,push`, {
        headers: { authorization: member },
      });
      const bearer = ((await tokenRes.json()) as { token: string }).token;
      const manifest = (authorization: string) =>
        fetch(`${server.url}/v2/gone/kept/manifests/1.0.0`, {
          headers: { authorization, accept: 'application/vnd.oci.image.manifest.v1+json' },
        });
      assert.equal((await manifest(member)).status, 200);
      assert.equal((await manifest(`Bearer ${bearer}`)).status, 200);

      const removed = await server.api('DELETE', '/api/v1/tenants/gone/members/GONE-MEMBER', {
        token: t.adminToken,
      });
      assert.equal(removed.status, 204, 'usernames are case-insensitive in paths too');

      const api = await server.api<Err>('GET', '/api/v1/tenants/gone/registries/helm', {
        token: t.memberToken,
      });
      assert.equal(api.status, 404);
      assert.equal((await index()).status, 404);
      assert.equal((await uploadChart(server.url, 'gone', chartTgz('late', '1.0.0'), member)).status, 404);
      assert.ok([401, 404].includes((await manifest(member)).status));
      assert.ok([401, 404].includes((await manifest(`Bearer ${bearer}`)).status));
      await assert.rejects(
        pushHelmChart({
          registryUrl: server.url,
          repository: 'gone/late',
          chartTgz: chartTgz('late', '2.0.0'),
          chartJson: { apiVersion: 'v2', name: 'late', version: '2.0.0' },
          auth: { username: 'gone-member', password: 'gone-member-password' },
        }),
      );
      const members = await server.api<{ items: Array<{ username: string }> }>(
        'GET',
        '/api/v1/tenants/gone/members',
      );
      assert.deepEqual(
        members.body.items.map((m) => m.username),
        ['gone-admin'],
      );
    });

    it('lets a member leave, and answers 404 for someone who is not a member', async () => {
      const t = await createTenant(server, 'leave');
      await createTenant(server, 'leave-other');
      assert.equal(
        (await server.api('DELETE', '/api/v1/tenants/leave/members/leave-member', { token: t.memberToken }))
          .status,
        204,
      );
      const stranger = await server.api<Err>('DELETE', '/api/v1/tenants/leave/members/leave-other-admin', {
        token: t.adminToken,
      });
      assert.equal(stranger.status, 404);
      const nobody = await server.api<Err>('PATCH', '/api/v1/tenants/leave/members/no-such-user', {
        token: t.adminToken,
        body: { role: 'admin' },
      });
      assert.equal(nobody.status, 404);
      assert.deepEqual(Object.keys(stranger.body.error).sort(), Object.keys(nobody.body.error).sort());
    });
  });

  describe('invitations', () => {
    it('answers a tenant admin alike whether or not the username exists, and never with a password', async () => {
      const t = await createTenant(server, 'inv-a');
      await createTenant(server, 'inv-b');
      const existing = await server.api<Invitation>('POST', '/api/v1/tenants/inv-a/members', {
        token: t.adminToken,
        body: { username: 'inv-b-member', role: 'member' },
      });
      const missing = await server.api<Invitation>('POST', '/api/v1/tenants/inv-a/members', {
        token: t.adminToken,
        body: { username: 'nobody-here', role: 'member' },
      });
      assert.equal(existing.status, 202);
      assert.equal(missing.status, 202);
      assert.deepEqual(Object.keys(existing.body).sort(), Object.keys(missing.body).sort());
      assert.equal(existing.body.invitedBy, 'inv-a-admin');
      for (const username of ['inv-b-member', 'nobody-else']) {
        const withPassword = await server.api<Err>('POST', '/api/v1/tenants/inv-a/members', {
          token: t.adminToken,
          body: { username, password: 'a-fine-password-1', role: 'member' },
        });
        assert.equal(withPassword.status, 403);
        assert.equal(withPassword.body.error.code, 'account_creation_forbidden');
      }
      // Nothing changed for the existing user, who has not said yes.
      const me = await server.api<{ tenants: Array<{ name: string }> }>('GET', '/api/v1/me', {
        token: await login('inv-b-member'),
      });
      assert.deepEqual(
        me.body.tenants.map((x) => x.name),
        ['inv-b'],
      );
      const pending = await server.api<{ items: Invitation[] }>('GET', '/api/v1/tenants/inv-a/invitations', {
        token: t.adminToken,
      });
      assert.deepEqual(pending.body.items.map((i) => i.username).sort(), ['inv-b-member', 'nobody-here']);
    });

    it('lets the invitee accept or decline, and nobody else', async () => {
      const t = await createTenant(server, 'inv-c');
      await createTenant(server, 'inv-d');
      const invited = await server.api<Invitation>('POST', '/api/v1/tenants/inv-c/members', {
        token: t.adminToken,
        body: { username: 'INV-D-Admin', role: 'admin' },
      });
      assert.equal(invited.body.username, 'inv-d-admin');
      const invitee = await login('inv-d-admin');
      const intruder = await login('inv-d-member');
      const me = await server.api<{ invitations: Invitation[] }>('GET', '/api/v1/me', { token: invitee });
      assert.deepEqual(
        me.body.invitations.map((i) => [i.tenant, i.role]),
        [['inv-c', 'admin']],
      );
      const stolen = await server.api('POST', `/api/v1/invitations/${invited.body.id}/accept`, {
        token: intruder,
      });
      assert.equal(stolen.status, 404);
      const accepted = await server.api<{ tenant: string; role: string }>(
        'POST',
        `/api/v1/invitations/${invited.body.id}/accept`,
        { token: invitee },
      );
      assert.equal(accepted.status, 200);
      assert.deepEqual(accepted.body, { tenant: 'inv-c', role: 'admin' });
      assert.equal(
        (await server.api('GET', '/api/v1/tenants/inv-c/members', { token: invitee })).status,
        200,
      );
      const gone = await server.api('POST', `/api/v1/invitations/${invited.body.id}/accept`, {
        token: invitee,
      });
      assert.equal(gone.status, 404);

      const second = await server.api<Invitation>('POST', '/api/v1/tenants/inv-c/members', {
        token: t.adminToken,
        body: { username: 'inv-d-member', role: 'member' },
      });
      assert.equal(
        (await server.api('DELETE', `/api/v1/invitations/${second.body.id}`, { token: intruder })).status,
        204,
      );
      assert.equal(
        (await server.api('GET', '/api/v1/tenants/inv-c/members', { token: intruder })).status,
        404,
      );
      const pending = await server.api<{ items: Invitation[] }>('GET', '/api/v1/tenants/inv-c/invitations', {
        token: t.adminToken,
      });
      assert.deepEqual(pending.body.items, []);
    });

    it('lets a tenant admin withdraw an invitation, and refuses inviting an existing member', async () => {
      const t = await createTenant(server, 'inv-e');
      const invited = await server.api<Invitation>('POST', '/api/v1/tenants/inv-e/members', {
        token: t.adminToken,
        body: { username: 'later-user', role: 'member' },
      });
      assert.equal(
        (
          await server.api('DELETE', `/api/v1/tenants/inv-e/invitations/${invited.body.id}`, {
            token: t.adminToken,
          })
        ).status,
        204,
      );
      const dup = await server.api<Err>('POST', '/api/v1/tenants/inv-e/members', {
        token: t.adminToken,
        body: { username: 'inv-e-member', role: 'admin' },
      });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 'already_member');
    });

    it('still lets the system admin create users and add existing ones at once', async () => {
      await createTenant(server, 'inv-f');
      await createTenant(server, 'inv-g');
      const existing = await server.api<{ username: string }>('POST', '/api/v1/tenants/inv-f/members', {
        body: { username: 'inv-g-member', role: 'member' },
      });
      assert.equal(existing.status, 201);
      const fresh = await server.api('POST', '/api/v1/tenants/inv-f/members', {
        body: { username: 'fresh-user', role: 'member' },
      });
      assert.equal(fresh.status, 400, 'a new user needs a password');
    });
  });

  describe('passwords and usernames', () => {
    it('refuses the most common passwords for new users', async () => {
      await createTenant(server, 'pw');
      for (const password of ['password1', 'Qwertyuiop', '12345678', 'pw-user-1']) {
        const res = await server.api<Err>('POST', '/api/v1/tenants/pw/members', {
          body: { username: 'pw-user-1', password, role: 'member' },
        });
        assert.equal(res.status, 400, password);
        assert.equal(res.body.error.code, 'weak_password');
        assert.equal(res.body.error.details?.[0]?.field, 'password');
      }
      const ok = await server.api('POST', '/api/v1/tenants/pw/members', {
        body: { username: 'pw-user-1', password: 'a less guessable phrase', role: 'member' },
      });
      assert.equal(ok.status, 201);
    });

    it('treats usernames case-insensitively on the login route and in Basic auth', async () => {
      await createTenant(server, 'case');
      const session = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
        token: null,
        body: { username: 'CASE-Admin', password: 'case-admin-password' },
      });
      assert.equal(session.status, 200);
      const me = await server.api<{ username: string }>('GET', '/api/v1/me', { token: session.body.token });
      assert.equal(me.body.username, 'case-admin');
      const helm = await fetch(`${server.url}/helm/case/index.yaml`, {
        headers: { authorization: basic('Case-Admin', 'case-admin-password') },
      });
      assert.equal(helm.status, 200);
    });
  });
});
