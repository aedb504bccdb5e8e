import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { launchBrowser, screenshot } from './browser.js';
import {
  addDialog,
  assertNoProblems,
  cellText,
  eventually,
  fillRegistryForm,
  openConsole,
  openRegistries,
  registryRow,
  signIn,
  tenantUser,
} from './console-helpers.js';

/** Who sees what: members read, system registries are read-only in tenants, the admin's System area. */
describe(`console: roles, system registries and the list (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startTestServer();
    await createTenant(server, 'acme');
    await createTenant(server, 'lists');
    const system = await server.api('POST', '/api/v1/system/registries/helm', {
      body: { name: 'mirror', endpoint: 'https://charts.example.com/stable', protected: true },
    });
    assert.equal(system.status, 201);
    const own = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      body: { name: 'team-charts', endpoint: 'https://charts.acme.example/team', protected: true },
    });
    assert.equal(own.status, 201);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows a member the list read-only: no Add, Edit or Delete', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, tenantUser('acme', 'member').username, tenantUser('acme', 'member').password);
    await openRegistries(page, 'acme');
    await registryRow(page, 'team-charts').waitFor();
    await registryRow(page, 'mirror').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add New Helm Registry' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^(Edit|Delete)/ }).count(), 0);
    assert.equal(await page.getByRole('columnheader', { name: 'Actions' }).count(), 0);
    // No System area for a member.
    assert.equal(await page.getByRole('navigation', { name: 'Main menu' }).getByText('System').count(), 0);
    assertNoProblems(problems);
    await context.close();
  });

  it('shows a tenant admin the system registry marked System and not editable', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, tenantUser('acme', 'admin').username, tenantUser('acme', 'admin').password);
    await openRegistries(page, 'acme');
    const system = registryRow(page, 'mirror');
    await system.waitFor();
    assert.match(await cellText(page, 'mirror', 'Name'), /System/);
    assert.equal(await cellText(page, 'mirror', 'Actions'), 'Read-only');
    assert.equal(await system.getByRole('button').count(), 0);
    // The tenant's own registry next to it is editable.
    await registryRow(page, 'team-charts').getByRole('button', { name: 'Edit team-charts' }).waitFor();
    assert.doesNotMatch(await cellText(page, 'team-charts', 'Name'), /System/);
    assertNoProblems(problems);
    await context.close();
  });

  it('lets the system admin add a system registry under System > Registries, seen by tenants', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.waitForURL('**/system/registries');
    await registryRow(page, 'mirror').waitFor();
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    await fillRegistryForm(dialog, {
      name: 'partner',
      endpoint: 'oci://registry.partner.example/charts',
      protected: true,
    });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await registryRow(page, 'partner').waitFor();
    assert.equal(await cellText(page, 'partner', 'Kind'), 'OCI');
    const seen = await server.api<{ items: Array<{ name: string; scope: string }> }>(
      'GET',
      '/api/v1/tenants/acme/registries/helm',
    );
    assert.ok(seen.body.items.some((r) => r.name === 'partner' && r.scope === 'system'));

    // The admin can open any tenant from System > Tenants and manage it.
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('link', { name: 'Registries of acme' }).click();
    await page.waitForURL('**/t/acme/settings/registries');
    await registryRow(page, 'team-charts').getByRole('button', { name: 'Edit team-charts' }).waitFor();
    // ...but a system registry stays read-only inside a tenant, for the admin too.
    assert.equal(await registryRow(page, 'partner').getByRole('button').count(), 0);
    await server.api('DELETE', '/api/v1/system/registries/helm/partner');
    assertNoProblems(problems);
    await context.close();
  });

  it('lets a tenant admin invite a user under Tenant Settings > Members, who joins by accepting', async () => {
    // carol has an account (made by the system administrator) in another tenant.
    const carol = await server.api('POST', '/api/v1/tenants/lists/members', {
      body: { username: 'carol', password: 'carol-password-1', role: 'member' },
    });
    assert.equal(carol.status, 201);
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, tenantUser('acme', 'admin').username, tenantUser('acme', 'admin').password);
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
    await page.getByRole('rowheader', { name: 'acme-member' }).waitFor();
    await page.getByRole('button', { name: 'Invite Member' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite Member' });
    assert.equal(await dialog.getByLabel('Password').count(), 0, 'a tenant admin sets no passwords');
    await dialog.getByLabel('Username').fill('carol');
    await dialog.getByLabel('Role').selectOption('member');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .getByText(/"carol" is invited to acme/)
      .waitFor();
    const pending = page.getByRole('region', { name: 'Pending invitations' });
    await pending.getByRole('rowheader', { name: 'carol' }).waitFor();
    assert.equal(
      await page.getByRole('region', { name: 'Members' }).getByRole('rowheader', { name: 'carol' }).count(),
      0,
    );
    await screenshot(page, 'members');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');

    await signIn(page, 'carol', 'carol-password-1');
    const banner = page.getByRole('region', { name: 'Invitations' });
    await banner.getByText(/acme-admin invited you to join acme as a member/).waitFor();
    await banner.getByRole('button', { name: 'Accept the invitation to acme' }).click();
    await page.waitForURL('**/t/acme/settings/registries');
    await eventually(async () => assert.equal(await banner.count(), 0));
    // A member reads the member list but cannot invite anyone; they may leave.
    await page.goto('/t/acme/settings/members');
    await page.getByRole('rowheader', { name: 'carol' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Invite Member|Add Member/ }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Remove acme-member' }).count(), 0);
    await page.getByRole('button', { name: 'Leave acme' }).waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  it('switches between the tenants of a user, with the role of each', async () => {
    // acme's administrator is an ordinary member of "lists".
    const member = await server.api('POST', '/api/v1/tenants/lists/members', {
      body: { username: 'acme-admin', role: 'member' },
    });
    assert.equal(member.status, 201);
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, tenantUser('acme', 'admin').username, tenantUser('acme', 'admin').password);
    await openRegistries(page, 'acme');
    await page.getByRole('button', { name: 'Add New Helm Registry' }).waitFor();
    await page.getByLabel('Tenant').selectOption('lists');
    await page.waitForURL('**/t/lists/settings/registries');
    await registryRow(page, 'mirror').waitFor();
    assert.equal(await registryRow(page, 'team-charts').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Add New Helm Registry' }).count(), 0);
    await page.getByLabel('Tenant').selectOption('acme');
    await registryRow(page, 'team-charts').waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  it('sorts, filters and pages a long list', async () => {
    for (let i = 1; i <= 23; i++) {
      const name = `reg-${String(i).padStart(2, '0')}`;
      const res = await server.api('POST', '/api/v1/tenants/lists/registries/helm', {
        body: { name, endpoint: `https://charts${i}.example.com`, protected: true },
      });
      assert.equal(res.status, 201);
    }
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, tenantUser('lists', 'admin').username, tenantUser('lists', 'admin').password);
    await openRegistries(page, 'lists');
    // 23 own + the tenant's hosted one + 2 system registries (mirror, the hosted stable): 20 on the first page.
    const names = () =>
      page
        .locator('.registry-table tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-registry')));
    assert.equal((await names()).length, 20);
    assert.match(await page.getByRole('navigation', { name: 'Pages' }).innerText(), /1–20 of 26 registries/);
    await page.getByRole('button', { name: 'Next' }).click();
    await eventually(async () =>
      assert.deepEqual(await names(), ['reg-19', 'reg-20', 'reg-21', 'reg-22', 'reg-23', 'stable']),
    );

    await page.getByRole('button', { name: /^Name/ }).click(); // now descending
    assert.equal(
      await page.getByRole('columnheader', { name: /^Name/ }).getAttribute('aria-sort'),
      'descending',
    );
    await eventually(async () => assert.equal((await names())[0], 'stable'));
    // A new order starts again at the first page.
    assert.match(await page.getByRole('navigation', { name: 'Pages' }).innerText(), /1–20 of 26/);

    await page.getByLabel('Filter by name').fill('reg-1');
    await eventually(async () =>
      assert.deepEqual(await names(), [
        'reg-19',
        'reg-18',
        'reg-17',
        'reg-16',
        'reg-15',
        'reg-14',
        'reg-13',
        'reg-12',
        'reg-11',
        'reg-10',
      ]),
    );
    assert.equal(await page.getByRole('navigation', { name: 'Pages' }).count(), 0);
    await page.getByLabel('Filter by name').fill('nothing-like-this');
    await page.getByText('No registry name contains "nothing-like-this".').waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  it('shows a failed request in words with a Retry button that works', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, tenantUser('acme', 'admin').username, tenantUser('acme', 'admin').password);
    await page.waitForURL('**/t/acme/settings/registries');
    // A proxy in front of the server fails every list request for now (non-JSON 502).
    let failing = true;
    await page.route('**/api/v1/tenants/acme/registries/helm*', (route) =>
      failing
        ? route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad gateway</h1>' })
        : route.continue(),
    );
    await page.goto('/t/acme/settings/registries');
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 20_000 }); // after the query's own retries
    await screenshot(page, 'registries-load-failed');
    const text = await alert.innerText();
    assert.match(text, /Could not load the registries/);
    assert.match(text, /HTTP 502/);
    assert.doesNotMatch(text, /<h1>/);
    failing = false;
    await alert.getByRole('button', { name: 'Retry' }).click();
    await registryRow(page, 'team-charts').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0);
    assertNoProblems(problems);
    await context.close();
  });

  it('answers an unknown address inside the console with a page, not a blank screen', async () => {
    const { page, context, problems } = await openConsole(browser, server.url);
    await page.goto('/login');
    await signIn(page, tenantUser('acme', 'member').username, tenantUser('acme', 'member').password);
    await page.goto('/no/such/screen');
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    // A tenant the user does not belong to: the API's 404 in words, inside the frame.
    await page.goto('/t/not-mine/settings/registries');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /not-mine/);
    assertNoProblems(problems);
    await context.close();
  });
});
