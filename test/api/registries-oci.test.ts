import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { packageChartDir } from '../support/chart-archive.js';
import { startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import { sendBody, startFixtureServer } from '../support/fixture-servers.js';
import { pushHelmChart } from '../support/oci-push.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

type Err = { error: { code: string; message: string } };
type Registry = {
  name: string;
  kind: string;
  endpoint: string;
  syncStatus: string;
  warnings?: string[];
  ociRepositories: string[];
};

const CHART_DIR = new URL('../../../shared/corpus/charts/memcached', import.meta.url).pathname;
const USER = { username: 'robot', password: 'oci-Pa55word' };

/** OCI registries validated against Debian's docker-registry (distribution 2.8) with htpasswd auth. */
describe(`registries: OCI validation against docker-registry (${TEST_DB})`, () => {
  let server: TestServer;
  let tenant: { adminToken: string };
  let registry: DockerRegistry;
  let empty: DockerRegistry;
  const base = '/api/v1/tenants/oci/registries/helm';

  before(async () => {
    [server, registry, empty] = await Promise.all([
      startTestServer(),
      startDockerRegistry({ users: { [USER.username]: USER.password } }),
      startDockerRegistry(),
    ]);
    tenant = await createTenant(server, 'oci');
    const chart = await packageChartDir(CHART_DIR);
    await pushHelmChart({
      registryUrl: registry.url,
      repository: `charts/${chart.name}`,
      chartTgz: chart.tgz,
      chartJson: chart.metadata,
      auth: USER,
    });
  });
  after(async () => {
    await Promise.all([server.close(), registry.stop(), empty.stop()]);
  });

  // docker-registry listens on plain http here, so every registry says plainHttp (Helm's --plain-http).
  const add = (body: Record<string, unknown>) =>
    server.api<Registry & Err>('POST', base, {
      token: tenant.adminToken,
      body: { plainHttp: true, ...body },
    });
  const basic = { type: 'basic', ...USER };

  it('validates an OCI registry through the Basic challenge and the catalog', async () => {
    const res = await add({ name: 'dist', endpoint: `oci://${registry.host}`, auth: basic });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'oci');
    assert.equal(res.body.endpoint, `oci://${registry.host}`);
    assert.deepEqual(res.body.warnings?.length, 1);
    assert.match(res.body.warnings?.[0] ?? '', /plain HTTP/);
  });

  it('speaks https to oci:// unless told plainHttp, and says why it failed', async () => {
    const res = await add({
      name: 'dist-tls',
      endpoint: `oci://${registry.host}`,
      auth: basic,
      plainHttp: false,
    });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'upstream_tls');
  });

  it('validates an endpoint with a path, and listed repositories relative to it', async () => {
    const withPath = await add({
      name: 'dist-charts',
      endpoint: `oci://${registry.host}/charts`,
      auth: basic,
    });
    assert.equal(withPath.status, 201, JSON.stringify(withPath.body));
    const listed = await add({
      name: 'dist-listed',
      endpoint: `oci://${registry.host}/charts`,
      auth: basic,
      ociRepositories: ['memcached'],
    });
    assert.equal(listed.status, 201, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.ociRepositories, ['memcached']);
  });

  it('refuses a wrong password, a missing one, and a listed repository that does not exist', async () => {
    const wrong = await add({
      name: 'bad-1',
      endpoint: `oci://${registry.host}`,
      auth: { ...basic, password: 'nope-nope' },
    });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.code, 'upstream_unauthorized');
    assert.ok(!wrong.body.error.message.includes('nope-nope'));
    const none = await add({ name: 'bad-2', endpoint: `oci://${registry.host}` });
    assert.equal(none.status, 422);
    assert.equal(none.body.error.code, 'upstream_unauthorized');
    assert.match(none.body.error.message, /username and password|credentials/i);
    const missing = await add({
      name: 'bad-3',
      endpoint: `oci://${registry.host}/charts`,
      auth: basic,
      ociRepositories: ['nothere'],
    });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.error.code, 'upstream_not_found');
    assert.match(missing.body.error.message, /charts\/nothere/);
    const names = (
      await server.api<{ items: Registry[] }>('GET', base, { token: tenant.adminToken })
    ).body.items.map((r) => r.name);
    assert.ok(!names.some((n) => n.startsWith('bad-')));
  });

  it('accepts an empty registry with a warning', async () => {
    const res = await add({ name: 'empty', endpoint: `oci://${empty.host}` });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.warnings?.length, 1);
    assert.match(res.body.warnings?.[0] ?? '', /no chart repositories/);
  });

  it('says a plain web server is not an OCI registry', async () => {
    // Charthouse itself serves /v2/ now (its hosted registry), so the plain server is a fixture.
    const web = await startFixtureServer({ '/': sendBody('<html>hello</html>') });
    try {
      const res = await add({ name: 'not-oci', endpoint: `oci://${web.url.replace('http://', '')}` });
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, 'not_an_oci_registry');
    } finally {
      await web.close();
    }
  });

  it('never logs the OCI password', () => {
    assert.ok(!server.logLines.join('\n').includes(USER.password));
  });
});
