import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TEST_DB, type TestServer } from '../support/server.js';

describe(`operations endpoints (${TEST_DB})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('answers /healthz and /readyz without credentials', async () => {
    assert.deepEqual((await server.api('GET', '/healthz', { token: null })).body, { status: 'ok' });
    const ready = await server.api<{ status: string; database: string }>('GET', '/readyz', { token: null });
    assert.equal(ready.status, 200);
    assert.equal(ready.body.database, TEST_DB);
  });

  it('exposes Prometheus metrics, including request counts by route template', async () => {
    await server.api('GET', '/api/v1/me');
    const res = await server.api<string>('GET', '/metrics', { token: null });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(
      res.body,
      /charthouse_http_requests_total\{method="GET",route="\/api\/v1\/me",status="200"\} \d+/,
    );
    assert.match(res.body, /charthouse_process_cpu_seconds_total/);
  });

  it('serves an OpenAPI document generated from the route schemas, and its browser at /api/docs', async () => {
    const doc = await server.api<{
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    }>('GET', '/api/docs/json', { token: null });
    assert.equal(doc.status, 200);
    assert.match(doc.body.openapi, /^3\./);
    const create = doc.body.paths['/api/v1/tenants/{t}/registries/helm']?.post;
    assert.ok(create?.requestBody, 'registry create documents its body');
    assert.ok(doc.body.paths['/api/v1/system/registries/helm/{name}']?.patch);
    // Cluster profiles, every SPEC §3 path.
    const profiles = '/api/v1/tenants/{t}/profiles';
    for (const [path, methods] of [
      [profiles, ['get', 'post']],
      [`${profiles}/{name}`, ['get', 'delete']],
      [`${profiles}/{name}/versions`, ['post']],
      [`${profiles}/{name}/versions/{version}`, ['get', 'put', 'delete']],
      [`${profiles}/{name}/versions/{version}/publish`, ['post']],
      [`${profiles}/{name}/diff`, ['get']],
      [`${profiles}/{name}/resolve`, ['get']],
      // Clusters and the agent's side.
      ['/api/v1/tenants/{t}/clusters', ['get', 'post']],
      ['/api/v1/tenants/{t}/clusters/{name}', ['get', 'patch', 'delete']],
      ['/api/v1/tenants/{t}/clusters/{name}/agent-token', ['post']],
      ['/api/v1/agent/plan', ['get']],
      ['/api/v1/agent/reports', ['post']],
      ['/api/v1/agent/heartbeat', ['post']],
      ['/api/v1/agent/charts/{profile}/{layer}', ['get']],
      // Brownfield discovery.
      ['/api/v1/tenants/{t}/clusters/{name}/discover', ['post']],
      ['/api/v1/tenants/{t}/clusters/{name}/discoveries', ['get']],
      ['/api/v1/tenants/{t}/clusters/{name}/releases', ['get']],
      ['/api/v1/tenants/{t}/clusters/{name}/releases/sync', ['post']],
      [`${profiles}/from-cluster`, ['post']],
      ['/api/v1/agent/releases', ['post']],
    ] as const) {
      for (const m of methods) assert.ok(doc.body.paths[path]?.[m], `${m} ${path} is documented`);
    }
    assert.ok(doc.body.paths[`${profiles}/{name}/versions/{version}`]?.put?.requestBody);
    const ui = await fetch(`${server.url}/api/docs`, { redirect: 'follow' });
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
  });

  it('answers unknown paths with the JSON error shape', async () => {
    const res = await server.api<{ error: { code: string } }>('GET', '/api/v1/nope', { token: null });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });
});
