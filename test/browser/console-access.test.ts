import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { launchBrowser, screenshot } from './browser.js';
import { assertNoProblems, eventually, openConsole, signIn, tenantUser } from './console-helpers.js';

/** Tenant Settings > Members (roles, removal, invitations) and Account > API tokens, in Chromium. */
describe(`console: members and API tokens (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startTestServer();
    await createTenant(server, 'crew');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('changes roles, refuses to demote the last admin with the reason, and removes a member', async () => {
    const dave = await server.api('POST', '/api/v1/tenants/crew/members', {
      body: { username: 'dave', password: 'dave-password-1', role: 'member' },
    });
    assert.equal(dave.status, 201);
    const { page, context, problems } = await openConsole(browser, server.url);
    await signIn(page, tenantUser('crew', 'admin').username, tenantUser('crew', 'admin').password);
    await page.goto('/t/crew/settings/members');
    const members = page.getByRole('region', { name: 'Members' });
    await members.getByRole('rowheader', { name: 'dave' }).waitFor();

    // The only admin cannot demote themselves: the reason is shown, and the role stays.
    await page.getByLabel('Role of crew-admin').selectOption('member');
    await page
      .getByRole('alert')
      .getByText(/"crew-admin" is the last administrator of crew/)
      .waitFor();
    assert.equal(await page.getByLabel('Role of crew-admin').inputValue(), 'admin');

    await page.getByLabel('Role of dave').selectOption('admin');
    await page.getByRole('status').getByText('"dave" is now an administrator.').waitFor();
    await eventually(async () => assert.equal(await page.getByLabel('Role of dave').inputValue(), 'admin'));
    const check = await server.api<{ items: Array<{ username: string; role: string }> }>(
      'GET',
      '/api/v1/tenants/crew/members',
    );
    assert.equal(check.body.items.find((m) => m.username === 'dave')?.role, 'admin');

    const daveSession = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'dave', password: 'dave-password-1' },
    });
    await page.getByRole('button', { name: 'Remove dave' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove member' });
    await dialog.getByText(/They lose access at once/).waitFor();
    await screenshot(page, 'members-remove');
    await dialog.getByRole('button', { name: 'Remove member' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('"dave" was removed from crew.').waitFor();
    await eventually(async () =>
      assert.equal(await members.getByRole('rowheader', { name: 'dave' }).count(), 0),
    );
    const lockedOut = await server.api('GET', '/api/v1/tenants/crew/registries/helm', {
      token: daveSession.body.token,
    });
    assert.equal(lockedOut.status, 404, 'the removed member lost access at once');
    assertNoProblems(problems);
    await context.close();
  });

  it('withdraws a pending invitation', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await signIn(page, tenantUser('crew', 'admin').username, tenantUser('crew', 'admin').password);
    await page.goto('/t/crew/settings/members');
    await page.getByRole('button', { name: 'Invite Member' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite Member' });
    await dialog.getByLabel('Username').fill('Erin');
    await dialog.getByLabel('Role').selectOption('admin');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const pending = page.getByRole('region', { name: 'Pending invitations' });
    await pending.getByRole('rowheader', { name: 'erin' }).waitFor();
    await pending.getByRole('button', { name: 'Withdraw the invitation of erin' }).click();
    await page.getByRole('status').getByText('The invitation of "erin" was withdrawn.').waitFor();
    await eventually(async () => assert.equal(await pending.count(), 0));
    const left = await server.api<{ items: unknown[] }>('GET', '/api/v1/tenants/crew/invitations');
    assert.deepEqual(left.body.items, []);
    assertNoProblems(problems);
    await context.close();
  });

  it('creates an API token shown once, lists it without its secret, and revokes it at once', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signIn(page, tenantUser('crew', 'member').username, tenantUser('crew', 'member').password);
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
    await page.getByText('No API tokens yet.').waitFor();

    await page.getByLabel('Token name').fill('github-actions');
    assert.equal(await page.getByLabel('Expires').inputValue(), '90', '90 days unless chosen otherwise');
    await page.getByLabel('Expires').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const panel = page.getByRole('region', { name: 'Token "github-actions" created' });
    const token = (await panel.getByLabel('New API token').innerText()).trim();
    assert.match(token, /^chp_[A-Za-z0-9_-]{43}$/);
    await panel.getByText(/Copy it now: it is not shown again/).waitFor();
    await panel.getByRole('button', { name: 'Copy' }).click();
    await panel.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    const table = page.getByRole('region', { name: 'API tokens' });
    await table.getByRole('rowheader', { name: 'github-actions' }).waitFor();
    await screenshot(page, 'api-tokens');

    // It works, as a bearer token and as a helm password.
    assert.equal((await server.api('GET', '/api/v1/me', { token })).status, 200);
    await panel.getByRole('button', { name: 'Done' }).click();
    await eventually(async () => assert.equal(await panel.count(), 0));
    assert.ok(!(await page.content()).includes(token), 'never shown again');

    await page.getByRole('button', { name: 'Revoke github-actions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke API token' });
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('The token "github-actions" was revoked.').waitFor();
    await page.getByText('No API tokens yet.').waitFor();
    assert.equal((await server.api('GET', '/api/v1/me', { token })).status, 401, 'refused at once');
    assertNoProblems(problems);
    await context.close();
  });

  it('signs out on the server: the session token stops working', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await signIn(page, tenantUser('crew', 'member').username, tenantUser('crew', 'member').password);
    const stored = await page.evaluate(() => JSON.stringify(window.localStorage));
    const token = /chs_[A-Za-z0-9_-]{43}/.exec(stored)?.[0];
    assert.ok(token, 'the console keeps its session token');
    assert.equal((await server.api('GET', '/api/v1/me', { token })).status, 200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await eventually(async () =>
      assert.equal((await server.api('GET', '/api/v1/me', { token })).status, 401),
    );
    assertNoProblems(problems);
    await context.close();
  });
});
