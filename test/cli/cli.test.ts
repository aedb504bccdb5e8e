import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RegistryList, RegistryView, TenantList } from '../../src/client/api-client.js';
import { assertCliOk, runCli, type CliRun } from '../support/cli.js';
import { ADMIN, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

const REGISTRY_PASSWORD = 'registry-password-never-printed';
const MEMBER_PASSWORD = 'alice-password-for-tests';

function assertNoStack(run: CliRun): void {
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
}

describe(`charthouse CLI against the real server (${TEST_DB})`, () => {
  let server: TestServer;
  let dir: string;
  let config: string;
  const run = (args: string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<CliRun> =>
    runCli(config, args, opts);

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-cli-'));
    config = path.join(dir, 'nested', 'cli.json');
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs in with --password-stdin and stores only a token, mode 0600', async () => {
    const login = await run(
      ['login', '--server', `${server.url}/`, '--username', ADMIN.username, '--password-stdin'],
      {
        stdin: `${ADMIN.password}\n`,
      },
    );
    assertCliOk(login, 'login');
    assert.match(login.stdout, /Signed in to http:\/\/127\.0\.0\.1:\d+ as admin/);
    const info = await stat(config);
    assert.equal(info.mode & 0o777, 0o600);
    const text = await readFile(config, 'utf8');
    assert.ok(!text.includes(ADMIN.password), 'the password is not stored');
    const stored = JSON.parse(text) as { server: string; token: string; expiresAt: string };
    assert.equal(stored.server, server.url);
    assert.ok(stored.token.length > 20);
    assert.ok(!Number.isNaN(Date.parse(stored.expiresAt)));
  });

  it('refuses a wrong password with a readable error', async () => {
    const other = path.join(dir, 'other.json');
    const bad = await runCli(
      other,
      ['login', '--server', server.url, '--username', 'admin', '--password-stdin'],
      {
        stdin: 'wrong-password',
      },
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: The username or password is wrong\.$/m);
    assertNoStack(bad);
  });

  it('creates and lists tenants, adds and lists members', async () => {
    assertCliOk(await run(['tenant', 'create', 'acme', '--display-name', 'Acme Corp']), 'tenant create');
    const list = await run(['tenant', 'list']);
    assertCliOk(list, 'tenant list');
    assert.match(list.stdout, /^NAME +DISPLAY NAME +CREATED$/m);
    assert.match(list.stdout, /^acme +Acme Corp +\d{4}-\d\d-\d\d \d\d:\d\d UTC$/m);
    const json = JSON.parse((await run(['tenant', 'list', '--json'])).stdout) as TenantList;
    assert.ok(json.items.some((t) => t.name === 'acme' && t.displayName === 'Acme Corp'));

    const add = await run(
      ['tenant', 'member', 'add', 'acme', 'alice', '--role', 'admin', '--password-stdin'],
      {
        stdin: `${MEMBER_PASSWORD}\n`,
      },
    );
    assertCliOk(add, 'member add');
    assert.match(add.stdout, /Added alice to acme as admin/);
    const members = await run(['tenant', 'member', 'list', 'acme']);
    assertCliOk(members, 'member list');
    assert.match(members.stdout, /^alice +admin +/m);
    const badRole = await run(['tenant', 'member', 'add', 'acme', 'bob', '--role', 'owner']);
    assert.equal(badRole.code, 2);
  });

  it("changes a member's role and removes members, keeping the last admin", async () => {
    assertCliOk(
      await run(['tenant', 'member', 'add', 'acme', 'bob', '--role', 'member', '--password-stdin'], {
        stdin: 'bob-password-for-tests\n',
      }),
      'add bob',
    );
    const last = await run(['tenant', 'member', 'set-role', 'acme', 'alice', 'member']);
    assert.equal(last.code, 1);
    assert.match(last.stderr, /^error: "alice" is the last administrator of acme/m);
    assertNoStack(last);
    const promote = await run(['tenant', 'member', 'set-role', 'acme', 'BOB', 'admin']);
    assertCliOk(promote, 'set-role');
    assert.match(promote.stdout, /bob is now admin of acme/);
    const remove = await run(['tenant', 'member', 'remove', 'acme', 'bob']);
    assertCliOk(remove, 'remove');
    const members = await run(['tenant', 'member', 'list', 'acme']);
    assert.doesNotMatch(members.stdout, /^bob /m);
    assert.equal((await run(['tenant', 'member', 'set-role', 'acme', 'alice', 'owner'])).code, 2);
  });

  it('lets a tenant admin invite, and the invitee accept from the CLI', async () => {
    const alice = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'alice', password: MEMBER_PASSWORD },
    });
    await server.api('POST', '/api/v1/tenants', { body: { name: 'other' } });
    await server.api('POST', '/api/v1/tenants/other/members', {
      body: { username: 'carol', password: 'carol-password-for-tests', role: 'member' },
    });
    const asAlice = { env: { CHARTHOUSE_TOKEN: alice.body.token } };
    const fresh = path.join(dir, 'alice.json');
    const invite = await runCli(
      fresh,
      ['tenant', 'member', 'add', 'acme', 'carol', '--role', 'member', '--server', server.url],
      asAlice,
    );
    assertCliOk(invite, 'invite');
    assert.match(invite.stdout, /^Invited carol to acme as member until .*charthouse invitation accept/m);
    const pending = await runCli(
      fresh,
      ['tenant', 'member', 'invitations', 'acme', '--server', server.url],
      asAlice,
    );
    assert.match(pending.stdout, /^acme +carol +member +alice +/m);
    const carol = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'carol', password: 'carol-password-for-tests' },
    });
    const asCarol = { env: { CHARTHOUSE_TOKEN: carol.body.token } };
    const mine = await runCli(fresh, ['invitation', 'list', '--server', server.url], asCarol);
    assert.match(mine.stdout, /^acme +carol +member +alice +/m);
    const accepted = await runCli(fresh, ['invitation', 'accept', 'acme', '--server', server.url], asCarol);
    assertCliOk(accepted, 'accept');
    assert.match(accepted.stdout, /Joined acme as member/);
    const none = await runCli(fresh, ['invitation', 'accept', 'acme', '--server', server.url], asCarol);
    assert.equal(none.code, 1);
  });

  it('adds a protected registry without contacting it, and lists it with Last Synced n/a', async () => {
    const add = await run(
      [
        'registry',
        'add',
        'internal',
        'https://charts.internal.example',
        '--tenant',
        'acme',
        '--protected',
        '--username',
        'deploy',
        '--password-stdin',
      ],
      { stdin: REGISTRY_PASSWORD },
    );
    assertCliOk(add, 'registry add');
    assert.match(add.stdout, /Added Helm registry internal \(tenant acme\)/);
    assert.match(add.stdout, /^Last synced: +n\/a$/m);

    const table = await run(['registry', 'list', '--tenant', 'acme']);
    assertCliOk(table, 'registry list');
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME +SCOPE +KIND +ENDPOINT +PROTECTED +AUTH +LAST SYNCED +STATUS +CHARTS$/);
    const row = lines.find((l) => l.startsWith('internal '));
    assert.ok(row, table.stdout);
    assert.match(
      row,
      /^internal +tenant +helm +https:\/\/charts\.internal\.example +yes +basic +n\/a +disabled +0$/,
    );

    const json = JSON.parse(
      (await run(['registry', 'list', '--tenant', 'acme', '--json'])).stdout,
    ) as RegistryList;
    const internal = json.items.find((r) => r.name === 'internal');
    assert.equal(internal?.protected, true);
    assert.equal(internal?.lastSyncedAt, null);
    assert.deepEqual(internal?.auth, { type: 'basic', username: 'deploy' });

    const get = await run(['registry', 'get', 'internal', '--tenant', 'acme', '--json']);
    assertCliOk(get, 'registry get');
    assert.equal((JSON.parse(get.stdout) as RegistryView).syncStatus, 'disabled');
    const detail = await run(['registry', 'get', 'internal', '--tenant', 'acme']);
    assert.match(detail.stdout, /^Authentication: +basic \(username deploy\)$/m);

    for (const r of [add, table, get, detail]) assert.ok(!(r.stdout + r.stderr).includes(REGISTRY_PASSWORD));
    assert.ok(!server.logLines.some((l) => l.includes(REGISTRY_PASSWORD)), 'not in the server log either');
  });

  it('updates a registry: rename and drop the credentials', async () => {
    const upd = await run([
      'registry',
      'update',
      'internal',
      '--tenant',
      'acme',
      '--name',
      'internal2',
      '--no-auth',
    ]);
    assertCliOk(upd, 'registry update');
    assert.match(upd.stdout, /Updated Helm registry internal2/);
    const r = JSON.parse(
      (await run(['registry', 'get', 'internal2', '--tenant', 'acme', '--json'])).stdout,
    ) as RegistryView;
    assert.deepEqual(r.auth, { type: 'none' });
    const nothing = await run(['registry', 'update', 'internal2', '--tenant', 'acme']);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing to change/);
  });

  it('reports a duplicate name as a readable error with exit 1 and no stack trace', async () => {
    const dup = await run([
      'registry',
      'add',
      'internal2',
      'https://other.example',
      '--tenant',
      'acme',
      '--protected',
    ]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^error: A registry named "internal2" already exists here/m);
    assert.equal(dup.stdout, '');
    assertNoStack(dup);
  });

  it('explains usage errors with exit 2', async () => {
    const noScope = await run(['registry', 'list']);
    assert.equal(noScope.code, 2);
    assert.match(noScope.stderr, /^error: choose the scope: --tenant/m);
    const both = await run(['registry', 'list', '--tenant', 'acme', '--system']);
    assert.equal(both.code, 2);
    const unknown = await run(['registry', 'list', '--tenant', 'acme', '--colour']);
    assert.equal(unknown.code, 2);
    const argvPassword = await run([
      'registry',
      'add',
      'x',
      'https://x.example',
      '--tenant',
      'acme',
      '--password',
      'pw',
    ]);
    assert.equal(argvPassword.code, 2, 'there is no way to give a password on the command line');
    const noTty = await run([
      'registry',
      'add',
      'x',
      'https://x.example',
      '--tenant',
      'acme',
      '--username',
      'u',
    ]);
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /--password-stdin/);
  });

  it('removes a registry only with --yes when stdin is not a terminal', async () => {
    const refused = await run(['registry', 'remove', 'internal2', '--tenant', 'acme']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    assertCliOk(await run(['registry', 'get', 'internal2', '--tenant', 'acme']), 'still there');
    const removed = await run(['registry', 'remove', 'internal2', '--tenant', 'acme', '--yes']);
    assertCliOk(removed, 'registry remove');
    const gone = await run(['registry', 'get', 'internal2', '--tenant', 'acme']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^error: Helm registry "internal2" was not found\.$/m);
  });

  it('creates a personal token that works from CHARTHOUSE_TOKEN without a stored login', async () => {
    const created = await run(['token', 'create', 'ci', '--expires-in-days', '7']);
    assertCliOk(created, 'token create');
    const token = created.stdout.trim();
    assert.match(token, /^\S+$/);
    assert.match(created.stderr, /not shown again/);
    const fresh = path.join(dir, 'ci.json');
    const me = await runCli(fresh, ['whoami', '--server', server.url, '--json'], {
      env: { CHARTHOUSE_TOKEN: token },
    });
    assertCliOk(me, 'whoami with CHARTHOUSE_TOKEN');
    assert.equal((JSON.parse(me.stdout) as { username: string }).username, 'admin');
    const bad = await runCli(fresh, ['whoami', '--server', server.url], {
      env: { CHARTHOUSE_TOKEN: 'chp_nope' },
    });
    assert.equal(bad.code, 1);
    assert.ok(!bad.stderr.includes('chp_nope'));

    const never = await run(['token', 'create', 'forever', '--no-expiry']);
    assertCliOk(never, 'token create --no-expiry');
    assert.match(never.stderr, /does not expire/);
    const list = await run(['token', 'list']);
    assertCliOk(list, 'token list');
    assert.match(list.stdout, /^ID +NAME +CREATED +LAST USED +EXPIRES$/m);
    assert.match(list.stdout, / ci +\d{4}-\d\d-\d\d \d\d:\d\d UTC +\d{4}-\d\d-\d\d \d\d:\d\d UTC +\d{4}/m);
    assert.match(list.stdout, / forever +\S+ \S+ UTC +never +never$/m);
    assert.ok(!list.stdout.includes(token), 'never the secret');
    const revoke = await run(['token', 'revoke', 'ci']);
    assertCliOk(revoke, 'token revoke');
    const revoked = await runCli(fresh, ['whoami', '--server', server.url], {
      env: { CHARTHOUSE_TOKEN: token },
    });
    assert.equal(revoked.code, 1, 'refused at once');
    assert.equal((await run(['token', 'revoke', 'ci'])).code, 1);
  });

  it('never sends the stored token to another server', async () => {
    const elsewhere = await run(['tenant', 'list', '--server', 'http://127.0.0.1:9']);
    assert.equal(elsewhere.code, 1);
    assert.match(
      elsewhere.stderr,
      /you are signed in to http:\/\/127\.0\.0\.1:\d+, not http:\/\/127\.0\.0\.1:9/,
    );
  });

  it('says when the server cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const down = await run(['tenant', 'list', '--server', `http://127.0.0.1:${port}`], {
      env: { CHARTHOUSE_TOKEN: 'chp_whatever' },
    });
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(
        `^error: Cannot reach the server at http://127\\.0\\.0\\.1:${port}: connection refused`,
        'm',
      ),
    );
    assert.ok(!down.stderr.includes('chp_whatever'));
    assertNoStack(down);
  });

  it('signs out, ending the session on the server too', async () => {
    const stored = JSON.parse(await readFile(config, 'utf8')) as { token: string };
    const out = await run(['logout']);
    assertCliOk(out, 'logout');
    const reused = await server.api('GET', '/api/v1/me', { token: stored.token });
    assert.equal(reused.status, 401, 'a copy of the session token no longer works');
    await assert.rejects(stat(config), { code: 'ENOENT' });
    const afterLogout = await run(['tenant', 'list']);
    assert.equal(afterLogout.code, 2, 'no server known any more');
    const withServer = await run(['tenant', 'list', '--server', server.url]);
    assert.equal(withServer.code, 1);
    assert.match(withServer.stderr, /not signed in/);
  });
});
