import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { createTgz } from '../support/chart-archive.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { launchBrowser, screenshot } from './browser.js';
import {
  assertNoProblems,
  eventually,
  openConsole,
  signIn,
  tenantUser,
  type ConsolePage,
} from './console-helpers.js';

interface ClusterBody {
  name: string;
  connection: string;
  profiles: Array<{
    profile: string;
    version: string;
    variables: Array<{ name: string; value?: unknown; set: boolean }>;
  }>;
  plan: { revision: number };
}

const SECRET = 'hunter2-cluster-secret';

/**
 * Clusters in the console: an agent cluster registered with a published profile and typed variables,
 * its token shown once and rotated, a variable edited, the agent's report shown per layer; a member
 * reads only, and another tenant's cluster is not found.
 */
describe(`console: clusters (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;
  let ui: ConsolePage;
  let acme: { adminToken: string; memberToken: string };
  const tenant = 'acme';
  /** The token the console showed, as the agent would be given it. */
  let agentToken = '';

  before(async () => {
    server = await startTestServer();
    acme = await createTenant(server, tenant);
    const other = await createTenant(server, 'other');
    // The hosted registry's ChartMuseum API (test/support/hosted.ts is not imported: its Buffer body does
    // not type-check against the DOM's fetch types this folder compiles with).
    const admin = tenantUser(tenant, 'admin');
    const tgz = createTgz([
      { path: 'inhouse/Chart.yaml', content: 'apiVersion: v2\nname: inhouse\nversion: 0.3.0\n' },
      { path: 'inhouse/values.yaml', content: 'replicas: 1\n' },
    ]);
    const pushed = await fetch(`${server.url}/helm/${tenant}/api/charts`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa(`${admin.username}:${admin.password}`)}`,
        'content-type': 'application/gzip',
      },
      body: new Uint8Array(tgz),
    });
    assert.equal(pushed.status, 201, await pushed.text());
    const profiles = `/api/v1/tenants/${tenant}/profiles`;
    const created = await server.api('POST', profiles, {
      token: acme.adminToken,
      body: {
        name: 'base',
        version: '1.0.0',
        variables: [
          { name: 'replicas', type: 'number', required: true, default: 2 },
          { name: 'token', type: 'string', sensitive: true },
        ],
        layers: [
          {
            name: 'web',
            registry: 'hosted',
            chart: 'inhouse',
            version: '0.3.0',
            namespace: 'apps',
            values: 'replicas: {{ .Variables.replicas }}\ntoken: "{{ .Variables.token }}"\n',
          },
          { name: 'cache', registry: 'hosted', chart: 'inhouse', version: '0.3.0', namespace: 'cache' },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const published = await server.api('POST', `${profiles}/base/versions/1.0.0/publish`, {
      token: acme.adminToken,
    });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    // A draft is never offered for a cluster.
    const draft = await server.api('POST', `${profiles}/base/versions`, {
      token: acme.adminToken,
      body: { version: '1.1.0', from: '1.0.0' },
    });
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
    const elsewhere = await server.api('POST', '/api/v1/tenants/other/clusters', {
      token: other.adminToken,
      body: { name: 'secret-cluster', mode: 'agent' },
    });
    assert.equal(elsewhere.status, 201, JSON.stringify(elsewhere.body));

    browser = await launchBrowser();
    ui = await openConsole(browser, server.url);
    await signIn(ui.page, admin.username, admin.password);
  });
  after(async () => {
    await ui?.context.close();
    await browser?.close();
    await server?.close();
  });

  const agentApi = (method: string, path: string, token: string, body?: unknown) =>
    server.api<Record<string, unknown>>(method, `/api/v1/agent/${path}`, {
      token,
      ...(body === undefined ? {} : { body }),
    });
  const getCluster = async (): Promise<ClusterBody> => {
    const res = await server.api<ClusterBody>('GET', `/api/v1/tenants/${tenant}/clusters/edge-1`, {
      token: acme.adminToken,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const assignment = (page: Page, n: number): Locator =>
    page.getByRole('group', { name: new RegExp(`^Profile ${n}:`) });
  const optionValues = (select: Locator): Promise<string[]> =>
    select.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));

  it('registers an agent cluster with a published profile; a wrong value is named beside its control', async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/clusters`);
    await page.getByRole('heading', { level: 1, name: 'Clusters' }).waitFor();
    await page.getByText('No clusters yet.').waitFor();
    await page.getByRole('link', { name: 'Register cluster' }).click();
    await page.getByRole('heading', { level: 1, name: 'Register cluster' }).waitFor();
    await page.getByLabel('Cluster name').fill('edge-1');
    await page.getByLabel('Description').fill('Edge <b>one</b>');
    assert.equal(await page.getByRole('radio', { name: /^Agent/ }).isChecked(), true);
    // Kubeconfig mode asks for one, as text or a file; agent mode does not.
    await page.getByRole('radio', { name: /^Kubeconfig/ }).check();
    await page.getByLabel('Kubeconfig', { exact: true }).waitFor();
    await page.getByRole('radio', { name: /^Agent/ }).check();
    assert.equal(await page.getByLabel('Kubeconfig', { exact: true }).count(), 0);

    await page.getByRole('button', { name: 'Add profile' }).click();
    const first = assignment(page, 1);
    await first.getByLabel('Profile', { exact: true }).selectOption('base');
    const version = first.getByLabel('Version', { exact: true });
    await eventually(async () => assert.deepEqual(await optionValues(version), ['', '1.0.0']));
    await version.selectOption('1.0.0');
    const replicas = first.getByLabel('replicas', { exact: true });
    await replicas.waitFor();
    assert.equal(await replicas.getAttribute('placeholder'), '2');
    assert.equal(await first.getByLabel('token', { exact: true }).getAttribute('type'), 'password');
    await replicas.fill('many');
    await first.getByLabel('token', { exact: true }).fill(SECRET);
    await page.getByRole('button', { name: 'Register cluster' }).click();
    await page.getByRole('alert').filter({ hasText: 'Nothing was saved' }).waitFor();
    // Beside the control, not only in the summary.
    await eventually(async () =>
      assert.match(
        await first.locator('.field-invalid').filter({ hasText: 'replicas' }).innerText(),
        /replicas[\s\S]*number/i,
      ),
    );
    await screenshot(page, 'cluster-register-errors');

    await replicas.fill('3');
    await page.getByRole('button', { name: 'Register cluster' }).click();
    await page.getByRole('heading', { name: 'Agent token for edge-1' }).waitFor();
    assertNoProblems(ui.problems);
  });

  it('shows the agent token once, with the commands that keep it off the command line', async () => {
    const { page } = ui;
    const panel = page.getByRole('region', { name: 'Agent token for edge-1' });
    assert.match(await panel.innerText(), /it will not be shown again/i);
    agentToken = (await panel.getByLabel('Agent token', { exact: true }).innerText()).trim();
    assert.ok(agentToken.length >= 20, agentToken);
    const commands = await panel.locator('pre').allInnerTexts();
    assert.ok(
      commands.includes(`charthouse agent --server ${server.url} --token-file agent-token`),
      JSON.stringify(commands),
    );
    assert.ok(
      commands.every((c) => !c.includes(agentToken)),
      'the token is on a command line',
    );
    const plan = await agentApi('GET', 'plan', agentToken);
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    await screenshot(page, 'cluster-agent-token');

    await page.getByRole('button', { name: 'Done, I saved the token' }).click();
    await page.waitForURL(`**/t/${tenant}/clusters/edge-1`);
    await page.getByRole('heading', { level: 1, name: 'edge-1' }).waitFor();
    await page.getByText('Never connected').first().waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'edge-1' }).waitFor();
    await page.getByRole('region', { name: 'Layer status' }).waitFor();
    const html = await page.content();
    assert.doesNotMatch(html, new RegExp(agentToken));
    assert.doesNotMatch(html, new RegExp(SECRET));
    // Server text is text: the description's markup shows as characters.
    await page.getByText('Edge <b>one</b>').waitFor();
    assertNoProblems(ui.problems);
  });

  it('rotates the token after a confirmation: the new one works, the old one no longer', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Rotate agent token…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate agent token' });
    assert.match(await dialog.innerText(), /stops working at once/);
    await dialog.getByRole('button', { name: 'Rotate token' }).click();
    const panel = page.getByRole('region', { name: 'New agent token for edge-1' });
    await panel.waitFor();
    const rotated = (await panel.getByLabel('Agent token', { exact: true }).innerText()).trim();
    assert.notEqual(rotated, agentToken);
    assert.notEqual((await agentApi('GET', 'plan', agentToken)).status, 200, 'the old token still works');
    assert.equal((await agentApi('GET', 'plan', rotated)).status, 200);
    agentToken = rotated;
    await panel.getByRole('button', { name: 'Done, I saved the token' }).click();
    assert.equal(await panel.count(), 0);
    assertNoProblems(ui.problems);
  });

  it('edits a variable; the stored secret is kept without ever being shown', async () => {
    const { page } = ui;
    const before = await getCluster();
    const first = assignment(page, 1);
    const replicas = first.getByLabel('replicas', { exact: true });
    await eventually(async () => assert.equal(await replicas.inputValue(), '3'));
    assert.equal(await first.getByLabel('token', { exact: true }).inputValue(), 'keep');
    await replicas.fill('5');
    await page.getByRole('button', { name: 'Save profiles' }).click();
    await page.getByRole('status').filter({ hasText: 'Profiles saved.' }).waitFor();
    const after = await getCluster();
    const variables = after.profiles[0]!.variables;
    assert.equal(variables.find((v) => v.name === 'replicas')?.value, 5);
    assert.equal(variables.find((v) => v.name === 'token')?.set, true);
    assert.doesNotMatch(JSON.stringify(after), new RegExp(SECRET));
    assert.ok(after.plan.revision > before.plan.revision, 'the plan did not change');
    assertNoProblems(ui.problems);
  });

  it("shows the agent's report per layer, as text, and the connection after a heartbeat", async () => {
    const { page } = ui;
    const plan = await agentApi('GET', 'plan', agentToken);
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    const planRevision = plan.body.revision as number;
    // The archive's digest as the plan pins it: the server refuses a report of other bytes.
    const planned = plan.body as {
      profiles: Array<{ layers: Array<{ name: string; digest: string | null }> }>;
    };
    const digest = planned.profiles[0]?.layers.find((l) => l.name === 'web')?.digest ?? '';
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const report = await agentApi('POST', 'reports', agentToken, {
      planRevision,
      layers: [
        {
          profile: 'base',
          layer: 'web',
          state: 'installed',
          digest,
          chart: { name: 'inhouse', version: '0.3.0' },
          provenance: { result: 'unsigned' },
          release: { name: 'web', namespace: 'apps', revision: 2, status: 'deployed' },
        },
        {
          profile: 'base',
          layer: 'cache',
          state: 'failed',
          reason: 'pull failed: <img src=x onerror=alert(1)>',
        },
      ],
    });
    assert.equal(report.status < 300, true, JSON.stringify(report.body));
    const beat = await agentApi('POST', 'heartbeat', agentToken, {
      agentVersion: '0.9.0-test',
      planRevision,
    });
    assert.equal(beat.status < 300, true, JSON.stringify(beat.body));

    await page.reload();
    const web = page.locator('tr[data-layer="base/web"]');
    await web.waitFor();
    const webText = await web.innerText();
    assert.match(webText, /installed/);
    assert.ok(webText.includes(`${digest.slice(0, 'sha256:'.length + 12)}\t`), webText);
    assert.doesNotMatch(webText, new RegExp(digest));
    assert.equal(await web.locator(`[title="${digest}"]`).count(), 1);
    assert.match(webText, /web in apps, revision 2 \(deployed\)/);
    assert.match(webText, /unsigned/);
    const cache = page.locator('tr[data-layer="base/cache"]');
    assert.match(await cache.innerText(), /failed/);
    assert.match(await cache.innerText(), /pull failed: <img src=x onerror=alert\(1\)>/);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    const status = await page.locator('.cluster-status').innerText();
    assert.match(status, /Connected/);
    assert.match(status, /0\.9\.0-test/);
    await screenshot(page, 'cluster-detail');

    await page.getByRole('link', { name: 'Clusters', exact: true }).first().click();
    const row = page.locator('tr[data-cluster="edge-1"]');
    await row.waitFor();
    const rowText = await row.innerText();
    assert.match(rowText, /1 installed, 1 failed/);
    assert.match(rowText, /Connected/);
    assert.match(rowText, /base 1\.0\.0/);
    assert.match(rowText, /Edge <b>one<\/b>/);
    assertNoProblems(ui.problems);
  });

  it('shows a member everything read-only: no Register, Rotate, Delete or editable variables', async () => {
    const member = await openConsole(browser, server.url);
    const { page } = member;
    await signIn(page, tenantUser(tenant, 'member').username, tenantUser(tenant, 'member').password);
    await page.goto(`/t/${tenant}/clusters`);
    await page.locator('tr[data-cluster="edge-1"]').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Register cluster' }).count(), 0);
    await page.getByRole('link', { name: 'edge-1', exact: true }).click();
    const assigned = page.getByRole('region', { name: 'Assigned profiles' });
    await assigned.waitFor();
    assert.match(await assigned.innerText(), /replicas: 5/);
    assert.match(await assigned.innerText(), /token: set/);
    assert.equal(
      await page.getByRole('button', { name: /Rotate|Delete|Save profiles|Add profile/ }).count(),
      0,
    );
    assert.equal(await page.locator('main textarea, main input:not([type=hidden]), main select').count(), 0);
    // Typed by hand, the register page sends a member back to the list.
    await page.goto(`/t/${tenant}/clusters/_new`);
    await page.waitForURL(`**/t/${tenant}/clusters`);
    assertNoProblems(member.problems);
    await member.context.close();
  });

  it("answers another tenant's cluster as not found", async () => {
    const { page } = ui;
    for (const path of ['/t/other/clusters/secret-cluster', `/t/${tenant}/clusters/secret-cluster`]) {
      await page.goto(path);
      const alert = page.getByRole('alert').filter({ hasText: 'Could not load the cluster' });
      await alert.waitFor();
      assert.match(await alert.innerText(), /not found/i, path);
    }
    assertNoProblems(ui.problems);
  });

  it('deletes the cluster after a confirmation; its agent token stops working', async () => {
    const { page } = ui;
    await page.goto(`/t/${tenant}/clusters/edge-1`);
    await page.getByRole('button', { name: 'Delete cluster' }).click();
    await page
      .getByRole('dialog', { name: 'Delete cluster' })
      .getByRole('button', { name: 'Delete cluster' })
      .click();
    await page.waitForURL(`**/t/${tenant}/clusters`);
    await page.getByText('No clusters yet.').waitFor();
    assert.notEqual((await agentApi('GET', 'plan', agentToken)).status, 200);
    assertNoProblems(ui.problems);
  });
});
