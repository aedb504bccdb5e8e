import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTgz, packageChartDir, type PackagedChart } from '../support/chart-archive.js';
import { startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { OciClient, pushHelmChart, pushNonHelmArtifact } from '../support/oci-push.js';
import { createTenant, startTestServer, TEST_DB, type TestServer, syncAndWait } from '../support/server.js';

type Err = { error: { code: string; message: string } };

const CORPUS = new URL('../../../shared/corpus/charts/', import.meta.url);
const USER = { username: 'robot', password: 'oci-Pa55word' };
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * A recording reverse proxy in front of docker-registry (which keeps no request log of its own), so the
 * test can count what Charthouse asked for. Host and paths pass through untouched.
 */
function proxyTo(target: URL) {
  return (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res).on('finish', resolve);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
        resolve();
      });
      req.pipe(upstream);
    });
}

/** A tiny chart whose version carries build metadata (tag `1.0.0_build.1`). */
function tinyChart(): { tgz: Buffer; metadata: Record<string, unknown> } {
  const metadata = {
    apiVersion: 'v2',
    name: 'tiny',
    version: '1.0.0+build.1',
    appVersion: '7.1',
    description: 'A <b>tiny</b> chart & friends',
    type: 'application',
  };
  const chartYaml = Object.entries(metadata)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join('\n');
  return { tgz: createTgz([{ path: 'tiny/Chart.yaml', content: `${chartYaml}\n` }]), metadata };
}

describe(`sync of OCI registries against docker-registry (${TEST_DB})`, () => {
  let server: TestServer;
  let registry: DockerRegistry;
  let proxy: FixtureServer;
  let tenant: { adminToken: string; memberToken: string };
  let memcached: PackagedChart;
  let pushgateway: PackagedChart;
  const tiny = tinyChart();
  let tinyDigest: string;
  const base = '/api/v1/tenants/ocisync/registries/helm';

  before(async () => {
    [server, registry] = await Promise.all([
      startTestServer(),
      startDockerRegistry({ users: { [USER.username]: USER.password } }),
    ]);
    proxy = await startFixtureServer(proxyTo(new URL(registry.url)));
    tenant = await createTenant(server, 'ocisync');
    [memcached, pushgateway] = await Promise.all([
      packageChartDir(new URL('memcached', CORPUS).pathname),
      packageChartDir(new URL('prometheus-pushgateway', CORPUS).pathname),
    ]);
    // Pushed straight to the registry: the proxy only sees Charthouse.
    const push = { registryUrl: registry.url, auth: USER };
    await pushHelmChart({
      ...push,
      repository: `charts/${memcached.name}`,
      chartTgz: memcached.tgz,
      chartJson: memcached.metadata,
    });
    await pushHelmChart({
      ...push,
      repository: `charts/${pushgateway.name}`,
      chartTgz: pushgateway.tgz,
      chartJson: pushgateway.metadata,
      manifestFlow: 'by-tag',
    });
    tinyDigest = await pushHelmChart({
      ...push,
      repository: 'charts/tiny',
      chartTgz: tiny.tgz,
      chartJson: tiny.metadata,
    });
    // Not charts: a container image under a version-like tag beside a chart, and one tagged latest.
    await pushNonHelmArtifact({ ...push, repository: `charts/${memcached.name}`, tag: '9.9.9' });
    await pushNonHelmArtifact({ ...push, repository: 'apps/web', tag: 'latest', format: 'docker' });
  });
  after(async () => {
    await Promise.all([server.close(), registry.stop(), proxy.close()]);
  });

  const endpoint = (): string => `oci://127.0.0.1:${proxy.port}`;
  const add = (body: Record<string, unknown>) =>
    server.api<Err>('POST', base, {
      token: tenant.adminToken,
      body: { plainHttp: true, endpoint: endpoint(), auth: { type: 'basic', ...USER }, ...body },
    });

  const syncNow = (name: string) => syncAndWait(server, `${base}/${name}`, tenant.adminToken);

  async function versions(name: string) {
    const reg = await server.app.storage.db
      .selectFrom('helm_registries')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return server.app.storage.db
      .selectFrom('chart_versions')
      .selectAll()
      .where('registry_id', '=', reg.id)
      .orderBy('chart_name')
      .orderBy('version')
      .execute();
  }

  /** Requests the proxy saw from `from` on, as "METHOD path". */
  const seen = (from: number): string[] =>
    proxy.requests.slice(from).map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname}`);
  const manifestGets = (from: number): string[] =>
    seen(from).filter((r) => r.startsWith('GET ') && r.includes('/manifests/'));

  it('synchronizes Helm charts through the catalog and Basic auth, skipping other artifacts', async () => {
    const added = await add({ name: 'dist' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const run = await syncNow('dist');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.added, 3, JSON.stringify(run));

    const rows = await versions('dist');
    assert.deepEqual(
      rows.map((r) => `${r.chart_name}@${r.version}`),
      [
        `${memcached.name}@${memcached.version}`,
        `${pushgateway.name}@${pushgateway.version}`,
        'tiny@1.0.0+build.1',
      ],
    );
    const mc = rows.find((r) => r.chart_name === memcached.name);
    assert.ok(mc);
    assert.equal(mc.digest, sha256(memcached.tgz));
    assert.equal(mc.app_version, memcached.metadata['appVersion']);
    assert.equal(mc.description, memcached.metadata['description']);
    assert.equal(mc.chart_url, `${endpoint()}/charts/${memcached.name}`);
    assert.equal(mc.urls, '[]');
    assert.ok(mc.created, 'created comes from the manifest annotation');
    const keywords = memcached.metadata['keywords'];
    assert.deepEqual(JSON.parse(mc.keywords), Array.isArray(keywords) ? keywords : []);

    const small = rows.find((r) => r.chart_name === 'tiny');
    assert.ok(small);
    assert.equal(small.version, '1.0.0+build.1');
    assert.equal(small.app_version, '7.1');
    assert.equal(small.description, 'A <b>tiny</b> chart & friends');
    assert.equal(small.type, 'application');
    assert.equal(small.api_version, 'v2');
    assert.equal(small.digest, sha256(tiny.tgz));
    assert.equal(JSON.parse(small.annotations)['charthouse.io/manifest-digest'], tinyDigest);

    const messages = run.warnings.map((w) => w.message);
    assert.ok(
      messages.some((m) => m.startsWith(`charts/${memcached.name}:9.9.9 was skipped: its config type is`)),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('apps/web:latest was skipped: the tag is not a SemVer')),
      messages.join('\n'),
    );

    const reg = await server.api<{ syncStatus: string; lastSyncedAt: string | null; versionCount: number }>(
      'GET',
      `${base}/dist`,
      { token: tenant.memberToken },
    );
    assert.equal(reg.body.syncStatus, 'synced');
    assert.ok(reg.body.lastSyncedAt);
    assert.equal(reg.body.versionCount, 3);
  });

  it('fetches no manifest and writes nothing when nothing changed', async () => {
    const before = (await versions('dist')).map((r) => [r.id, r.updated_at]);
    const from = proxy.requests.length;
    const run = await syncNow('dist');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual([run.added, run.updated, run.removed, run.unchanged], [0, 0, 0, 3]);
    // One HEAD per version-like tag (three charts and the image skipped before), nothing else.
    assert.deepEqual(manifestGets(from), []);
    assert.ok(!seen(from).some((r) => r.includes('/blobs/')), seen(from).join('\n'));
    assert.equal(seen(from).filter((r) => r.startsWith('HEAD ')).length, 4);
    // The skipped image is still reported.
    assert.ok(run.warnings.some((w) => w.message.startsWith(`charts/${memcached.name}:9.9.9 was skipped`)));
    assert.deepEqual(
      (await versions('dist')).map((r) => [r.id, r.updated_at]),
      before,
    );
  });

  it('adds exactly the one new tag, fetching only its manifest', async () => {
    await pushHelmChart({
      registryUrl: registry.url,
      auth: USER,
      repository: `charts/${memcached.name}`,
      chartTgz: memcached.tgz,
      chartJson: { ...memcached.metadata, version: '99.0.0' },
    });
    const from = proxy.requests.length;
    const run = await syncNow('dist');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual([run.added, run.updated, run.removed, run.unchanged], [1, 0, 0, 3]);
    assert.deepEqual(manifestGets(from), [`GET /v2/charts/${memcached.name}/manifests/99.0.0`]);
    assert.ok((await versions('dist')).some((r) => r.version === '99.0.0'));
  });

  it('removes a deleted tag', async () => {
    const client = new OciClient(registry.url, USER);
    const deleted = await client.request('DELETE', `/v2/charts/tiny/manifests/${tinyDigest}`);
    assert.equal(deleted.status, 202);
    const run = await syncNow('dist');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual([run.added, run.updated, run.removed], [0, 0, 1]);
    assert.ok(!(await versions('dist')).some((r) => r.chart_name === 'tiny'));
  });

  it('syncs the listed ociRepositories without the catalog', async () => {
    const from = proxy.requests.length;
    const added = await add({ name: 'listed', ociRepositories: [`charts/${pushgateway.name}`] });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const run = await syncNow('listed');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.added, 1);
    assert.deepEqual(
      (await versions('listed')).map((r) => `${r.chart_name}@${r.version}`),
      [`${pushgateway.name}@${pushgateway.version}`],
    );
    assert.ok(!seen(from).some((r) => r.includes('_catalog')), seen(from).join('\n'));
  });

  it('fails clearly with wrong credentials and keeps the catalog', async () => {
    const rows = (await versions('listed')).length;
    await server.app.storage.db
      .updateTable('helm_registries')
      .set({ username: 'nobody' })
      .where('name', '=', 'listed')
      .execute();
    const run = await syncNow('listed');
    assert.equal(run.status, 'failed', JSON.stringify(run));
    assert.match(run.error ?? '', /401|credentials/);
    assert.equal((await versions('listed')).length, rows);
  });
});
