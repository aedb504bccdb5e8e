import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Request } from 'playwright-core';
import {
  fixtureServerPool,
  sendBody,
  serveFile,
  withBasicAuth,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
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
  type ConsolePage,
} from './console-helpers.js';

const KONG_INDEX = new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url).pathname;
const UPSTREAM_PASSWORD = 'upstream-Pa55word';
const DOCS_IMAGES = path.resolve(import.meta.dirname, '../../docs/images');

type Registry = { name: string; syncIntervalMinutes: number; protected: boolean };
type List = { items: Registry[] };

/** A tenant administrator manages Helm registries in Main Menu > Tenant Settings > Registries. */
describe(`console: Helm registries (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;
  let upstream: FixtureServer;
  const pool = fixtureServerPool();
  const tenant = 'acme';
  let ui: ConsolePage;

  const listRegistries = async (): Promise<Registry[]> =>
    (await server.api<List>('GET', `/api/v1/tenants/${tenant}/registries/helm`)).body.items;

  before(async () => {
    server = await startTestServer();
    await createTenant(server, tenant);
    // A system registry beside the tenant's own, as every tenant sees one.
    const stable = await server.api('POST', '/api/v1/system/registries/helm', {
      body: { name: 'partner', endpoint: 'https://charts.example.com/stable', protected: true },
    });
    assert.equal(stable.status, 201);
    upstream = await pool.serve({
      '/kong/index.yaml': serveFile(KONG_INDEX),
      '/empty/index.yaml': sendBody('apiVersion: v1\nentries: {}\n'),
      '/private/index.yaml': withBasicAuth('robot', UPSTREAM_PASSWORD, serveFile(KONG_INDEX)),
    });
    browser = await launchBrowser();
    ui = await openConsole(browser, server.url);
    await ui.page.goto('/login');
    await signIn(ui.page, tenantUser(tenant, 'admin').username, tenantUser(tenant, 'admin').password);
  });
  after(async () => {
    await ui?.context.close();
    await browser?.close();
    await pool.closeAll();
    await server?.close();
  });

  it('adds an unprotected registry served by a real upstream: validated, then shown in the table', async () => {
    const { page } = ui;
    await openRegistries(page, tenant);
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    await dialog.waitFor();
    // No Authentication is on by default, Protected off.
    assert.equal(await dialog.getByRole('switch', { name: 'No Authentication' }).isChecked(), true);
    assert.equal(await dialog.getByRole('switch', { name: 'Protected' }).isChecked(), false);
    assert.match(await dialog.innerText(), /not synchronized/);
    await fillRegistryForm(dialog, { name: 'kong', endpoint: `${upstream.url}/kong` });
    await screenshot(page, 'add-registry-dialog');

    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await registryRow(page, 'kong').waitFor();
    assert.match(await page.getByRole('status').first().innerText(), /"kong" added/);
    assert.equal(await cellText(page, 'kong', 'Kind'), 'Helm');
    assert.equal(await cellText(page, 'kong', 'Protected'), 'No');
    assert.equal(await cellText(page, 'kong', 'Authentication'), 'None');
    assert.match(await cellText(page, 'kong', 'Last Synced'), /^(never|\w{3} \d)/);
    assert.match(await cellText(page, 'kong', 'Status'), /^(Not synced|Synced|Syncing…)$/);
    assert.ok(
      upstream.requests.some((r) => r.url === '/kong/index.yaml'),
      'the server probed the upstream',
    );
    assert.ok((await listRegistries()).some((r) => r.name === 'kong'));
    assertNoProblems(ui.problems);
  });

  it('keeps keyboard focus inside the dialog, closes it with Escape and returns focus', async () => {
    const { page } = ui;
    const add = page.getByRole('button', { name: 'Add New Helm Registry' });
    await add.focus();
    await page.keyboard.press('Enter');
    const dialog = addDialog(page);
    await dialog.waitFor();
    // The first field has focus; Shift+Tab from it wraps to the last control, Tab wraps back.
    assert.equal(
      await dialog.getByLabel('Registry name').evaluate((el) => el === document.activeElement),
      true,
    );
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      assert.equal(await dialog.evaluate((el) => el.contains(document.activeElement)), true, `tab ${i}`);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await add.evaluate((el) => el === document.activeElement), true);
    // Every control in the form has a name a screen reader can announce.
    await add.click();
    const unnamed = await dialog.evaluate((el) =>
      [...el.querySelectorAll('input, select, textarea, button')]
        .filter((c) => {
          const labels = (c as HTMLInputElement).labels;
          return !(labels && labels.length > 0) && !c.getAttribute('aria-label') && !c.textContent?.trim();
        })
        .map((c) => c.outerHTML),
    );
    assert.deepEqual(unnamed, []);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('refuses a wrong password with the reason in words, and saves nothing', async () => {
    const { page } = ui;
    const before = await listRegistries();
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    await fillRegistryForm(dialog, {
      name: 'private',
      endpoint: `${upstream.url}/private`,
      username: 'robot',
      password: 'wrong-password',
    });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Nothing was saved/);
    // The server blames auth.password, so the reason sits next to the Password field.
    const password = dialog.getByLabel('Password');
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    const describedBy = ((await password.getAttribute('aria-describedby')) ?? '').split(' ').pop();
    const reason = await page.locator(`[id="${describedBy}"]`).innerText();
    assert.match(reason, /(username|password|credentials)/i);
    assert.doesNotMatch(`${await dialog.innerText()}`, /wrong-password/);
    await screenshot(page, 'add-registry-refused');
    assert.deepEqual(await listRegistries(), before);

    // Fixing the password in the same dialog then succeeds.
    await dialog.getByLabel('Password').fill(UPSTREAM_PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await registryRow(page, 'private').waitFor();
    assert.match(await cellText(page, 'private', 'Authentication'), /^Basic\s+robot$/);
    assertNoProblems(ui.problems);
  });

  it('shows a field error next to the field and renders server text as text', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    // The server quotes the bad OCI path in its message: markup must arrive as characters.
    await fillRegistryForm(dialog, {
      name: 'markup',
      endpoint: 'oci://registry.example.com/<img/src=x/onerror=window.__pwned=1>',
      protected: true,
    });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const endpoint = dialog.getByLabel('Endpoint');
    await dialog.locator('.field-error').first().waitFor();
    assert.equal(await endpoint.getAttribute('aria-invalid'), 'true');
    const described = (await endpoint.getAttribute('aria-describedby')) ?? '';
    const errorText = await page.locator(`[id="${described.split(' ').pop()}"]`).innerText();
    assert.match(errorText, /<img\/src=x\/onerror=window\.__pwned=1>/);
    assert.equal(await dialog.locator('img').count(), 0);
    assert.equal(await page.evaluate(() => 'pwned' in window || '__pwned' in window), false);
    // The field's message is focused for keyboard users: focus moved to the bad control.
    // The focus moves in an effect after the error renders: wait for it rather than race it.
    await eventually(async () =>
      assert.equal(await endpoint.evaluate((el) => el === document.activeElement), true),
    );
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(
      (await listRegistries()).some((r) => r.name === 'markup'),
      false,
    );
  });

  it('checks the form before sending it: every bad field is named beside it, nothing reaches the server', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    await dialog.waitFor();
    const posts: string[] = [];
    const onRequest = (request: Request) => {
      if (request.method() === 'POST' && request.url().includes('/registries/helm'))
        posts.push(request.url());
    };
    page.on('request', onRequest);
    const errorOf = async (label: string): Promise<string> => {
      const control = dialog.getByLabel(label, { exact: true });
      assert.equal(await control.getAttribute('aria-invalid'), 'true', `${label} is marked invalid`);
      const id = ((await control.getAttribute('aria-describedby')) ?? '').split(' ').pop();
      return page.locator(`[id="${id}"]`).innerText();
    };
    try {
      // Empty: both required fields at once, and credentials once authentication is on.
      await dialog.getByRole('switch', { name: 'No Authentication' }).setChecked(false);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dialog.locator('.field-error').first().waitFor();
      assert.equal(await errorOf('Registry name'), 'Required.');
      assert.equal(await errorOf('Endpoint'), 'Required.');
      assert.equal(await errorOf('Username'), 'Required.');
      assert.equal(await errorOf('Password'), 'Required.');
      assert.match(await dialog.getByRole('alert').innerText(), /Correct the highlighted fields/);

      // Wrong in form: the server's own rules, in the server's words.
      await fillRegistryForm(dialog, {
        name: '-bad name',
        endpoint: 'ftp://charts.example.com',
        username: 'robot',
        password: 'pw',
      });
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await eventually(async () => assert.match(await errorOf('Registry name'), /letters, digits/));
      assert.match(await errorOf('Endpoint'), /scheme "ftp:" is not supported/);
      assert.equal(await dialog.getByLabel('Username', { exact: true }).getAttribute('aria-invalid'), null);

      // Corrected as the user types: the message goes when the value is right.
      await dialog.getByLabel('Registry name').fill('good-name');
      await eventually(async () =>
        assert.equal(await dialog.getByLabel('Registry name').getAttribute('aria-invalid'), null),
      );
      assert.match(await errorOf('Endpoint'), /not supported/);
      assert.deepEqual(posts, [], 'an invalid form is never sent');
    } finally {
      page.off('request', onRequest);
    }
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assertNoProblems(ui.problems);
  });

  it('shows the validation warnings of a saved registry', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    await fillRegistryForm(dialog, { name: 'empty', endpoint: `${upstream.url}/empty` });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    const notice = page.getByRole('status').filter({ hasText: '"empty" added' });
    assert.match(await notice.innerText(), /warnings[\s\S]*no charts yet/);
    await registryRow(page, 'empty').waitFor();
  });

  it('shows a refused CA certificate next to its upload, opening the advanced options', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    await fillRegistryForm(dialog, {
      name: 'with-ca',
      endpoint: 'https://charts.internal.example',
      protected: true,
    });
    await dialog.getByText('Advanced options').click();
    await dialog.getByLabel('CA certificate').setInputFiles({
      name: 'ca.pem',
      mimeType: 'application/x-pem-file',
      buffer: Buffer.from('this is not a certificate\n'),
    });
    await dialog.getByText('Certificate from ca.pem.').waitFor();
    await dialog.getByText('Advanced options').click(); // closed again: an error must reopen it
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const ca = dialog.getByLabel('CA certificate');
    await eventually(async () => assert.equal(await ca.getAttribute('aria-invalid'), 'true'));
    assert.equal(await ca.isVisible(), true);
    const errorId = ((await ca.getAttribute('aria-describedby')) ?? '').split(' ').pop();
    assert.match(await page.locator(`[id="${errorId}"]`).innerText(), /certificate/i);
    assert.equal(
      (await listRegistries()).some((r) => r.name === 'with-ca'),
      false,
    );
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('adds a protected registry without contacting it: Last Synced is n/a', async () => {
    const { page } = ui;
    const probes = upstream.requests.length;
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    await fillRegistryForm(dialog, {
      name: 'internal',
      endpoint: 'https://charts.internal.example/stable',
      protected: true,
    });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await registryRow(page, 'internal').waitFor();
    assert.equal(await cellText(page, 'internal', 'Last Synced'), 'n/a');
    assert.equal(await cellText(page, 'internal', 'Protected'), 'Yes');
    assert.equal(upstream.requests.length, probes);
    assertNoProblems(ui.problems);
  });

  it('edits a registry: a new sync interval and a new name, without asking for the password', async () => {
    const { page } = ui;
    await registryRow(page, 'private').getByRole('button', { name: 'Edit private' }).click();
    const dialog = page.getByRole('dialog', { name: /Edit Helm Registry/ });
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Registry name').inputValue(), 'private');
    assert.equal(await dialog.getByLabel('Username').inputValue(), 'robot');
    assert.equal(await dialog.getByLabel('Password').inputValue(), '');
    await dialog.getByText('Advanced options').click();
    await dialog.getByLabel('Sync interval (minutes)').fill('15');
    await dialog.getByLabel('Registry name').fill('private-renamed');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await registryRow(page, 'private-renamed').waitFor();
    assert.equal(await registryRow(page, 'private').count(), 0);
    const saved = (await listRegistries()).find((r) => r.name === 'private-renamed');
    assert.equal(saved?.syncIntervalMinutes, 15);

    // An out-of-range interval is explained next to the field and saves nothing.
    await registryRow(page, 'private-renamed').getByRole('button', { name: 'Edit private-renamed' }).click();
    await dialog.getByText('Advanced options').click();
    await dialog.getByLabel('Sync interval (minutes)').fill('2');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.locator('.field-error').first().waitFor();
    assert.match(await dialog.locator('.field-error').first().innerText(), /5 to 10080/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await listRegistries()).find((r) => r.name === 'private-renamed')?.syncIntervalMinutes, 15);
    assertNoProblems(ui.problems);
  });

  it('deletes a registry after a confirmation that names it', async () => {
    const { page } = ui;
    await registryRow(page, 'internal').getByRole('button', { name: 'Delete internal' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Helm registry' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Delete the Helm registry internal\?/);
    // Cancel keeps it.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.ok((await listRegistries()).some((r) => r.name === 'internal'));

    await registryRow(page, 'internal').getByRole('button', { name: 'Delete internal' }).click();
    await dialog.getByRole('button', { name: 'Delete registry' }).click();
    await dialog.waitFor({ state: 'detached' });
    await registryRow(page, 'internal').waitFor({ state: 'detached' });
    assert.match(await page.getByRole('status').first().innerText(), /"internal" deleted/);
    assert.equal(
      (await listRegistries()).some((r) => r.name === 'internal'),
      false,
    );
    assertNoProblems(ui.problems);
  });

  it('creates one registry when Confirm is double-clicked', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add New Helm Registry' }).click();
    const dialog = addDialog(page);
    await fillRegistryForm(dialog, { name: 'twice', endpoint: `${upstream.url}/kong` });
    const probes = upstream.requests.filter((r) => r.url === '/kong/index.yaml').length;
    const posts: string[] = [];
    const onRequest = (request: Request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/tenants/${tenant}/registries/helm`))
        posts.push(request.url());
    };
    page.on('request', onRequest);
    await dialog.getByRole('button', { name: 'Confirm' }).dblclick();
    await dialog.waitFor({ state: 'detached' });
    await registryRow(page, 'twice').waitFor();
    page.off('request', onRequest);
    // The browser sent one POST: one probe, one row.
    assert.equal(posts.length, 1);
    assert.equal(upstream.requests.filter((r) => r.url === '/kong/index.yaml').length, probes + 1);
    assert.equal((await listRegistries()).filter((r) => r.name === 'twice').length, 1);
    assert.equal(await registryRow(page, 'twice').count(), 1);
    assertNoProblems(ui.problems);
  });

  it('keeps long names and endpoints inside the table (truncated, full text in the tooltip)', async () => {
    const { page } = ui;
    const longName = `a${'very-long-registry-name-'.repeat(2)}`.slice(0, 63).replace(/-$/, 'z');
    const longEndpoint = `https://charts.example.com/${'deeply/nested/path/segment/'.repeat(10)}end`;
    assert.ok(longEndpoint.length >= 290);
    const res = await server.api('POST', `/api/v1/tenants/${tenant}/registries/helm`, {
      body: { name: longName, endpoint: longEndpoint, protected: true },
    });
    assert.equal(res.status, 201);
    await openRegistries(page, tenant);
    const row = registryRow(page, longName);
    await row.waitFor();
    const endpointCell = row.locator('.cell-endpoint [title]');
    assert.equal(await endpointCell.getAttribute('title'), longEndpoint);
    assert.equal(await row.locator('.cell-name .truncate').getAttribute('title'), longName);
    const layout = await page.evaluate(() => {
      const scroller = document.querySelector('.table-scroll')!;
      const cell = document.querySelector('.cell-endpoint [title]')!;
      return {
        pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        tableOverflow: scroller.scrollWidth - scroller.clientWidth,
        clippedHeaders: [...document.querySelectorAll('.registry-table thead th')]
          .filter((th) => {
            const button = th.querySelector('button');
            if (!button) return th.scrollWidth > th.clientWidth;
            const style = getComputedStyle(th);
            const inner = th.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return button.scrollWidth > Math.ceil(inner);
          })
          .map(
            (th) =>
              `${th.textContent} (${th.clientWidth}px, needs ${th.querySelector('button')?.scrollWidth})`,
          ),
        cellClipped: cell.scrollHeight > cell.clientHeight || cell.scrollWidth > cell.clientWidth,
      };
    });
    assert.equal(layout.pageOverflow, 0, 'the page does not scroll sideways');
    assert.equal(layout.tableOverflow, 0, 'the table fits its box at 1280 px');
    assert.deepEqual(layout.clippedHeaders, [], 'every column header is readable');
    assert.equal(layout.cellClipped, true, 'the endpoint is cut after two lines');

    // A narrow laptop window: the page still does not overflow; the table scrolls inside its box.
    await page.setViewportSize({ width: 900, height: 700 });
    const narrow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(narrow, 0);
    await screenshot(page, 'registries-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'registries-table');
    // The README's pictures are refreshed on request only, so a test run leaves the work tree clean.
    if (process.env.UPDATE_DOC_IMAGES === '1') {
      await mkdir(DOCS_IMAGES, { recursive: true });
      for (const name of ['registries-table', 'add-registry-dialog'])
        await copyFile(
          path.resolve(import.meta.dirname, `../../test-output/screenshots/${name}.png`),
          path.join(DOCS_IMAGES, `${name}.png`),
        );
    }
    assertNoProblems(ui.problems);
  });
});
