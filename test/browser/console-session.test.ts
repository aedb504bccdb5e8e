import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { launchBrowser, screenshot } from './browser.js';
import { assertNoProblems, openConsole, signIn, tenantUser } from './console-helpers.js';

const SESSION_KEY = 'charthouse.session';

/** Signing in and out, the session across reloads, and what happens when it is no longer good. */
describe(`console: session (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startTestServer();
    await createTenant(server, 'acme');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refuses a wrong password with a readable message and stays on the sign-in page', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByLabel('Username').fill('acme-admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Could not sign in/);
    assert.match(await alert.innerText(), /password/i);
    await screenshot(page, 'sign-in');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), SESSION_KEY), null);
    assertNoProblems(problems);
    await context.close();
  });

  it('signs in, keeps the session across a reload, and signs out back to the sign-in page', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/');
    await signIn(page, tenantUser('acme', 'admin').username, tenantUser('acme', 'admin').password);
    // `/` goes to the user's first tenant, Main Menu > Tenant Settings > Registries.
    await page.waitForURL('**/t/acme/settings/registries');
    await page.getByRole('heading', { level: 1, name: 'Registries' }).waitFor();
    assert.match(await page.locator('.topbar').innerText(), /acme-admin/);

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Registries' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/t/acme/settings/registries');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login**');
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), SESSION_KEY), null);
    await page.goto('/t/acme/settings/registries');
    await page.waitForURL('**/login**');
    assertNoProblems(problems);
    await context.close();
  });

  it('sends a user with an invalid stored token to sign in, then back to where they were', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await page.evaluate(
      ([k, v]) => localStorage.setItem(k!, v!),
      [SESSION_KEY, JSON.stringify({ token: 'revoked-or-made-up', expiresAt: '2999-01-01T00:00:00.000Z' })],
    );
    await page.goto('/t/acme/settings/members');
    await page.waitForURL((url) => url.pathname === '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/t/acme/settings/members');
    assert.match(await page.getByRole('status').first().innerText(), /session has ended/);
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), SESSION_KEY), null);

    await signIn(page, tenantUser('acme', 'admin').username, tenantUser('acme', 'admin').password);
    await page.waitForURL('**/t/acme/settings/members');
    await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  it('drops a stored session whose expiry has passed without sending it', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    const login = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
      token: null,
      body: tenantUser('acme', 'member'),
    });
    await page.goto('/login');
    await page.evaluate(
      ([k, v]) => localStorage.setItem(k!, v!),
      [SESSION_KEY, JSON.stringify({ token: login.body.token, expiresAt: '2000-01-01T00:00:00.000Z' })],
    );
    const sent: string[] = [];
    page.on('request', (r) => {
      const auth = r.headers()['authorization'];
      if (auth) sent.push(auth);
    });
    await page.goto('/t/acme/settings/registries');
    await page.waitForURL((url) => url.pathname === '/login');
    assert.deepEqual(sent, []);
    assertNoProblems(problems);
    await context.close();
  });

  it('shows a system administrator the System area, where tenants are listed and created', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, ADMIN.username, ADMIN.password);
    // The admin belongs to no tenant: `/` opens the System area.
    await page.waitForURL('**/system/registries');
    const menu = page.getByRole('navigation', { name: 'Main menu' });
    await menu.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
    await page.getByRole('rowheader', { name: 'acme', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Create Tenant' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Tenant' });
    await dialog.getByLabel('Name', { exact: true }).fill('Not A Slug');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.locator('.field-error').first().waitFor();
    assert.match(await dialog.getByRole('alert').innerText(), /Nothing was saved/);

    await dialog.getByLabel('Name', { exact: true }).fill('globex');
    await dialog.getByLabel('Display name').fill('Globex Corporation');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('rowheader', { name: 'globex', exact: true }).waitFor();
    await screenshot(page, 'system-tenants');
    const tenants = await server.api<{ items: Array<{ name: string }> }>('GET', '/api/v1/tenants');
    assert.ok(tenants.body.items.some((t) => t.name === 'globex'));
    assertNoProblems(problems);
    await context.close();
  });
});
