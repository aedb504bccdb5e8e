import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTgz } from '../support/chart-archive.js';
import {
  redirectTo,
  sendBody,
  startFixtureServer,
  withBasicAuth,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { basic, uploadChart } from '../support/hosted.js';
import {
  ADMIN,
  createTenant,
  startTestServer,
  syncAndWait,
  TEST_DB,
  type TestServer,
} from '../support/server.js';

/** A real 1x1 PNG, so the bytes are an image a browser would decode. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const OTHER_PNG = Buffer.concat([PNG, Buffer.from('trailing bytes make another digest')]);
const SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
const REPO_USER = { username: 'reader', password: 'Reader-pa55' };

interface Chart {
  name: string;
  version?: string;
  icon?: string;
}

function indexYaml(charts: Chart[]): string {
  const lines = ['apiVersion: v1', 'entries:'];
  const byName = new Map<string, Chart[]>();
  for (const c of charts) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  for (const [name, versions] of byName) {
    lines.push(`  ${name}:`);
    for (const c of versions) {
      const version = c.version ?? '1.0.0';
      lines.push(`  - apiVersion: v2`, `    name: ${name}`, `    version: ${version}`);
      if (c.icon !== undefined) lines.push(`    icon: ${JSON.stringify(c.icon)}`);
      lines.push(`    urls: [${name}-${version}.tgz]`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe(`chart icons (${TEST_DB})`, () => {
  let server: TestServer;
  let strict: TestServer;
  let fixture: FixtureServer;
  let acme: { adminToken: string; memberToken: string };
  let other: { adminToken: string; memberToken: string };
  const base = '/api/v1/tenants/acme/registries/helm/classic/charts';
  const hanging: Array<() => void> = [];

  before(async () => {
    let index = '';
    fixture = await startFixtureServer({
      // The registry demands Basic auth; its icons live on the same origin, to show they get none.
      '/repo/index.yaml': withBasicAuth(REPO_USER.username, REPO_USER.password, (req, res) =>
        sendBody(index, { headers: { 'content-type': 'text/yaml' } })(req, res),
      ),
      '/icons/ok.png': sendBody(PNG, { headers: { 'content-type': 'image/png' } }),
      '/icons/v1.png': sendBody(OTHER_PNG, { headers: { 'content-type': 'image/png' } }),
      '/icons/slow.png': async (req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sendBody(OTHER_PNG)(req, res);
      },
      '/icons/big.png': sendBody(Buffer.concat([PNG, Buffer.alloc(300 * 1024)]), {
        headers: { 'content-type': 'image/png' },
      }),
      // The Content-Type claims an image; the bytes say otherwise.
      '/icons/page.png': sendBody('<!doctype html><html><body>Not here</body></html>', {
        headers: { 'content-type': 'image/png' },
      }),
      '/icons/logo.svg': sendBody(SVG, { headers: { 'content-type': 'text/plain' } }),
      '/icons/metadata.png': redirectTo('http://169.254.169.254/latest/meta-data/icon.png'),
      '/icons/hang.png': (_req, res) => {
        hanging.push(() => res.destroy());
      },
    });
    const icon = (name: string) => `${fixture.url}/icons/${name}`;
    index = indexYaml([
      { name: 'ok', icon: icon('ok.png') },
      { name: 'twin', icon: icon('ok.png') },
      { name: 'multi', version: '1.0.0', icon: icon('v1.png') },
      { name: 'multi', version: '2.0.0', icon: icon('ok.png') },
      { name: 'slow', icon: icon('slow.png') },
      { name: 'big', icon: icon('big.png') },
      { name: 'page', icon: icon('page.png') },
      { name: 'vector', icon: icon('logo.svg') },
      { name: 'metadata', icon: icon('metadata.png') },
      { name: 'hang', icon: icon('hang.png') },
      { name: 'inline', icon: `data:image/png;base64,${PNG.toString('base64')}` },
      { name: 'inline-html', icon: 'data:text/html;base64,PHNjcmlwdD4=' },
      { name: 'ftp', icon: 'ftp://example.com/icon.png' },
      { name: 'plain' },
    ]);
    [server, strict] = await Promise.all([
      startTestServer(),
      // The operator's default: no loopback or private addresses.
      startTestServer({ CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'false' }),
    ]);
    [acme, other] = await Promise.all([createTenant(server, 'acme'), createTenant(server, 'other')]);
    const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: {
        name: 'classic',
        endpoint: `${fixture.url}/repo`,
        auth: { type: 'basic', ...REPO_USER },
      },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const run = await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/classic', acme.adminToken);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
  });
  after(async () => {
    for (const release of hanging) release();
    await Promise.all([server.close(), strict.close(), fixture.close()]);
  });

  const iconGets = (name: string): number =>
    fixture.requests.filter((r) => r.url === `/icons/${name}`).length;
  const get = (path: string, token: string | null = acme.memberToken, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string } }).error;

  it('serves a PNG icon from its own origin, fetched once, without the registry credentials', async () => {
    const res = await get(`${base}/ok/icon`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('cache-control') ?? '', /^private, max-age=\d+$/);
    const etag = res.headers.get('etag');
    assert.match(etag ?? '', /^"[0-9a-f]{64}"$/);
    const requests = fixture.requests.filter((r) => r.url === '/icons/ok.png');
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.headers.authorization, undefined, 'no credentials to the icon host');

    // A cache hit: the same chart again, and another chart naming the same URL, fetch nothing.
    assert.equal((await get(`${base}/ok/icon`)).status, 200);
    assert.equal((await get(`${base}/twin/icon`)).status, 200);
    assert.equal(iconGets('ok.png'), 1);
    const revalidated = await get(`${base}/ok/icon`, acme.memberToken, { 'if-none-match': etag ?? '' });
    assert.equal(revalidated.status, 304);

    // The content URL needs no token (the digest is the capability) and may be cached for good.
    const location = res.headers.get('content-location') ?? '';
    assert.equal(location, `/api/v1/icons/${etag?.slice(1, -1)}`);
    const byContent = await get(location, null);
    assert.equal(byContent.status, 200);
    assert.deepEqual(Buffer.from(await byContent.arrayBuffer()), PNG);
    assert.equal(byContent.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await get(`/api/v1/icons/${'0'.repeat(64)}`, null)).status, 404);
    assert.equal(iconGets('ok.png'), 1);
  });

  it('documents both paths in the OpenAPI document as images', async () => {
    type Doc = { paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }> };
    const doc = (await server.api<Doc>('GET', '/api/docs/json', { token: null })).body;
    for (const path of [
      '/api/v1/tenants/{t}/registries/helm/{name}/charts/{chart}/icon',
      '/api/v1/system/registries/helm/{name}/charts/{chart}/icon',
      '/api/v1/icons/{digest}',
    ]) {
      const content = doc.paths[path]?.get?.responses['200']?.content ?? {};
      assert.deepEqual(
        Object.keys(content),
        ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml'],
        path,
      );
    }
  });

  it('serves the icon of the version asked for, the newest by default', async () => {
    const newest = await get(`${base}/multi/icon`);
    assert.deepEqual(Buffer.from(await newest.arrayBuffer()), PNG);
    const old = await get(`${base}/multi/icon?version=1.0.0`);
    assert.equal(old.status, 200);
    assert.deepEqual(Buffer.from(await old.arrayBuffer()), OTHER_PNG);
    assert.equal((await get(`${base}/multi/icon?version=9.9.9`)).status, 404);
  });

  it('fetches once for concurrent first requests', async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => get(`${base}/slow/icon`)));
    assert.deepEqual(
      all.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
    assert.equal(iconGets('slow.png'), 1);
  });

  it('refuses an oversized icon and a non-image, and remembers the failure', async () => {
    const big = await get(`${base}/big/icon`);
    assert.equal(big.status, 422);
    assert.deepEqual(await errorOf(big), {
      code: 'upstream_too_large',
      message: `The chart's icon is not shown: ${fixture.url}/icons/big.png sent more than the limit of 262144 bytes.`,
    });
    const page = await get(`${base}/page/icon`);
    assert.equal(page.status, 422);
    const error = await errorOf(page);
    assert.equal(error.code, 'icon_not_image');
    assert.match(error.message, /is not a PNG, JPEG, GIF, WebP or SVG image \(judged by its content\)/);
    assert.equal((await get(`${base}/page/icon`)).status, 422);
    assert.equal(iconGets('page.png'), 1, 'a broken icon is not fetched again on every view');
  });

  it('serves an SVG (even one with a script) only under a CSP that runs nothing', async () => {
    const res = await get(`${base}/vector/icon`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.equal(
      res.headers.get('content-security-policy'),
      "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    );
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-disposition'), 'inline');
    assert.equal(await res.text(), SVG);
  });

  it('refuses a redirect to a refused address', async () => {
    const res = await get(`${base}/metadata/icon`);
    assert.equal(res.status, 422);
    const error = await errorOf(res);
    assert.equal(error.code, 'upstream_endpoint_not_allowed');
    assert.match(error.message, /169\.254\.169\.254 is a cloud metadata service address/);
  });

  it('decodes data: URIs under the same rules, and refuses other schemes', async () => {
    const inline = await get(`${base}/inline/icon`);
    assert.equal(inline.status, 200);
    assert.deepEqual(Buffer.from(await inline.arrayBuffer()), PNG);
    const html = await get(`${base}/inline-html/icon`);
    assert.equal(html.status, 422);
    assert.equal((await errorOf(html)).code, 'icon_not_image');
    const ftp = await get(`${base}/ftp/icon`);
    assert.equal(ftp.status, 422);
    assert.match((await errorOf(ftp)).message, /scheme ftp: is not fetched; use https, http or data:/);
  });

  it('answers 404 for a chart without an icon, another tenant, and a protected registry', async () => {
    const plain = await get(`${base}/plain/icon`);
    assert.equal(plain.status, 404);
    assert.equal((await errorOf(plain)).code, 'chart_icon_not_found');
    // Another tenant's member: the tenant is not theirs, and their own tenant has no such registry.
    assert.equal((await get(`${base}/ok/icon`, other.memberToken)).status, 404);
    const elsewhere = await get(
      '/api/v1/tenants/other/registries/helm/classic/charts/ok/icon',
      other.memberToken,
    );
    assert.equal(elsewhere.status, 404);
    assert.equal((await get(`${base}/ok/icon`, null)).status, 401);

    const protectedReg = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: { name: 'inside', endpoint: `${fixture.url}/repo`, protected: true },
    });
    assert.equal(protectedReg.status, 201, JSON.stringify(protectedReg.body));
    const before = fixture.requests.length;
    const locked = await get('/api/v1/tenants/acme/registries/helm/inside/charts/ok/icon');
    assert.equal(locked.status, 404);
    assert.equal((await errorOf(locked)).code, 'registry_protected');
    assert.equal(fixture.requests.length, before, 'a protected registry leads to no request at all');
  });

  it('times out a hanging icon host while the chart page keeps answering', async () => {
    const started = Date.now();
    const icon = get(`${base}/hang/icon`);
    await fixture.received('/icons/hang.png');
    const page = await get(`${base}/hang`);
    assert.equal(page.status, 200, 'the chart page does not wait for its icon');
    const res = await icon;
    assert.equal(res.status, 422);
    assert.equal((await errorOf(res)).code, 'upstream_timeout');
    assert.ok(Date.now() - started < 5_000, 'the test server bounds an icon fetch by its upstream deadlines');
  });

  it('refuses loopback and private icon URLs under the default address policy', async () => {
    // Charts pushed to the system's hosted registry: the server needs no upstream to have a catalog.
    const chartYaml = (icon: string, name: string) =>
      createTgz([
        {
          path: `${name}/Chart.yaml`,
          content: `apiVersion: v2\nname: ${name}\nversion: 1.0.0\nicon: ${icon}\n`,
        },
      ]);
    const admin = basic(ADMIN.username, ADMIN.password);
    for (const [name, icon] of [
      ['loop', `${fixture.url}/icons/ok.png`],
      ['named', `http://localhost:${fixture.port}/icons/ok.png`],
      ['private', 'http://10.1.2.3/icon.png'],
    ] as const) {
      const up = await uploadChart(strict.url, 'system', chartYaml(icon, name), admin);
      assert.equal(up.status, 201, JSON.stringify(up.body));
    }
    const before = iconGets('ok.png');
    for (const [name, pattern] of [
      ['loop', /127\.0\.0\.1 is a loopback address/],
      ['named', /The host localhost resolves to a loopback address/],
      ['private', /10\.1\.2\.3 is a private-network address/],
    ] as const) {
      const res = await fetch(`${strict.url}/api/v1/system/registries/helm/stable/charts/${name}/icon`, {
        headers: { authorization: `Bearer ${strict.adminToken}` },
      });
      assert.equal(res.status, 422, name);
      const error = await errorOf(res);
      assert.equal(error.code, 'upstream_endpoint_not_allowed');
      assert.match(error.message, pattern);
    }
    assert.equal(iconGets('ok.png'), before, 'the fixture was never contacted');
  });
});
