import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { startChartRepo, type ChartRepo } from '../support/chart-repo.js';
import { helmReleaseSecret, startKubeCluster, type KubeCluster } from '../support/kube-cluster/index.js';
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

/** A value given to a release: sealed by the server, never on any page. */
const RELEASE_SECRET = 'brownfield-release-secret-7731';
const CONFIGMAP_TEMPLATE = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n';
const b64 = (text: string): string => Buffer.from(text).toString('base64');

interface ReleaseSpec {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chart: {
    name: string;
    version: string;
    appVersion?: string;
    description?: string;
    dependencies?: Array<{ name: string; version: string; repository: string }>;
  };
  values: Record<string, unknown>;
  config: Record<string, unknown>;
}

/** A Helm 3 release as Helm stores it in its Secret (helm-release.ts). */
function release(r: ReleaseSpec) {
  const deployed = `2024-06-0${r.revision}T10:00:00.000000000Z`;
  return helmReleaseSecret({
    release: {
      name: r.name,
      namespace: r.namespace,
      version: r.revision,
      info: {
        status: r.status,
        first_deployed: '2024-06-01T10:00:00.000000000Z',
        last_deployed: deployed,
        description: 'Install complete',
      },
      chart: {
        metadata: {
          apiVersion: 'v2',
          name: r.chart.name,
          version: r.chart.version,
          ...(r.chart.description ? { description: r.chart.description } : {}),
          ...(r.chart.appVersion ? { appVersion: r.chart.appVersion } : {}),
          ...(r.chart.dependencies ? { dependencies: r.chart.dependencies } : {}),
        },
        lock: null,
        templates: [{ name: 'templates/configmap.yaml', data: b64(CONFIGMAP_TEMPLATE) }],
        values: r.values,
        schema: null,
        files: [],
      },
      config: r.config,
      manifest: `---\n# Source: ${r.chart.name}/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${r.name}\n`,
      hooks: [],
    },
  });
}

/**
 * Brownfield discovery in the console: a kubeconfig cluster registered against the in-process test
 * cluster seeded with Helm release Secrets, Discover now, the releases with their catalog matches
 * (one chart is in a synced registry, one is not and declares a subchart), a profile made from the
 * cluster, Sync discovered charts with its outcomes; an agent cluster's run waits for its agent; a
 * member reads everything and acts on nothing.
 */
describe(`console: brownfield discovery (${TEST_DB})`, () => {
  let server: TestServer;
  let repo: ChartRepo;
  let kube: KubeCluster;
  let browser: Browser;
  let ui: ConsolePage;
  let acme: { adminToken: string; memberToken: string };
  const tenant = 'acme';

  before(async () => {
    // The repository's web 1.2.0 is the chart the `web` release runs (same Chart.yaml, template, values).
    repo = await startChartRepo([{ name: 'web', version: '1.2.0', appVersion: '2.0.0' }]);
    kube = await startKubeCluster({
      objects: [
        release({
          name: 'web',
          namespace: 'apps',
          revision: 1,
          status: 'superseded',
          chart: { name: 'web', version: '1.2.0', appVersion: '2.0.0', description: 'web for profile tests' },
          values: { replicaCount: 1 },
          config: {},
        }),
        release({
          name: 'web',
          namespace: 'apps',
          revision: 2,
          status: 'deployed',
          chart: { name: 'web', version: '1.2.0', appVersion: '2.0.0', description: 'web for profile tests' },
          values: { replicaCount: 1 },
          config: { replicaCount: 3 },
        }),
        release({
          name: 'cache',
          namespace: 'data',
          revision: 1,
          status: 'deployed',
          chart: {
            name: 'inhouse-cache',
            version: '0.4.0',
            appVersion: '7.2',
            dependencies: [{ name: 'redis', version: '17.0.0', repository: 'https://charts.example.com' }],
          },
          values: { size: 'small' },
          config: { password: RELEASE_SECRET },
        }),
      ],
    });
    server = await startTestServer();
    acme = await createTenant(server, tenant);
    const added = await server.api('POST', `/api/v1/tenants/${tenant}/registries/helm`, {
      token: acme.adminToken,
      body: { name: 'upstream', endpoint: repo.url },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const run = await syncAndWait(
      server,
      `/api/v1/tenants/${tenant}/registries/helm/upstream`,
      acme.adminToken,
    );
    assert.equal(run.status, 'succeeded');
    const agent = await server.api('POST', `/api/v1/tenants/${tenant}/clusters`, {
      token: acme.adminToken,
      body: { name: 'edge', mode: 'agent' },
    });
    assert.equal(agent.status, 201, JSON.stringify(agent.body));

    browser = await launchBrowser();
    ui = await openConsole(browser, server.url);
    const admin = tenantUser(tenant, 'admin');
    await signIn(ui.page, admin.username, admin.password);
  });
  after(async () => {
    await ui?.context.close();
    await browser?.close();
    await server?.close();
    await kube?.close();
    await repo?.close();
  });

  const section = (page: Page): Locator =>
    page.getByRole('region', { name: 'Discovered releases', exact: true });
  const releaseRow = (page: Page, key: string): Locator => page.locator(`tr[data-release="${key}"]`);
  const shownReleases = (page: Page): Promise<string[]> =>
    page
      .locator('tr[data-release]')
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset['release'] ?? ''));

  it('registers a kubeconfig cluster, choosing what discovery keeps of release values', async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/clusters/_new`);
    await page.getByRole('heading', { level: 1, name: 'Register cluster' }).waitFor();
    await page.getByLabel('Cluster name').fill('brown');
    await page.getByRole('radio', { name: /^Kubeconfig/ }).check();
    await page.getByLabel('Kubeconfig', { exact: true }).fill(kube.kubeconfig);
    const values = page.getByRole('group', { name: 'Release values found by discovery' });
    assert.equal(await values.getByRole('radio', { name: /^Keep them sealed/ }).isChecked(), true);
    assert.match(await values.innerText(), /encrypted and never shown/);
    await page.getByRole('button', { name: 'Register cluster' }).click();
    await page.waitForURL(`**/t/${tenant}/clusters/brown`);
    await page.getByRole('heading', { level: 1, name: 'brown' }).waitFor();

    await page.getByRole('heading', { level: 2, name: 'Discovered releases' }).waitFor();
    const empty = page.locator('.discovery-empty');
    await empty.waitFor();
    assert.match(await empty.innerText(), /No discovery has run yet/);
    assert.match(await empty.innerText(), /the server does it, with the kubeconfig/);
    assert.equal(await page.getByLabel('Release values', { exact: true }).inputValue(), 'sealed');
    assertNoProblems(ui.problems);
  });

  it('discovers now: the newest revision of each release, with how its chart matched', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Discover now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discover releases' });
    assert.match(await dialog.innerText(), /Leave empty for every namespace/);
    // A bad namespace is named beside the field and nothing is sent.
    await dialog.getByLabel('Namespaces').fill('apps Bad_NS');
    await dialog.getByRole('button', { name: 'Discover now' }).click();
    await dialog.locator('.field-error').filter({ hasText: '"Bad_NS"' }).waitFor();
    await dialog.getByLabel('Namespaces').fill('');
    await dialog.getByRole('button', { name: 'Discover now' }).click();
    await dialog.waitFor({ state: 'detached' });

    const web = releaseRow(page, 'apps/web');
    await web.waitFor({ timeout: 30_000 });
    const webText = await web.innerText();
    assert.match(webText, /revision 2/);
    assert.match(webText, /deployed/);
    assert.match(webText, /1\.2\.0/);
    assert.match(webText, /app 2\.0\.0/);
    assert.match(webText, /upstream \((content|name and version)\)/);
    assert.match(webText, /sealed/);
    const cache = releaseRow(page, 'data/cache');
    const cacheText = await cache.innerText();
    assert.match(cacheText, /inhouse-cache/);
    assert.match(cacheText, /No match/);
    assert.match(cacheText, /1 subchart/);
    assert.deepEqual((await shownReleases(page)).sort(), ['apps/web', 'data/cache']);

    const last = page.locator('.last-discovery');
    await eventually(async () => assert.equal(await last.getAttribute('data-run-status'), 'succeeded'));
    assert.match(await last.innerText(), /Found 2 releases/);
    assert.match(await last.innerText(), /Discover now/);
    assert.equal(await page.getByRole('button', { name: 'Discover now' }).isEnabled(), true);
    assert.doesNotMatch(await page.content(), new RegExp(RELEASE_SECRET));
    await screenshot(page, 'cluster-discovered-releases');
    assertNoProblems(ui.problems);
  });

  it('filters the releases by namespace and by name', async () => {
    const { page } = ui;
    const namespace = page.getByLabel('Namespace', { exact: true });
    await namespace.fill('data');
    await eventually(async () => assert.deepEqual(await shownReleases(page), ['data/cache']));
    await namespace.fill('Not_A_Namespace');
    await page.getByText('Not a namespace name.').waitFor();
    await namespace.fill('');
    await page.getByLabel('Search releases').fill('web');
    await eventually(async () => assert.deepEqual(await shownReleases(page), ['apps/web']));
    await page.getByLabel('Search releases').fill('nothing-like-it');
    await page.getByText('No release matches.').waitFor();
    await page.getByLabel('Search releases').fill('');
    await eventually(async () => assert.equal((await shownReleases(page)).length, 2));
    assertNoProblems(ui.problems);
  });

  it('creates a draft profile from the cluster, naming the releases it skipped', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Create profile from cluster' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create profile from cluster' });
    await dialog.getByLabel('Profile name').fill('from-brown');
    await dialog.getByLabel('Description').fill('What brown runs');
    await dialog.getByRole('button', { name: 'Create profile' }).click();
    await dialog.waitFor({ state: 'detached' });
    const notice = page.getByRole('status').filter({ hasText: 'Draft profile created' });
    await notice.waitFor();
    assert.match(await notice.innerText(), /1 layer/);
    const skipped = notice.locator('li[data-skipped="data/cache"]');
    assert.match(await skipped.innerText(), /Sync discovered charts/);
    const link = notice.getByRole('link', { name: /^from-brown / });
    const href = (await link.getAttribute('href')) ?? '';
    assert.match(href, new RegExp(`^/t/${tenant}/profiles/from-brown/versions/`));

    const profile = await server.api<{
      status: string;
      layers: Array<{ releaseName: string; registry: string }>;
    }>('GET', `/api/v1/tenants/${tenant}/profiles/from-brown/versions/${href.split('/').pop() ?? ''}`, {
      token: acme.adminToken,
    });
    assert.equal(profile.status, 200, JSON.stringify(profile.body));
    assert.equal(profile.body.status, 'draft');
    assert.deepEqual(
      profile.body.layers.map((l) => [l.releaseName, l.registry]),
      [['web', 'upstream']],
    );
    await link.click();
    await page.waitForURL(`**${href}`);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'from-brown' }).waitFor();
    await page.goBack();
    await releaseRow(page, 'apps/web').waitFor();
    assertNoProblems(ui.problems);
  });

  it('syncs the discovered charts after a confirmation: outcomes, registry and warnings per chart', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Sync discovered charts' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sync discovered charts' });
    assert.match(await dialog.innerText(), /reconstructed/);
    assert.match(await dialog.innerText(), /Subcharts are not stored in a release/);
    await dialog.getByRole('button', { name: 'Sync charts' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });

    const result = page.getByRole('region', { name: 'Synced charts' });
    await result.waitFor();
    const cache = result.locator('tr[data-synced-chart="inhouse-cache/0.4.0"]');
    const cacheText = await cache.innerText();
    assert.match(cacheText, /Created/);
    assert.match(cacheText, /cache in data/);
    assert.match(cacheText, /hosted/);
    assert.match(cacheText, /redis|subchart/i);
    const web = result.locator('tr[data-synced-chart="web/1.2.0"]');
    assert.match(await web.innerText(), /In the catalog|Created/);
    assert.match(await page.locator('.result-panel').innerText(), /created/);
    await screenshot(page, 'cluster-discovery-sync');

    // The table is read again: the rebuilt chart is a content match, marked reconstructed.
    const row = releaseRow(page, 'data/cache');
    await eventually(async () => assert.match(await row.innerText(), /reconstructed/), 10_000);
    assert.match(await row.innerText(), /\(content\)/);
    assert.match(await row.innerText(), /Created/);
    await page.getByRole('button', { name: 'Dismiss sync result' }).click();
    assert.equal(await result.count(), 0);
    assertNoProblems(ui.problems);
  });

  it('changes what discovery keeps of release values', async () => {
    const { page } = ui;
    const select = page.getByLabel('Release values', { exact: true });
    await select.selectOption('omitted');
    assert.match(await page.locator('.release-values-form').innerText(), /never stores release values/);
    await page.getByRole('button', { name: 'Save setting' }).click();
    await page.locator('.release-values-form').getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const cluster = await server.api<{ releaseValues: string }>(
      'GET',
      `/api/v1/tenants/${tenant}/clusters/brown`,
      {
        token: acme.adminToken,
      },
    );
    assert.equal(cluster.body.releaseValues, 'omitted');
    assertNoProblems(ui.problems);
  });

  it("shows an agent cluster's discovery as requested until its agent answers", async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/clusters/edge`);
    await page.getByRole('heading', { level: 1, name: 'edge' }).waitFor();
    const empty = page.locator('.discovery-empty');
    await empty.waitFor();
    assert.match(await empty.innerText(), /agent does it at its next heartbeat, with --kubeconfig/);
    await page.getByRole('button', { name: 'Discover now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discover releases' });
    assert.match(await dialog.innerText(), /agent does it at its next heartbeat/);
    await dialog.getByLabel('Namespaces').fill('apps, data');
    await dialog.getByRole('button', { name: 'Discover now' }).click();
    await page
      .locator('.discovery-progress')
      .filter({ hasText: 'the agent discovers at its next heartbeat' })
      .waitFor();
    assert.equal(await page.getByRole('button', { name: 'Discover now' }).isDisabled(), true);
    const last = page.locator('.last-discovery');
    assert.equal(await last.getAttribute('data-run-status'), 'requested');
    assert.match(await last.innerText(), /apps, data/);
    assertNoProblems(ui.problems);
  });

  it('shows a member the releases read-only: no discovery, sync or profile actions', async () => {
    const member = await openConsole(browser, server.url);
    const { page } = member;
    const who = tenantUser(tenant, 'member');
    await signIn(page, who.username, who.password);
    await page.goto(`/t/${tenant}/clusters/brown`);
    await releaseRow(page, 'data/cache').waitFor();
    assert.equal(
      await page
        .getByRole('button', { name: /Discover now|Sync discovered charts|Create profile|Save setting/ })
        .count(),
      0,
    );
    assert.equal(await page.locator('main select').count(), 0);
    assert.match(await section(page).innerText(), /Release values\s*Do not keep them/);
    assertNoProblems(member.problems);
    await member.context.close();
  });
});
