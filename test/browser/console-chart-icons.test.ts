import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { fixtureServerPool, sendBody, type FixtureServer } from '../support/fixture-servers.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';
import { launchBrowser } from './browser.js';
import {
  assertNoProblems,
  eventually,
  openConsole,
  signIn,
  tenantUser,
  type ConsolePage,
} from './console-helpers.js';

/** A real 2x2 red PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8DwnwGMgRQAH+4D/dJQfRoAAAAASUVORK5CYII=',
  'base64',
);
/** Script inside an SVG icon: it must never run, neither in an <img> nor anywhere else in the console. */
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="teal"/>' +
  '<script>parent.__pwned = 1; window.__pwned = 1</script></svg>';

/** Chart icons in the Charts list and on a chart's page, as a member sees them. */
describe(`console: chart icons (${TEST_DB})`, () => {
  let server: TestServer;
  let browser: Browser;
  let upstream: FixtureServer;
  const pool = fixtureServerPool();
  const tenant = 'iconic';
  let ui: ConsolePage;
  const browserRequests: string[] = [];

  before(async () => {
    server = await startTestServer();
    const t = await createTenant(server, tenant);
    let index = '';
    upstream = await pool.serve({
      '/repo/index.yaml': (req, res) =>
        sendBody(index, { headers: { 'content-type': 'text/yaml' } })(req, res),
      '/icons/logo.png': sendBody(PNG, { headers: { 'content-type': 'image/png' } }),
      '/icons/vector.svg': sendBody(SVG, { headers: { 'content-type': 'image/svg+xml' } }),
    });
    const entry = (name: string, icon?: string) =>
      [
        `  ${name}:`,
        `  - apiVersion: v2`,
        `    name: ${name}`,
        `    version: 1.0.0`,
        `    description: ${name} chart`,
        ...(icon ? [`    icon: ${icon}`] : []),
        `    urls: [${name}-1.0.0.tgz]`,
      ].join('\n');
    index = [
      'apiVersion: v1',
      'entries:',
      entry('logo', `${upstream.url}/icons/logo.png`),
      entry('vector', `${upstream.url}/icons/vector.svg`),
      entry('missing', `${upstream.url}/icons/missing.png`),
      entry('plain'),
      '',
    ].join('\n');
    const prefix = `/api/v1/tenants/${tenant}/registries/helm`;
    const added = await server.api('POST', prefix, {
      body: { name: 'pics', endpoint: `${upstream.url}/repo` },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal((await syncAndWait(server, `${prefix}/pics`, t.adminToken)).status, 'succeeded');
    browser = await launchBrowser();
    ui = await openConsole(browser, server.url);
    ui.page.on('request', (request) => browserRequests.push(request.url()));
    const member = tenantUser(tenant, 'member');
    await signIn(ui.page, member.username, member.password);
  });
  after(async () => {
    await ui?.context.close();
    await browser?.close();
    await pool.closeAll();
    await server?.close();
  });

  const row = (chart: string) => ui.page.locator(`tr[data-chart="${chart}"]`);

  it('shows icons loaded from the console origin, and a placeholder where there is none', async () => {
    const { page } = ui;
    const response = await page.goto(`/t/${tenant}/charts`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /img-src 'self'(?: data:)?;/, 'the console CSP keeps images to its own origin');
    await row('plain').waitFor();
    await eventually(async () => {
      for (const chart of ['logo', 'vector']) {
        const loaded = await row(chart)
          .locator('img.chart-icon')
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);
        assert.ok(loaded, `${chart}'s icon is shown`);
      }
    }, 10_000);
    const src = await row('logo').locator('img.chart-icon').getAttribute('src');
    assert.match(src ?? '', new RegExp(`^${server.url}/api/v1/icons/[0-9a-f]{64}$`));
    for (const chart of ['missing', 'plain']) {
      await eventually(async () => {
        assert.equal(await row(chart).locator('[data-chart-icon="none"]').count(), 1, chart);
        assert.equal(await row(chart).locator('img').count(), 0, chart);
      });
    }
    // The browser asked only its own origin; the icon host saw the server, once per icon.
    assert.deepEqual(
      browserRequests.filter((url) => !url.startsWith(`${server.url}/`)),
      [],
    );
    assert.equal(upstream.requests.filter((r) => r.url === '/icons/logo.png').length, 1);
    assert.equal(upstream.requests.filter((r) => r.url === '/icons/missing.png').length, 1);
    assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
    assertNoProblems(ui.problems);
  });

  it("shows the icon beside the chart's name on its page", async () => {
    const { page } = ui;
    await row('logo').getByRole('link', { name: 'logo' }).click();
    const heading = page.getByRole('heading', { level: 1, name: 'logo' });
    await heading.waitFor();
    await eventually(async () => {
      const loaded = await heading
        .locator('img.chart-icon')
        .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 2);
      assert.ok(loaded);
    });
    assert.equal(
      upstream.requests.filter((r) => r.url === '/icons/logo.png').length,
      1,
      'served from the cache',
    );
    assertNoProblems(ui.problems);
  });
});
