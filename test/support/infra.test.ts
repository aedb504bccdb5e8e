import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { Client } from 'pg';
import { SERVE_NODE_ARGS } from './cluster/built-process.js';
import { createTgz, packageChartDir, parseChartYaml, type PackagedChart } from './chart-archive.js';
import { startDockerRegistry, type DockerRegistry } from './docker-registry.js';
import { freePort } from './free-port.js';
import {
  buildHelmArtifact,
  MEDIA_TYPES,
  OciClient,
  pushHelmChart,
  pushNonHelmArtifact,
  sha256Digest,
} from './oci-push.js';
import { createTestDatabase } from './postgres.js';

const execFileAsync = promisify(execFile);
const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const USER = { username: 'alice', password: 'wonder land:1' };

function basic(auth: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

/** Lists a .tgz with GNU tar, the independent reader that proves the archive is well formed. */
function tarList(tgz: Buffer): string[] {
  return execFileSync('tar', ['-tzf', '-'], { input: tgz }).toString('utf8').split('\n').filter(Boolean);
}

function tarRead(tgz: Buffer, path: string): Buffer {
  return execFileSync('tar', ['-xzOf', '-', path], { input: tgz });
}

describe('chart archives', () => {
  it('packages a corpus chart like helm package, reproducibly', async () => {
    const dir = join(CORPUS, 'charts/memcached');
    const chart = await packageChartDir(dir);
    assert.equal(chart.fileName, 'memcached-8.0.0.tgz');
    assert.deepEqual(chart.tgz.subarray(0, 3), Buffer.from([0x1f, 0x8b, 0x08]));
    const entries = tarList(chart.tgz);
    assert.deepEqual(entries, chart.entries);
    assert.deepEqual(entries.slice(0, 3), [
      'memcached/Chart.yaml',
      'memcached/Chart.lock',
      'memcached/values.yaml',
    ]);
    assert.ok(entries.every((e) => e.startsWith('memcached/')));
    assert.ok(entries.includes('memcached/templates/deployment.yaml'));
    assert.ok(!entries.includes('memcached/CHANGELOG.md'), '.helmignore lists CHANGELOG.md');
    const packagedYaml = parseChartYaml(tarRead(chart.tgz, 'memcached/Chart.yaml'));
    assert.equal(packagedYaml['name'], 'memcached');
    assert.equal(packagedYaml['version'], '8.0.0');
    assert.equal(chart.metadata['appVersion'], '1.6.39');
    assert.deepEqual(tarRead(chart.tgz, 'memcached/values.yaml'), await readFile(join(dir, 'values.yaml')));
    const again = await packageChartDir(dir);
    assert.ok(again.tgz.equals(chart.tgz), 'packaging twice gives the same bytes');
  });

  it('keeps numeric-looking versions as text, as helm does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'charthouse-chart-'));
    try {
      await writeFile(
        join(dir, 'Chart.yaml'),
        'apiVersion: v2\nname: tiny\nversion: 1.10.0\nappVersion: 1.10\n',
      );
      await mkdir(join(dir, 'templates'));
      await writeFile(join(dir, 'templates/.hidden'), 'ignored by helm');
      await writeFile(join(dir, 'templates/cm.yaml'), 'kind: ConfigMap\n');
      const chart = await packageChartDir(dir);
      assert.equal(chart.metadata['appVersion'], '1.10');
      assert.deepEqual(tarList(chart.tgz), ['tiny/Chart.yaml', 'tiny/templates/cm.yaml']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes long and non-ASCII paths that GNU tar reads back', () => {
    const prefixed = `chart/${'d'.repeat(90)}/${'f'.repeat(60)}.yaml`; // > 100: USTAR prefix
    const pax = `chart/${'x'.repeat(120)}.yaml`; // file name > 100: PAX
    const unicode = 'chart/templates/ünïcødé.yaml'; // non-ASCII: PAX
    const tgz = createTgz([
      { path: prefixed, content: 'a' },
      { path: pax, content: 'b' },
      { path: unicode, content: 'c' },
      { path: 'chart/link', type: 'symlink', linkname: '../../etc/passwd' },
    ]);
    assert.deepEqual(tarList(tgz), [prefixed, pax, unicode, 'chart/link']);
    assert.equal(tarRead(tgz, pax).toString(), 'b');
  });
});

describe('OCI artifacts', () => {
  it('builds byte-for-byte the manifest helm push makes for the corpus signtest chart', async () => {
    // Expected value: research/protocols.md b.3, computed with helm from the same files.
    const tgz = await readFile(join(CORPUS, 'provenance/signtest-0.1.0.tgz'));
    const prov = await readFile(join(CORPUS, 'provenance/signtest-0.1.0.tgz.prov'));
    const chartJson = parseChartYaml(tarRead(tgz, 'signtest/Chart.yaml'));
    const artifact = buildHelmArtifact({
      chartTgz: tgz,
      chartJson,
      provenance: prov,
      created: '2019-04-01T21:48:31Z',
    });
    assert.equal(
      artifact.config.toString(),
      '{"name":"signtest","version":"0.1.0","description":"A Helm chart for Kubernetes","apiVersion":"v1"}',
    );
    assert.equal(
      artifact.manifest.toString(),
      '{"schemaVersion":2,' +
        '"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:8d17cb6bf6ccd8c29aace9a658495cbd5e2e87fc267876e86117c7db681c9580","size":99},' +
        '"layers":[' +
        '{"mediaType":"application/vnd.cncf.helm.chart.provenance.v1.prov","digest":"sha256:b0a02b7412f78ae93324d48df8fcc316d8482e5ad7827b5b238657a29a22f256","size":695},' +
        '{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"sha256:e5ef611620fb97704d8751c16bab17fedb68883bfb0edc76f78a70e9173f9b55","size":973}],' +
        '"annotations":{"org.opencontainers.image.created":"2019-04-01T21:48:31Z",' +
        '"org.opencontainers.image.description":"A Helm chart for Kubernetes",' +
        '"org.opencontainers.image.title":"signtest","org.opencontainers.image.version":"0.1.0"}}',
    );
    assert.equal(artifact.digest, sha256Digest(artifact.manifest));
  });
});

describe('docker-registry with htpasswd, oci-push and skopeo', () => {
  let registry: DockerRegistry;
  let chart: PackagedChart;
  let pushedDigest: string;

  before(async () => {
    registry = await startDockerRegistry({ users: { [USER.username]: USER.password } });
    chart = await packageChartDir(join(CORPUS, 'charts/memcached'));
  });
  after(async () => {
    await registry?.stop();
  });

  it('asks for Basic auth', async () => {
    assert.match(registry.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const anonymous = await fetch(`${registry.url}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    const wrong = await fetch(`${registry.url}/v2/`, {
      headers: { authorization: basic({ ...USER, password: 'x' }) },
    });
    assert.equal(wrong.status, 401);
    const ok = await fetch(`${registry.url}/v2/`, { headers: { authorization: basic(USER) } });
    assert.equal(ok.status, 200);
  });

  it('takes a chart pushed as helm push does, and serves it back', async () => {
    pushedDigest = await pushHelmChart({
      registryUrl: registry.url,
      repository: 'charts/memcached',
      chartTgz: chart.tgz,
      chartJson: chart.metadata,
      auth: USER,
    });
    const headers = { authorization: basic(USER) };
    const tags = await fetch(`${registry.url}/v2/charts/memcached/tags/list`, { headers });
    assert.equal(tags.status, 200);
    assert.deepEqual(await tags.json(), { name: 'charts/memcached', tags: ['8.0.0'] });

    const res = await fetch(`${registry.url}/v2/charts/memcached/manifests/8.0.0`, {
      headers: { ...headers, accept: MEDIA_TYPES.ociManifest },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), MEDIA_TYPES.ociManifest);
    assert.equal(res.headers.get('docker-content-digest'), pushedDigest);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256Digest(bytes), pushedDigest);
    const manifest = JSON.parse(bytes.toString()) as {
      mediaType?: string;
      config: { mediaType: string; digest: string };
      layers: { mediaType: string; digest: string; size: number }[];
      annotations: Record<string, string>;
    };
    assert.equal(manifest.mediaType, undefined, 'helm writes no top-level mediaType');
    assert.equal(manifest.config.mediaType, MEDIA_TYPES.helmConfig);
    assert.deepEqual(manifest.layers, [
      { mediaType: MEDIA_TYPES.helmChart, digest: sha256Digest(chart.tgz), size: chart.tgz.length },
    ]);
    assert.equal(manifest.annotations['org.opencontainers.image.title'], 'memcached');
    assert.equal(manifest.annotations['org.opencontainers.image.version'], '8.0.0');
    assert.equal(
      manifest.annotations['org.opencontainers.image.source'],
      'https://github.com/bitnami/charts/tree/main/bitnami/memcached',
    );
    assert.equal(manifest.annotations['licenses'], 'Apache-2.0', 'Chart.yaml annotations are copied');

    const client = new OciClient(registry.url, USER);
    const config = JSON.parse(
      (await client.getBlob('charts/memcached', manifest.config.digest)).toString(),
    ) as Record<string, unknown>;
    assert.equal(config['name'], 'memcached');
    assert.deepEqual(
      Object.keys(config).slice(0, 4),
      ['name', 'home', 'sources', 'version'],
      'Go struct order',
    );
    assert.ok((await client.getBlob('charts/memcached', sha256Digest(chart.tgz))).equals(chart.tgz));
  });

  it('serves the same manifest to skopeo', async () => {
    assert.ok(pushedDigest, 'the push test ran first');
    const { stdout } = await execFileAsync('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      `${USER.username}:${USER.password}`,
      `docker://${registry.host}/charts/memcached:8.0.0`,
    ]);
    assert.equal(sha256Digest(Buffer.from(stdout)), pushedDigest);
    assert.equal(
      (JSON.parse(stdout) as { config: { mediaType: string } }).config.mediaType,
      MEDIA_TYPES.helmConfig,
    );
  });

  it('maps + to _ in tags and supports the Helm 3.8-3.17 push by tag', async () => {
    const tgz = createTgz([
      { path: 'tiny/Chart.yaml', content: 'apiVersion: v2\nname: tiny\nversion: 1.0.0+build.1\n' },
    ]);
    const chartJson = yaml.load('apiVersion: v2\nname: tiny\nversion: 1.0.0+build.1\n') as Record<
      string,
      unknown
    >;
    await pushHelmChart({
      registryUrl: registry.url,
      repository: 'team/tiny',
      chartTgz: tgz,
      chartJson,
      auth: USER,
      manifestFlow: 'by-tag',
    });
    assert.deepEqual(await new OciClient(registry.url, USER).listTags('team/tiny'), ['1.0.0_build.1']);
  });

  it('pushes non-Helm artifacts that a Helm sync must skip', async () => {
    const client = new OciClient(registry.url, USER);
    const image = await pushNonHelmArtifact({
      registryUrl: registry.url,
      repository: 'charts/nginx',
      tag: '1.0.0',
      auth: USER,
    });
    const got = await client.getManifest('charts/nginx', '1.0.0');
    assert.equal(got.digest, image);
    assert.equal(got.mediaType, MEDIA_TYPES.ociManifest);
    assert.equal(
      (JSON.parse(got.bytes.toString()) as { config: { mediaType: string } }).config.mediaType,
      MEDIA_TYPES.ociImageConfig,
    );

    await pushNonHelmArtifact({
      registryUrl: registry.url,
      repository: 'charts/nginx',
      tag: 'docker',
      format: 'docker',
      auth: USER,
    });
    const docker = await client.getManifest('charts/nginx', 'docker');
    assert.equal(docker.mediaType, MEDIA_TYPES.dockerManifest);

    // storage.delete.enabled: tests can remove manifests to simulate upstream deletions.
    const deleted = await client.request('DELETE', `/v2/charts/nginx/manifests/${docker.digest}`);
    assert.equal(deleted.status, 202);
    assert.deepEqual(await client.listTags('charts/nginx'), ['1.0.0']);
  });

  it('refuses pushes without credentials', async () => {
    await assert.rejects(
      pushHelmChart({
        registryUrl: registry.url,
        repository: 'charts/memcached',
        chartTgz: chart.tgz,
        chartJson: chart.metadata,
      }),
      /HTTP 401/,
    );
  });
});

describe('free ports', () => {
  it('returns distinct usable ports', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    assert.ok(ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536));
  });
});

describe('test databases', () => {
  it('createTestDatabase explains a missing CHARTHOUSE_TEST_DATABASE_URL', async () => {
    const saved = process.env['CHARTHOUSE_TEST_DATABASE_URL'];
    delete process.env['CHARTHOUSE_TEST_DATABASE_URL'];
    try {
      await assert.rejects(createTestDatabase(), /CHARTHOUSE_TEST_DATABASE_URL is not set/);
    } finally {
      if (saved !== undefined) process.env['CHARTHOUSE_TEST_DATABASE_URL'] = saved;
    }
  });

  // Registered only in the PostgreSQL pass of the integration tests (CHARTHOUSE_TEST_DB=postgres), so
  // the SQLite pass does not report it as skipped.
  if (process.env['CHARTHOUSE_TEST_DB'] === 'postgres') {
    it('creates an isolated PostgreSQL database and drops it', async () => {
      const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
      const name = new URL(a.url).pathname.slice(1);
      assert.match(name, /^charthouse_t_[0-9a-f]{12}$/);
      assert.notEqual(a.url, b.url);
      const client = new Client({ connectionString: a.url });
      // drop() terminates this session; without a listener pg's 'error' event would crash the runner.
      client.on('error', () => undefined);
      await client.connect();
      try {
        const row = await client.query<{ db: string }>('SELECT current_database() AS db');
        assert.equal(row.rows[0]?.db, name);
        await client.query('CREATE TABLE t (id int)');
      } catch (err) {
        await client.end();
        throw err;
      }
      // drop() must work while a client is still connected (a test that forgot to close its pool).
      await a.drop();
      await a.drop();
      await b.drop();
      await client.end().catch(() => undefined);

      const admin = new Client({ connectionString: process.env['CHARTHOUSE_TEST_DATABASE_URL'] });
      await admin.connect();
      try {
        const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        assert.equal(left.rowCount, 0);
      } finally {
        await admin.end();
      }
    });
  }
});

describe('built servers', () => {
  it('start with the Node options of `npm start`', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts['start'], `node ${SERVE_NODE_ARGS.join(' ')} dist/cli/main.js serve`);
  });
});
