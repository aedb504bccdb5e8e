import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { startChartRepo, TEST_VALUES_SCHEMA, type ChartRepo } from '../support/chart-repo.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';
import { launchBrowser, screenshot } from './browser.js';
import {
  assertNoProblems,
  eventually,
  openConsole,
  signIn,
  tenantUser,
  type ConsolePage,
} from './console-helpers.js';

const WEB_VALUES = 'replicaCount: 1\nimage:\n  tag: latest\n';

/**
 * Cluster profiles in the console: a profile built from a synced registry (chart and version lists,
 * pre-releases behind a toggle, values checked against the chart's schema) and a protected one (typed,
 * unverified), published, cloned, changed and compared; a member reads only.
 */
describe(`console: cluster profiles (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;
  let repo: ChartRepo;
  let ui: ConsolePage;
  const tenant = 'acme';

  before(async () => {
    server = await startTestServer();
    const { adminToken } = await createTenant(server, tenant);
    repo = await startChartRepo([
      { name: 'web', version: '1.2.0', values: WEB_VALUES, schema: TEST_VALUES_SCHEMA },
      { name: 'web', version: '1.2.9', values: WEB_VALUES, schema: TEST_VALUES_SCHEMA },
      { name: 'web', version: '1.3.0-rc.1', values: WEB_VALUES, schema: TEST_VALUES_SCHEMA },
      { name: 'web', version: '2.0.0', values: WEB_VALUES, schema: TEST_VALUES_SCHEMA },
      { name: 'cache', version: '0.5.0' },
    ]);
    const prefix = `/api/v1/tenants/${tenant}/registries/helm`;
    for (const body of [
      { name: 'stable', endpoint: repo.url },
      { name: 'internal', endpoint: 'https://charts.internal.example/stable', protected: true },
    ]) {
      const res = await server.api('POST', prefix, { body, token: adminToken });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    await syncAndWait(server, `${prefix}/stable`, adminToken);
    browser = await launchBrowser();
    ui = await openConsole(browser, server.url);
    const admin = tenantUser(tenant, 'admin');
    await signIn(ui.page, admin.username, admin.password);
  });
  after(async () => {
    await ui?.context.close();
    await browser?.close();
    await repo?.close();
    await server?.close();
  });

  const layer = (page: Page, n: number): Locator =>
    page.getByRole('group', { name: new RegExp(`^Layer ${n}:`) });
  const optionValues = (select: Locator): Promise<string[]> =>
    select.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));

  it('creates a profile and lands in the editor of its first draft', async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/profiles`);
    await page.getByRole('heading', { level: 1, name: 'Cluster profiles' }).waitFor();
    await page.getByText('No cluster profiles yet.').waitFor();
    await page.getByRole('button', { name: 'New profile' }).click();
    const dialog = page.getByRole('dialog', { name: 'New profile' });
    await dialog.getByLabel('Profile name').fill('base');
    await dialog.getByLabel('Description').fill('The <b>base</b> stack');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`**/t/${tenant}/profiles/base/versions/1.0.0`);
    await page.getByRole('heading', { level: 1, name: /base 1\.0\.0\s*Draft/ }).waitFor();
    await page.getByText('No layers yet.').waitFor();
    assertNoProblems(ui.problems);
  });

  it('adds a catalog layer through the chart and version lists, pre-releases behind a toggle', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add layer' }).click();
    const first = layer(page, 1);
    await first.getByLabel('Layer name').fill('web');
    const registries = await optionValues(first.getByLabel('Registry'));
    assert.ok(registries.includes('stable') && registries.includes('internal'), String(registries));
    const labels = await first.getByLabel('Registry').innerText();
    assert.match(labels, /internal \(Helm, protected\)/);
    // The system's hosted registry is also called "stable": the tenant's own shadows it for layers.
    assert.match(labels, /stable \(Helm\)/);
    assert.doesNotMatch(labels, /stable \(Hosted, system\)/);
    await first.getByLabel('Registry').selectOption('stable');

    const chart = first.getByRole('combobox', { name: 'Chart' });
    await chart.fill('we');
    await eventually(async () =>
      assert.deepEqual(
        await first
          .locator('datalist option')
          .evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)),
        ['web'],
      ),
    );
    await chart.fill('web');
    const version = first.getByLabel('Version', { exact: true });
    await eventually(async () =>
      assert.deepEqual(await optionValues(version), ['', '2.0.0', '1.2.9', '1.2.0']),
    );
    await first.getByRole('switch', { name: 'Show pre-releases' }).setChecked(true);
    assert.deepEqual(await optionValues(version), ['', '2.0.0', '1.3.0-rc.1', '1.2.9', '1.2.0']);
    await first.getByRole('switch', { name: 'Show pre-releases' }).setChecked(false);
    await version.selectOption('1.2.0');
    // The chart's own values.yaml beside the editor.
    await eventually(async () =>
      assert.match(await first.getByRole('region', { name: 'Chart defaults' }).innerText(), /tag: latest/),
    );
    await first.getByLabel('Values (YAML)').fill('replicaCount: 20\nimage:\n  tag: 5\n');
  });

  it('adds a protected layer by typing, marked unverified, without defaults', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add layer' }).click();
    const second = layer(page, 2);
    await second.getByLabel('Layer name').fill('agent');
    await second.getByLabel('Registry').selectOption('internal');
    await second.getByText('unverified', { exact: true }).waitFor();
    assert.match(await second.innerText(), /never contacts this registry/);
    assert.equal(await second.getByRole('combobox', { name: 'Chart' }).count(), 0);
    await second.getByLabel('Chart name').fill('agent');
    await second.getByLabel('Version', { exact: true }).fill('3.1.0');
    assert.match(
      await second.getByRole('region', { name: 'Chart defaults' }).innerText(),
      /No defaults known/,
    );
    await second.getByRole('checkbox', { name: 'web' }).check();
  });

  it("shows the schema's errors at their paths, then saves once they are fixed", async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Save draft' }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'Nothing was saved' });
    await summary.waitFor();
    const problems = layer(page, 1).getByRole('list', { name: 'Problems in the values' });
    await problems.waitFor();
    const text = await problems.innerText();
    assert.match(text, /replicaCount/);
    assert.match(text, /image\.tag/);
    assert.equal(await layer(page, 2).getByRole('list', { name: 'Problems in the values' }).count(), 0);
    await screenshot(page, 'profile-editor-schema-errors');

    await layer(page, 1).getByLabel('Values (YAML)').fill('replicaCount: 2\nimage:\n  tag: "5"\n');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('status').filter({ hasText: 'Draft 1.0.0 saved.' }).waitFor();
    assert.equal(await summary.count(), 0);
    assert.equal(await problems.count(), 0);
    assertNoProblems(ui.problems);
  });

  it('publishes after a confirmation, then shows the lock read-only with its badges', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Publish…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Publish 1.0.0' });
    assert.match(await dialog.innerText(), /Publishing freezes 1\.0\.0/);
    await dialog.getByRole('button', { name: 'Publish 1.0.0' }).click();
    await page.getByRole('heading', { level: 1, name: /base 1\.0\.0\s*Published/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save draft' }).count(), 0);
    const rows = page.getByRole('region', { name: 'Layers' }).locator('tbody tr');
    // Install order: agent depends on web.
    assert.deepEqual(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-layer'))), [
      'web',
      'agent',
    ]);
    const web = page.locator('tr[data-layer="web"]');
    assert.match(await web.innerText(), /sha256:/);
    assert.match(await web.innerText(), /update 1\.2\.9 within 1\.x/);
    assert.match(await web.innerText(), /newest 2\.0\.0/);
    assert.match(await page.locator('tr[data-layer="agent"]').innerText(), /unverified/);
    await screenshot(page, 'profile-published');
    assertNoProblems(ui.problems);
  });

  it('creates a version from it, changes a version, and compares the two', async () => {
    const { page } = ui;
    await page.getByRole('link', { name: 'base', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'base' }).waitFor();
    assert.match(await page.locator('tr[data-version="1.0.0"]').innerText(), /Published/);
    await page.getByRole('button', { name: 'New version' }).click();
    const dialog = page.getByRole('dialog', { name: 'New version' });
    assert.equal(await dialog.getByLabel('Version number').inputValue(), '1.1.0');
    assert.equal(await dialog.getByLabel('From').inputValue(), '1.0.0');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`**/profiles/base/versions/1.1.0`);
    const first = layer(page, 1);
    await first.getByLabel('Layer name').waitFor();
    assert.equal(await first.getByLabel('Layer name').inputValue(), 'web');
    await eventually(async () =>
      assert.ok((await optionValues(first.getByLabel('Version', { exact: true }))).includes('1.2.9')),
    );
    await first.getByLabel('Version', { exact: true }).selectOption('1.2.9');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('status').filter({ hasText: 'Draft 1.1.0 saved.' }).waitFor();

    await page.getByRole('link', { name: 'base', exact: true }).click();
    const compare = page.getByRole('form', { name: 'Compare versions' });
    assert.equal(await compare.getByLabel('Compare from').inputValue(), '1.0.0');
    assert.equal(await compare.getByLabel('Compare to').inputValue(), '1.1.0');
    await compare.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(/\/profiles\/base\/diff\?from=1\.0\.0&to=1\.1\.0$/);
    assert.match(await page.getByRole('definition').first().innerText(), /web/);
    assert.equal(await page.getByText('No layers added, removed or changed.').count(), 0);
    const changed = page.getByRole('region', { name: 'Changes to layer web' });
    await changed.waitFor();
    const versionRow = changed
      .locator('tr')
      .filter({ has: page.getByRole('rowheader', { name: 'version', exact: true }) });
    assert.match(await versionRow.innerText(), /1\.2\.0\s+1\.2\.9/);
    await screenshot(page, 'profile-diff');
    assertNoProblems(ui.problems);
  });

  it('edits variables: a wrong default named beside it, a sensitive default never shown again', async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/profiles/base/versions/1.1.0`);
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Name of variable 1').fill('REPLICAS');
    await page.getByLabel('Type of variable 1').selectOption('number');
    await page.getByLabel('Default of variable 1').fill('many');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Name of variable 2').fill('TOKEN');
    await page.getByLabel('variable 2 is sensitive').check();
    await page.getByLabel('Default of variable 2').fill('hunter2-secret');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('alert').filter({ hasText: 'Variable 1, default' }).waitFor();
    // Beside the control, without the path.
    const row = page.getByRole('region', { name: 'Variables' }).locator('tbody tr').first();
    assert.match(await row.locator('.field-error').innerText(), /^The default must be a finite number/);

    await page.getByLabel('Default of variable 1').fill('3');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('status').filter({ hasText: 'Draft 1.1.0 saved.' }).waitFor();
    await page.reload();
    await page.getByLabel('Default of variable 1').waitFor();
    assert.equal(await page.getByLabel('Default of variable 1').inputValue(), '3');
    assert.equal(await page.getByLabel('Default of variable 2: set').inputValue(), 'keep');
    assert.doesNotMatch(await page.content(), /hunter2-secret/);
    assertNoProblems(ui.problems);
  });

  it('shows a member everything read-only: no New profile, New version, Delete or Save draft', async () => {
    const member = await openConsole(browser, server.url);
    const { page } = member;
    await signIn(page, tenantUser(tenant, 'member').username, tenantUser(tenant, 'member').password);
    await page.goto(`/t/${tenant}/profiles`);
    await page.locator('tr[data-profile="base"]').waitFor();
    // Server text is text: the description's markup shows as characters.
    assert.match(await page.locator('tr[data-profile="base"]').innerText(), /The <b>base<\/b> stack/);
    assert.equal(await page.getByRole('button', { name: 'New profile' }).count(), 0);
    await page.getByRole('link', { name: 'base', exact: true }).click();
    await page.locator('tr[data-version="1.1.0"]').waitFor();
    for (const name of ['New version', 'Delete profile', /^Delete draft/])
      assert.equal(await page.getByRole('button', { name }).count(), 0, String(name));
    await page.getByRole('link', { name: 'Open version 1.1.0' }).click();
    await page.getByRole('heading', { level: 1, name: /base 1\.1\.0\s*Draft/ }).waitFor();
    await page.locator('tr[data-layer="web"]').waitFor();
    assert.equal(await page.getByRole('button', { name: /Save draft|Publish|Add layer/ }).count(), 0);
    assert.equal(await page.locator('textarea, input:not([type=hidden])').count(), 0);
    assertNoProblems(member.problems);
    await member.context.close();
  });

  it('creates a fresh draft, deletes it and then the profile, each after a confirmation', async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/profiles/base`);
    await page.getByRole('button', { name: 'New version' }).click();
    const dialog = page.getByRole('dialog', { name: 'New version' });
    await dialog.getByLabel('Version number').fill('2.0.0');
    await dialog.getByLabel('From').selectOption({ label: 'Fresh: an empty draft' });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL('**/profiles/base/versions/2.0.0');
    await page.getByText('No layers yet.').waitFor();

    await page.getByRole('link', { name: 'base', exact: true }).click();
    await page.locator('tr[data-version="2.0.0"]').waitFor();
    // Published versions cannot be deleted: only drafts offer it.
    assert.equal(await page.getByRole('button', { name: 'Delete draft 1.0.0' }).count(), 0);
    await page.getByRole('button', { name: 'Delete draft 2.0.0' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete draft' });
    await confirm.getByRole('button', { name: 'Delete draft' }).click();
    await page.getByRole('status').filter({ hasText: 'Draft 2.0.0 was deleted.' }).waitFor();
    assert.equal(await page.locator('tr[data-version="2.0.0"]').count(), 0);

    await page.getByRole('button', { name: 'Delete profile' }).click();
    await page
      .getByRole('dialog', { name: 'Delete profile' })
      .getByRole('button', { name: 'Delete profile' })
      .click();
    await page.waitForURL(`**/t/${tenant}/profiles`);
    await page.getByText('No cluster profiles yet.').waitFor();
    assertNoProblems(ui.problems);
  });
});
