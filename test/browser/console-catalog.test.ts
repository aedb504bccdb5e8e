import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  fixtureServerPool,
  sendBody,
  serveFile,
  slowBody,
  type FixtureHandler,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { launchBrowser, screenshot } from './browser.js';
import {
  assertNoProblems,
  cellText,
  eventually,
  openConsole,
  openRegistries,
  registryRow,
  signIn,
  tenantUser,
  type ConsolePage,
} from './console-helpers.js';

const KONG_INDEX = new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url).pathname;
/** The kong corpus index holds 230 valid versions, plus duplicate entries the sync warns about. */
const KONG_VERSIONS = 230;

/** An index whose text carries markup: the console must show it as characters. */
const MARKUP_INDEX = `apiVersion: v1
entries:
  webapp:
    - name: webapp
      version: 1.2.0
      appVersion: "2.0"
      description: "Serves <b>bold</b> pages <script>window.__pwned=1</script>"
      keywords: [frobnicator, web]
      home: https://example.com/webapp
      sources: [https://github.com/example/webapp]
      maintainers:
        - name: Ada <img src=x onerror=window.__pwned=1>
          email: ada@example.com
      urls: [webapp-1.2.0.tgz]
      digest: "${'a'.repeat(64)}"
      created: "2024-05-01T10:00:00Z"
    - name: webapp
      version: 1.10.0
      appVersion: "2.1"
      description: "Serves <b>bold</b> pages <script>window.__pwned=1</script>"
      keywords: [frobnicator, web]
      urls: [webapp-1.10.0.tgz]
      digest: "${'b'.repeat(64)}"
      created: "2024-06-01T10:00:00Z"
  retired:
    - name: retired
      version: 0.3.0
      deprecated: true
      description: A retired frobnicator
      urls: [retired-0.3.0.tgz]
      digest: "${'c'.repeat(64)}"
`;

type Run = { status: string };

/** Sync now, sync history and the Charts screens, driven as a tenant administrator and a member. */
describe(`console: sync and charts (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;
  let upstream: FixtureServer;
  const pool = fixtureServerPool();
  const tenant = 'acme';
  let ui: ConsolePage;
  let brokenMode: 'ok' | 'slow' | 'fail' = 'ok';

  const prefix = `/api/v1/tenants/${tenant}/registries/helm`;
  const addRegistry = async (name: string, endpoint: string, isProtected = false) => {
    const res = await server.api('POST', prefix, { body: { name, endpoint, protected: isProtected } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  /** Starts a sync through the API and waits for its run to end. */
  const syncByApi = async (name: string) => {
    assert.equal((await server.api('POST', `${prefix}/${name}/sync`)).status, 202);
    await eventually(async () => {
      const runs = await server.api<{ items: Run[] }>('GET', `${prefix}/${name}/syncs`);
      assert.notEqual(runs.body.items[0]?.status, 'running');
    }, 30_000);
  };

  before(async () => {
    server = await startTestServer();
    await createTenant(server, tenant);
    const kong = serveFile(KONG_INDEX);
    // Valid while the registry is added (the server probes it), slow or failing once a test says so.
    const slow = slowBody(500);
    const fail = sendBody('upstream exploded', { status: 500 });
    const broken: FixtureHandler = (req, res) =>
      (brokenMode === 'ok' ? kong : brokenMode === 'slow' ? slow : fail)(req, res);
    upstream = await pool.serve({
      '/kong/index.yaml': kong,
      '/broken/index.yaml': broken,
      '/markup/index.yaml': sendBody(MARKUP_INDEX, { headers: { 'content-type': 'text/yaml' } }),
    });
    await addRegistry('kong', `${upstream.url}/kong`);
    await addRegistry('broken', `${upstream.url}/broken`);
    await addRegistry('markup', `${upstream.url}/markup`);
    await addRegistry('locked', 'https://charts.internal.example/stable', true);
    browser = await launchBrowser();
    ui = await openConsole(browser, server.url);
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const admin = tenantUser(tenant, 'admin');
    await signIn(ui.page, admin.username, admin.password);
  });
  after(async () => {
    await ui?.context.close();
    await browser?.close();
    await pool.closeAll();
    await server?.close();
  });

  it('syncs a registry from the table: status, Last Synced and Charts update by themselves', async () => {
    const { page } = ui;
    await openRegistries(page, tenant);
    assert.equal(await cellText(page, 'kong', 'Status'), 'Not synced');
    assert.equal(await cellText(page, 'kong', 'Charts'), '0');
    // A protected registry is never synchronized: no Sync now.
    assert.equal(await registryRow(page, 'locked').getByRole('button', { name: /^Sync/ }).count(), 0);
    assert.equal(await cellText(page, 'locked', 'Status'), 'Sync off');

    await registryRow(page, 'kong').getByRole('button', { name: 'Sync kong now' }).click();
    // No reload: the table polls while the sync runs.
    await eventually(async () => assert.equal(await cellText(page, 'kong', 'Status'), 'Synced'), 30_000);
    assert.match(await cellText(page, 'kong', 'Last Synced'), /\d/);
    await eventually(async () => assert.equal(await cellText(page, 'kong', 'Charts'), '4'));
    assertNoProblems(ui.problems);
  });

  it('shows the run in the sync history with its counts and warnings in words', async () => {
    const { page } = ui;
    await registryRow(page, 'kong').getByRole('link', { name: 'Sync history of kong' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sync history of kong' }).waitFor();
    const run = page.locator('tr[data-run]').first();
    await run.waitFor();
    assert.match(await run.innerText(), new RegExp(`Added ${KONG_VERSIONS}, updated 0, removed 0`));
    assert.match(await run.innerText(), /Sync now/);
    const warnings = run.locator('details.run-warnings');
    assert.match(await warnings.locator('summary').innerText(), /^\d+ warnings?$/);
    await warnings.locator('summary').click();
    const first = await warnings.locator('li').first().innerText();
    assert.match(first, /lists this version more than once/);
    await screenshot(page, 'sync-history');

    // Syncing again: the upstream did not change.
    await page.getByRole('button', { name: 'Sync now' }).click();
    await eventually(
      async () =>
        assert.match(await page.locator('tr[data-run]').first().innerText(), /Nothing changed upstream/),
      30_000,
    );
    assertNoProblems(ui.problems);
  });

  it('explains in words a Sync now refused because a sync is already running', async () => {
    const { page } = ui;
    brokenMode = 'slow';
    await openRegistries(page, tenant);
    // Started elsewhere (the API) after the table loaded: the row does not know yet.
    assert.equal((await server.api('POST', `${prefix}/broken/sync`)).status, 202);
    await registryRow(page, 'broken').getByRole('button', { name: 'Sync broken now' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'already running' });
    await notice.waitFor();
    assert.match(await notice.innerText(), /A sync of "broken" is already running/);
    // The refusal refreshed the table, which now polls until the slow run gives up.
    await eventually(async () => assert.match(await cellText(page, 'broken', 'Status'), /^Failed/), 30_000);
    assertNoProblems(ui.problems);
  });

  it('shows a failed sync as Failed, with the reason in the table and the history', async () => {
    const { page } = ui;
    brokenMode = 'fail';
    await openRegistries(page, tenant);
    await registryRow(page, 'broken').getByRole('button', { name: 'Sync broken now' }).click();
    // The row may still show the previous test's failure (a timeout): wait for this sync's own, a 500.
    const badge = registryRow(page, 'broken').locator('.badge-status-failed');
    await eventually(async () => {
      assert.match(await cellText(page, 'broken', 'Status'), /^Failed/);
      assert.match((await badge.getAttribute('title')) ?? '', /500/);
    }, 30_000);
    await registryRow(page, 'broken').getByRole('link', { name: 'Sync history of broken' }).click();
    const run = page.locator('tr[data-run]').first();
    await run.waitFor();
    assert.match(await run.innerText(), /Failed: .*500/);
    assert.match(await page.getByRole('alert').innerText(), /previous catalog is kept/);
    assertNoProblems(ui.problems);
  });

  it('lets a member read the history but not start a sync', async () => {
    const member = await openConsole(browser, server.url);
    try {
      const { page } = member;
      const user = tenantUser(tenant, 'member');
      await signIn(page, user.username, user.password);
      await openRegistries(page, tenant);
      await registryRow(page, 'kong').waitFor();
      assert.equal(await page.getByRole('button', { name: /Sync .* now/ }).count(), 0);
      assert.equal(await cellText(page, 'kong', 'Status'), 'Synced');
      await registryRow(page, 'kong').getByRole('link', { name: 'Sync history of kong' }).click();
      await page.locator('tr[data-run]').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Sync now' }).count(), 0);
      assert.match(await page.locator('.sync-table').innerText(), new RegExp(`Added ${KONG_VERSIONS}`));
      assertNoProblems(member.problems);
    } finally {
      await member.context.close();
    }
  });

  it('searches the charts by name and keyword and shows index text as text', async () => {
    const { page } = ui;
    await syncByApi('markup');
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Charts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Charts' }).waitFor();
    const search = page.getByLabel('Search charts');

    await search.fill('kong-operator');
    await eventually(async () => {
      const names = await page.locator('.chart-table tbody th').allInnerTexts();
      assert.ok(names.includes('kong-operator'), JSON.stringify(names));
    });
    await search.fill('frobnicator');
    await eventually(async () =>
      assert.deepEqual(await page.locator('.chart-table tbody th').allInnerTexts(), ['webapp']),
    );
    const row = page.locator('tr[data-chart="webapp"]');
    assert.equal(await cellText2(row, 4), 'Serves <b>bold</b> pages <script>window.__pwned=1</script>');
    assert.equal(await row.locator('b, script').count(), 0);
    assert.equal(await cellText2(row, 2), '1.10.0');
    await screenshot(page, 'charts-search');

    // The registry filter narrows the search to one registry.
    await search.fill('');
    await page.getByLabel('Registry').selectOption('markup');
    await eventually(async () =>
      assert.deepEqual(await page.locator('.chart-table tbody th').allInnerTexts(), ['webapp']),
    );
    assert.equal(await page.evaluate(() => '__pwned' in window), false);
    assertNoProblems(ui.problems);
  });

  it('opens a chart page: versions newest first, and a version with its metadata', async () => {
    const { page } = ui;
    await page.getByRole('link', { name: 'webapp' }).click();
    await page.getByRole('heading', { level: 1, name: 'webapp' }).waitFor();
    const versions = page.getByRole('navigation', { name: 'Versions' }).locator('li');
    await eventually(async () => assert.deepEqual(await versions.allInnerTexts(), ['1.10.0', '1.2.0']));
    // The newest version is shown first.
    await page.getByRole('article', { name: 'Version 1.10.0' }).waitFor();

    await page.getByRole('link', { name: '1.2.0' }).click();
    const article = page.getByRole('article', { name: 'Version 1.2.0' });
    await article.waitFor();
    const text = await article.innerText();
    assert.match(text, /Maintainers\s+Ada <img src=x onerror=window.__pwned=1> <ada@example.com>/);
    assert.match(text, /Home\s+https:\/\/example.com\/webapp/);
    assert.match(text, /Sources\s+https:\/\/github.com\/example\/webapp/);
    assert.match(text, /Keywords\s+frobnicator, web/);
    assert.match(text, new RegExp(`Digest\\s+${'a'.repeat(64)}`));
    assert.match(text, /Chart URL\s+\S*webapp-1\.2\.0\.tgz/);
    assert.match(text, /Created\s+\w/);
    assert.equal(await article.locator('img, script').count(), 0);
    assert.equal(await page.evaluate(() => '__pwned' in window), false);

    // The kong chart: many versions, newest first.
    await page.goto(`/t/${tenant}/charts/kong/kong`);
    await page.getByRole('heading', { level: 1, name: 'kong' }).waitFor();
    // The heading can show before the version list has rendered: wait for the list, not just the page.
    const versionItems = page.getByRole('navigation', { name: 'Versions' }).locator('li .mono');
    await versionItems.nth(10).waitFor();
    const kongVersions = await versionItems.allInnerTexts();
    assert.ok(kongVersions.length > 10);
    const sorted = [...kongVersions].sort(compareSemverDesc);
    assert.deepEqual(kongVersions, sorted);
    assertNoProblems(ui.problems);
  });

  it('shows the newest stable version as latest, pre-releases on request, deprecated charts on request', async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/charts`);
    await page.getByLabel('Search charts').fill('operator');
    const row = page.locator('tr[data-chart="kong-operator"]');
    // kong-operator's newest version is 1.4.0-rc.1; helm search repo shows 1.3.1, and so does the list.
    await eventually(async () => assert.equal(await cellText2(row, 2), '1.3.1'));
    const devel = page.getByRole('switch', { name: 'Show pre-releases' });
    const deprecated = page.getByRole('switch', { name: 'Show deprecated charts' });
    // The switches follow the URL, which a click updates by a navigation: wait for the new state.
    const flip = async (toggle: typeof devel, on: boolean) => {
      await toggle.click();
      await eventually(async () => assert.equal(await toggle.isChecked(), on));
    };
    await flip(devel, true);
    await eventually(async () => assert.equal(await cellText2(row, 2), '1.4.0-rc.1Pre-release'));
    assert.match(page.url(), /[?&]devel=true/);
    await flip(devel, false);
    await eventually(async () => assert.equal(await cellText2(row, 2), '1.3.1'));

    // Deprecated charts are hidden until asked for.
    await page.getByLabel('Search charts').fill('frobnicator');
    await eventually(async () =>
      assert.deepEqual(await page.locator('.chart-table tbody th').allInnerTexts(), ['webapp']),
    );
    await flip(deprecated, true);
    await eventually(async () =>
      assert.deepEqual(await page.locator('.chart-table tbody th').allInnerTexts(), [
        'retiredDeprecated',
        'webapp',
      ]),
    );
    await flip(deprecated, false);
    assertNoProblems(ui.problems);
  });

  it('gives a synced chart the upstream repository in its install snippet, with a Copy button', async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/charts/kong/kong-operator`);
    // The page opens on the latest (stable) version, not the release candidate above it.
    const article = page.getByRole('article', { name: 'Version 1.3.1' });
    await article.waitFor();
    const snippet = article.locator('[data-instruction="repo-install"] pre');
    assert.equal(
      await snippet.innerText(),
      `helm repo add kong ${upstream.url}/kong\nhelm install my-kong-operator kong/kong-operator --version 1.3.1`,
    );
    // Classic upstreams have no OCI reference.
    assert.equal(await article.locator('[data-copy="OCI reference"]').count(), 0);
    await article.getByRole('button', { name: 'Copy: Install from the Helm repository' }).click();
    await article.getByRole('button', { name: 'Copied: Install from the Helm repository' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await snippet.innerText());
    const versions = page.getByRole('navigation', { name: 'Versions' });
    assert.match(await versions.locator('li').first().innerText(), /^1\.4\.0-rc\.1\s+pre-release$/);
    assertNoProblems(ui.problems);
  });
});

async function cellText2(row: ReturnType<ConsolePage['page']['locator']>, index: number): Promise<string> {
  return (await row.locator('th, td').nth(index).innerText()).trim();
}

/** Plain releases by number; a pre-release sorts before its release. */
function compareSemverDesc(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.replace(/\+.*$/, '').split(/-(.*)/s);
    return { nums: core.split('.').map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (y.nums[i] ?? 0) - (x.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return -1;
  if (y.pre === undefined) return 1;
  return y.pre.localeCompare(x.pre, undefined, { numeric: true });
}
