import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TEST_DB, type TestServer } from '../support/server.js';

/** The built console (dist/web, made by `npm run build` in the test command) served by the server. */
describe(`web console serving (${TEST_DB})`, () => {
  let server: TestServer;
  let html: string;
  before(async () => {
    server = await startTestServer();
    html = await (await fetch(`${server.url}/`, { headers: { accept: 'text/html' } })).text();
  });
  after(() => server.close());

  const get = (path: string, accept = 'text/html'): Promise<Response> =>
    fetch(`${server.url}${path}`, { headers: { accept } });

  it('serves the app at / with a strict CSP and no caching of the HTML', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(html, /<script type="module"[^>]* src="\/assets\//);
  });

  it('answers client-side routes with the app, so a reload works', async () => {
    const res = await get('/t/acme/settings/registries');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), html);
  });

  it('serves fingerprinted assets as immutable', async () => {
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html names its script');
    const res = await get(script, '*/*');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /immutable/);
  });

  it('keeps JSON 404s for API paths and for requests that are not page loads', async () => {
    for (const [path, accept] of [
      ['/api/v1/nope', 'text/html'],
      ['/healthz/x', 'text/html'],
      ['/t/acme', 'application/json'],
      ['/assets/missing.js', '*/*'],
    ] as const) {
      const res = await get(path, accept);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found', path);
    }
  });
});
