import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createTgz } from '../support/chart-archive.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { launchBrowser, screenshot } from './browser.js';
import {
  assertNoProblems,
  eventually,
  openConsole,
  openRegistries,
  registryRow,
  signIn,
  tenantUser,
  type ConsolePage,
} from './console-helpers.js';

type HostedView = {
  publicRead: boolean;
  canPush: boolean;
  canDelete: boolean;
  urls: { repository: string; ociHost: string; ociNamespace: string; plainHttp: boolean };
};
type Charts = { items: { name: string; latestVersion: string; versionCount: number }[] };

/** A packaged chart as helm package writes it; `extra` changes its content, not its version. */
const chartArchive = (name: string, version: string, extra = ''): Buffer =>
  createTgz([
    {
      path: `${name}/Chart.yaml`,
      content: `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: The ${name} test chart\n`,
    },
    { path: `${name}/values.yaml`, content: `replicas: 1\n${extra}` },
    {
      path: `${name}/templates/configmap.yaml`,
      content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
    },
  ]);

/**
 * The ChartMuseum API answers refusals with 4xx, which Chromium logs as console errors; the helper
 * accepts those for /api/ only. Refusals the scenario provokes on /helm/ are expected too.
 */
const unexpected = (problems: string[]): string[] =>
  problems.filter((p) => !/status of 4\d\d .*\(http:\/\/[^/]+\/helm\//.test(p));

/** Main Menu > Hosted registry: upload, list, delete, helm instructions and Public read. */
describe(`console: hosted registry (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;
  const tenant = 'acme';
  let ui: ConsolePage;

  const hostedCharts = async () =>
    (await server.api<Charts>('GET', `/api/v1/tenants/${tenant}/charts?registry=hosted`)).body.items;
  const hostedView = async () =>
    (await server.api<HostedView>('GET', `/api/v1/tenants/${tenant}/hosted`)).body;

  const openHosted = async (page: Page) => {
    await page.goto(`/t/${tenant}/charts`);
    await page
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Hosted registry' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Hosted registry' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Use it with helm' }).waitFor();
    await page.locator('.hosted-table, .hosted-section .empty').first().waitFor();
  };

  const pickFile = (page: Page, name: string, buffer: Buffer) =>
    page.getByLabel('Choose a chart archive').setInputFiles({ name, mimeType: 'application/gzip', buffer });

  /** Drag-and-drop as the browser delivers it: dragenter, dragover and drop carrying one File. */
  const dropFile = (page: Page, name: string, buffer: Buffer) =>
    page.locator('.dropzone').evaluate(
      (zone, file) => {
        const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], file.name, { type: 'application/gzip' }));
        for (const type of ['dragenter', 'dragover', 'drop'])
          zone.dispatchEvent(
            new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
          );
      },
      { name, base64: buffer.toString('base64') },
    );

  before(async () => {
    server = await startTestServer();
    await createTenant(server, tenant);
    browser = await launchBrowser();
    ui = await openConsole(browser, server.url);
    // The Copy buttons write to the clipboard; the test reads it back.
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await ui.page.goto('/login');
    const admin = tenantUser(tenant, 'admin');
    await signIn(ui.page, admin.username, admin.password);
  });
  after(async () => {
    await ui?.context.close();
    await browser?.close();
    await server?.close();
  });

  it('opens from the Main Menu and gives helm commands with this server’s URLs and the user', async () => {
    const { page } = ui;
    await openHosted(page);
    assert.match(page.url(), new RegExp(`/t/${tenant}/hosted$`));
    await eventually(async () =>
      assert.equal(await page.title(), `Hosted registry · ${tenant} · Charthouse`),
    );
    const view = await hostedView();
    assert.equal(view.urls.repository, `${server.url}/helm/${tenant}`);
    const command = (id: string) => page.locator(`[data-instruction="${id}"] pre`).innerText();
    const username = tenantUser(tenant, 'admin').username;
    assert.equal(
      await command('repo-add'),
      `echo "$CHARTHOUSE_TOKEN" | helm repo add ${tenant} ${server.url}/helm/${tenant} --username ${username} --password-stdin`,
    );
    assert.match(
      await command('cm-push'),
      new RegExp(`^helm plugin install .*\\nhelm cm-push mychart-0\\.1\\.0\\.tgz ${tenant}$`),
    );
    const ociHost = new URL(server.url).host;
    assert.equal(view.urls.ociNamespace, `${ociHost}/${tenant}`);
    // Plain HTTP: Helm 3 and Helm 4 sign in with different flags, so each gets its own command.
    const login = `echo "$CHARTHOUSE_TOKEN" | helm registry login ${ociHost} --username ${username} --password-stdin`;
    assert.equal(await command('oci-login-helm3'), `${login} --insecure`);
    assert.equal(await command('oci-login-helm4'), `${login} --plain-http`);
    // The test server speaks plain http: OCI clients are told so.
    assert.equal(
      await command('oci-push'),
      `helm push mychart-0.1.0.tgz oci://${ociHost}/${tenant} --plain-http`,
    );
    assert.equal(
      await command('oci-pull'),
      `helm pull oci://${ociHost}/${tenant}/mychart --version 0.1.0 --plain-http`,
    );
    assert.match(await page.locator('.hosted-page .empty').innerText(), /No charts yet/);

    // Copy puts the exact command on the clipboard and says so.
    await page.getByRole('button', { name: 'Copy: Add the repository to helm' }).click();
    await page.getByRole('button', { name: 'Copied: Add the repository to helm' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await command('repo-add'));
    assertNoProblems(ui.problems);
  });

  it('uploads a chart chosen with the file picker, then lists it and links to its page', async () => {
    const { page } = ui;
    const uploads: string[] = [];
    const onRequest = (request: { method(): string; url(): string; headers(): Record<string, string> }) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname.startsWith('/helm/'))
        uploads.push(`${request.url()} ${request.headers()['content-type'] ?? ''}`);
    };
    page.on('request', onRequest);
    await pickFile(page, 'webapp-1.2.0.tgz', chartArchive('webapp', '1.2.0'));
    const notice = page.getByRole('status').filter({ hasText: 'Uploaded webapp 1.2.0.' });
    await notice.waitFor();
    page.off('request', onRequest);
    assert.deepEqual(uploads, [`${server.url}/helm/${tenant}/api/charts application/gzip`]);

    // The list refreshed by itself, and the server has the chart.
    const row = page.locator('.hosted-table tr[data-chart="webapp"]');
    await row.waitFor();
    assert.match(await row.innerText(), /webapp\s+1\.2\.0\s+1\s+The webapp test chart/);
    assert.deepEqual(
      (await hostedCharts()).map((c) => `${c.name} ${c.latestVersion}`),
      ['webapp 1.2.0'],
    );
    // The examples now name the real chart.
    assert.match(
      await page.locator('[data-instruction="oci-pull"] pre').innerText(),
      /\/webapp --version 1\.2\.0/,
    );
    await screenshot(page, 'hosted-registry');

    await notice.getByRole('link', { name: 'View the chart' }).click();
    await page.getByRole('heading', { level: 1, name: 'webapp' }).waitFor();
    assert.match(page.url(), /\/t\/acme\/charts\/hosted\/webapp\?version=1\.2\.0$/);
    // The chart page's snippets name this server's own repository and OCI registry.
    const ociHost = new URL(server.url).host;
    const username = tenantUser(tenant, 'admin').username;
    const article = page.getByRole('article', { name: 'Version 1.2.0' });
    const snippet = (id: string) => article.locator(`[data-instruction="${id}"] pre`).innerText();
    await article.locator('[data-instruction="oci-install"]').waitFor();
    assert.equal(
      await snippet('repo-install'),
      `echo "$CHARTHOUSE_TOKEN" | helm repo add ${tenant} ${server.url}/helm/${tenant} --username ${username} --password-stdin\n` +
        `helm install my-webapp ${tenant}/webapp --version 1.2.0`,
    );
    assert.equal(
      await snippet('oci-install'),
      `helm install my-webapp oci://${ociHost}/${tenant}/webapp --version 1.2.0 --plain-http`,
    );
    assert.equal(
      await snippet('oci-pull'),
      `helm pull oci://${ociHost}/${tenant}/webapp --version 1.2.0 --plain-http`,
    );
    assert.match(await snippet('oci-login-helm4'), / --plain-http$/);
    const reference = article.locator('[data-copy="OCI reference"]');
    assert.equal(await reference.locator('code').innerText(), `${ociHost}/${tenant}/webapp:1.2.0`);
    await reference.getByRole('button', { name: 'Copy: OCI reference' }).click();
    await reference.getByRole('button', { name: 'Copied: OCI reference' }).waitFor();
    assert.equal(
      await page.evaluate(() => navigator.clipboard.readText()),
      `${ociHost}/${tenant}/webapp:1.2.0`,
    );
    assertNoProblems(unexpected(ui.problems));
  });

  it('refuses what is not a .tgz before sending anything', async () => {
    const { page } = ui;
    await openHosted(page);
    let posted = 0;
    const onRequest = (request: { method(): string }) => {
      if (request.method() === 'POST') posted++;
    };
    page.on('request', onRequest);
    await pickFile(page, 'notes.txt', Buffer.from('hello'));
    const alert = page.getByRole('alert').filter({ hasText: 'The chart was not uploaded' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /"notes\.txt" is not a packaged chart/);
    page.off('request', onRequest);
    assert.equal(posted, 0);
    assertNoProblems(unexpected(ui.problems));
  });

  it('shows the server’s 409 for an existing version, and an admin may overwrite it', async () => {
    const { page } = ui;
    const changed = chartArchive('webapp', '1.2.0', 'changed: true\n');
    await pickFile(page, 'webapp-1.2.0.tgz', changed);
    const alert = page.getByRole('alert').filter({ hasText: 'already in the registry' });
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /This version is already in the registry/);
    assert.match(text, /Overwrite an existing version/);

    await page.getByLabel('Overwrite an existing version').check();
    await pickFile(page, 'webapp-1.2.0.tgz', changed);
    await page.getByRole('status').filter({ hasText: 'Uploaded webapp 1.2.0.' }).waitFor();
    await page.getByLabel('Overwrite an existing version').uncheck();
    assertNoProblems(unexpected(ui.problems));
  });

  it('lets a member upload (by drag-and-drop) but not delete, overwrite or change Public read', async () => {
    const member = await openConsole(browser, server.url);
    const { page } = member;
    await page.goto('/login');
    await signIn(page, tenantUser(tenant, 'member').username, tenantUser(tenant, 'member').password);
    await openHosted(page);
    await page.locator('.hosted-table tr[data-chart="webapp"]').waitFor();
    assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0);
    assert.equal(await page.getByLabel('Overwrite an existing version').count(), 0);
    assert.equal(await page.getByRole('switch', { name: 'Public read' }).count(), 0);
    assert.match(await page.locator('.hosted-page').innerText(), /Public read is off/);

    // This time by drag-and-drop.
    await dropFile(page, 'api-2.0.0.tgz', chartArchive('api', '2.0.0'));
    await page.getByRole('status').filter({ hasText: 'Uploaded api 2.0.0.' }).waitFor();
    await page.locator('.hosted-table tr[data-chart="api"]').waitFor();
    // A member cannot replace a version: the message says to raise it instead.
    await pickFile(page, 'api-2.0.0.tgz', chartArchive('api', '2.0.0', 'x: 1\n'));
    const alert = page.getByRole('alert').filter({ hasText: 'The chart was not uploaded' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /Raise the version/);
    assertNoProblems(unexpected(member.problems));
    await member.context.close();
  });

  it('shows the hosted registry in the registry list as Hosted, with no Sync button', async () => {
    const { page } = ui;
    await openRegistries(page, tenant);
    const row = registryRow(page, 'hosted');
    await row.waitFor();
    assert.match(await row.innerText(), /Hosted/);
    assert.equal(await row.getByRole('button', { name: /Sync/ }).count(), 0);
    await row.getByRole('link', { name: 'Manage the hosted registry hosted' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hosted registry' }).waitFor();
    assertNoProblems(unexpected(ui.problems));
  });

  it('lets an admin delete a version after confirming', async () => {
    const { page } = ui;
    await openHosted(page);
    await page.getByRole('button', { name: 'Delete a version of webapp' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete chart version' });
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Version').inputValue(), '1.2.0');
    // Cancel keeps it.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.ok((await hostedCharts()).some((c) => c.name === 'webapp'));

    await page.getByRole('button', { name: 'Delete a version of webapp' }).click();
    await dialog.getByRole('button', { name: 'Delete version 1.2.0' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Deleted webapp 1.2.0.' }).waitFor();
    await page.locator('.hosted-table tr[data-chart="webapp"]').waitFor({ state: 'detached' });
    assert.deepEqual(
      (await hostedCharts()).map((c) => c.name),
      ['api'],
    );
    const index = await fetch(`${server.url}/helm/${tenant}/api/charts/webapp/1.2.0`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    assert.equal(index.status, 404);
    assertNoProblems(unexpected(ui.problems));
  });

  it('lets an admin switch Public read, after which anonymous helm clients can pull', async () => {
    const { page } = ui;
    const anonymous = () => fetch(`${server.url}/helm/${tenant}/index.yaml`);
    assert.equal((await anonymous()).status, 401);
    const toggle = page.getByRole('switch', { name: 'Public read' });
    assert.equal(await toggle.isChecked(), false);
    assert.match(
      (await toggle.getAttribute('aria-describedby')) ?? '',
      /./,
      'the switch is described by its explanation',
    );
    await toggle.check();
    await eventually(async () => assert.equal((await hostedView()).publicRead, true));
    await eventually(async () => assert.equal(await toggle.isChecked(), true));
    assert.equal((await anonymous()).status, 200);
    assert.match(await page.locator('.hosted-facts').innerText(), /Public read\s+On/);

    await toggle.uncheck();
    await eventually(async () => assert.equal((await hostedView()).publicRead, false));
    assert.equal((await anonymous()).status, 401);
    assertNoProblems(unexpected(ui.problems));
  });
});
