import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createTgz, packageChartDir, type PackagedChart, type TarEntry } from '../support/chart-archive.js';
import { startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import { sendBody, startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { pushHelmChart } from '../support/oci-push.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';

type Files = { status: 'available' } | { status: 'unavailable'; code: string; reason: string };
type Detail = {
  name: string;
  version: string;
  digest: string | null;
  valuesYaml?: string | null;
  readme?: string | null;
  valuesSchema?: string | null;
  files?: Files;
};

const CORPUS = new URL('../../../shared/corpus/charts/', import.meta.url);
const USER = { username: 'robot', password: 'oci-Pa55word' };
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A minimal chart archive with extra (possibly hostile) entries. */
function hostile(name: string, ...extra: TarEntry[]): Buffer {
  return createTgz([
    { path: `${name}/Chart.yaml`, content: `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n` },
    { path: `${name}/values.yaml`, content: 'a: 1\n' },
    ...extra,
  ]);
}

interface Served {
  name: string;
  version: string;
  /** Served at /repo/<name>-<version>.tgz; absent: the URL answers 404. */
  tgz?: Buffer;
  /** The digest the index claims; defaults to the served bytes' sha256. */
  digest?: string;
}

function indexYaml(charts: Served[]): string {
  const lines = ['apiVersion: v1', 'entries:'];
  for (const c of charts) {
    const digest = c.digest ?? sha256(c.tgz ?? Buffer.alloc(0));
    lines.push(
      `  ${c.name}:`,
      `  - apiVersion: v2`,
      `    name: ${c.name}`,
      `    version: ${c.version}`,
      `    digest: ${digest}`,
      `    urls: [${c.name}-${c.version}.tgz]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe(`chart files from archives (${TEST_DB})`, () => {
  let server: TestServer;
  let fixture: FixtureServer;
  let registry: DockerRegistry;
  let tenant: { adminToken: string; memberToken: string };
  let memcached: PackagedChart;
  let prometheus: PackagedChart;
  const base = '/api/v1/tenants/files/registries/helm';

  before(async () => {
    [server, registry, memcached, prometheus] = await Promise.all([
      startTestServer(),
      startDockerRegistry({ users: { [USER.username]: USER.password } }),
      packageChartDir(new URL('memcached', CORPUS).pathname),
      packageChartDir(new URL('prometheus', CORPUS).pathname),
    ]);
    const many = Array.from({ length: 1001 }, (_, i) => ({ path: `many/f${i}`, content: '' }));
    const charts: Served[] = [
      { name: memcached.name, version: memcached.version, tgz: memcached.tgz },
      { name: prometheus.name, version: prometheus.version, tgz: prometheus.tgz },
      // The index names other content than the server sends.
      { name: 'liar', version: '1.0.0', tgz: hostile('liar'), digest: sha256(Buffer.from('other bytes')) },
      {
        name: 'linky',
        version: '1.0.0',
        tgz: hostile('linky', { path: 'linky/secret', type: 'symlink', linkname: '/etc/passwd' }),
      },
      {
        name: 'climber',
        version: '1.0.0',
        tgz: hostile('climber', { path: 'climber/../../x', content: 'x' }),
      },
      { name: 'many', version: '1.0.0', tgz: hostile('many', ...many) },
      { name: 'gone', version: '1.0.0', digest: sha256(Buffer.from('gone')) },
    ];
    const routes: Record<string, ReturnType<typeof sendBody>> = {
      '/repo/index.yaml': sendBody(indexYaml(charts), { headers: { 'content-type': 'text/yaml' } }),
    };
    for (const c of charts) {
      if (c.tgz) routes[`/repo/${c.name}-${c.version}.tgz`] = sendBody(c.tgz);
    }
    fixture = await startFixtureServer(routes);
    tenant = await createTenant(server, 'files');
    const added = await server.api('POST', base, {
      token: tenant.adminToken,
      body: { name: 'classic', endpoint: `${fixture.url}/repo` },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const run = await syncNow('classic');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.added, charts.length, JSON.stringify(run));
  });
  after(async () => {
    await Promise.all([server.close(), fixture.close(), registry.stop()]);
  });

  const syncNow = (name: string) => syncAndWait(server, `${base}/${name}`, tenant.adminToken);

  async function detail(registryName: string, chart: string, version: string): Promise<Detail> {
    const res = await server.api<Detail>(
      'GET',
      `${base}/${registryName}/charts/${chart}/versions/${encodeURIComponent(version)}`,
      { token: tenant.memberToken },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }
  const archiveGets = (name: string): number =>
    fixture.requests.filter((r) => r.url.startsWith(`/repo/${name}-`)).length;

  it('answers values.yaml and README.md from the archive, and fetches it only once', async () => {
    const first = await detail('classic', memcached.name, memcached.version);
    assert.deepEqual(first.files, { status: 'available' });
    const dir = new URL('memcached/', CORPUS);
    assert.equal(first.valuesYaml, readFileSync(new URL('values.yaml', dir), 'utf8'));
    assert.equal(first.readme, readFileSync(new URL('README.md', dir), 'utf8'));
    assert.equal(first.valuesSchema, null);
    assert.equal(archiveGets('memcached'), 1);

    const second = await detail('classic', memcached.name, memcached.version);
    assert.deepEqual(second, first);
    assert.equal(archiveGets('memcached'), 1, 'the second request is answered from the cache');
    const cached = await server.app.storage.db
      .selectFrom('chart_files')
      .select('digest')
      .where('digest', '=', sha256(memcached.tgz))
      .executeTakeFirst();
    assert.ok(cached, 'cached by the archive digest');
  });

  it('fetches once for concurrent first requests, values.schema.json included', async () => {
    const all = await Promise.all(
      Array.from({ length: 5 }, () => detail('classic', prometheus.name, prometheus.version)),
    );
    assert.equal(archiveGets('prometheus'), 1);
    const schema = readFileSync(new URL('prometheus/values.schema.json', CORPUS), 'utf8');
    for (const d of all) {
      assert.deepEqual(d.files, { status: 'available' });
      assert.equal(d.valuesSchema, schema);
    }
  });

  it('does not serve an archive whose digest differs from the catalog', async () => {
    const d = await detail('classic', 'liar', '1.0.0');
    assert.equal(d.files?.status, 'unavailable');
    assert.equal(d.files?.status === 'unavailable' && d.files.code, 'digest_mismatch');
    assert.equal(d.valuesYaml, null);
    assert.equal(d.name, 'liar', 'the metadata is still answered');
    const rows = await server.app.storage.db.selectFrom('chart_files').select('digest').execute();
    assert.ok(!rows.some((r) => r.digest === sha256(hostile('liar'))), 'nothing cached');
  });

  it('refuses hostile archives with a clear reason', async () => {
    const cases: [string, RegExp][] = [
      ['linky', /"linky\/secret" is a symlink/],
      ['climber', /contains "\.\."/],
      ['many', /more than 1000 entries/],
    ];
    for (const [name, reason] of cases) {
      const d = await detail('classic', name, '1.0.0');
      assert.equal(d.files?.status, 'unavailable', name);
      if (d.files?.status !== 'unavailable') continue;
      assert.equal(d.files.code, 'invalid_chart_archive', name);
      assert.match(d.files.reason, reason);
      assert.equal(d.valuesYaml, null);
    }
  });

  it('answers the metadata when the archive cannot be fetched, and does not retry at once', async () => {
    const d = await detail('classic', 'gone', '1.0.0');
    assert.equal(d.files?.status === 'unavailable' && d.files.code, 'upstream_not_found');
    const before = archiveGets('gone');
    await detail('classic', 'gone', '1.0.0');
    assert.equal(archiveGets('gone'), before, 'a failure is remembered for a while');
  });

  it('reads the chart layer blob of an OCI registry', async () => {
    await pushHelmChart({
      registryUrl: registry.url,
      auth: USER,
      repository: `charts/${memcached.name}`,
      chartTgz: memcached.tgz,
      chartJson: memcached.metadata,
    });
    const added = await server.api('POST', base, {
      token: tenant.adminToken,
      body: {
        name: 'oci',
        endpoint: `oci://${registry.host}`,
        plainHttp: true,
        auth: { type: 'basic', ...USER },
      },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const run = await syncNow('oci');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    const d = await detail('oci', memcached.name, memcached.version);
    assert.deepEqual(d.files, { status: 'available' });
    assert.equal(d.digest, sha256(memcached.tgz));
    assert.equal(d.valuesYaml, readFileSync(new URL('memcached/values.yaml', CORPUS), 'utf8'));
    assert.ok(d.readme?.includes('memcached'));
  });
});
