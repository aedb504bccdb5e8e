import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackupManifest } from '../../src/backup/backup-manifest.js';
import { backupSqlite } from '../../src/backup/sqlite-backup.js';
import { blobFilePath } from '../../src/blobs/fs-blob-store.js';
import { assertCliOk, runCli } from '../support/cli.js';
import {
  sendBody,
  startFixtureServer,
  withBasicAuth,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { MEDIA_TYPES, OciClient, pushHelmChart } from '../support/oci-push.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';

/*
 * `charthouse backup` / `charthouse restore` through the built CLI, against a populated installation:
 * hosted charts pushed over both protocols, a registry with a sealed password synced from a fixture
 * upstream, and a second tenant pushing charts while the backup runs. A server started on the
 * restore must serve the same bytes, index.yaml, catalog, and still open the sealed password.
 */

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The upstream's index: a few charts whose catalog rows the restore must give back (JSON is YAML). */
const UPSTREAM_INDEX = JSON.stringify({
  apiVersion: 'v1',
  generated: '2026-01-02T03:04:05Z',
  entries: Object.fromEntries(
    ['kong', 'ingress', 'mesh'].map((name) => [
      name,
      ['1.0.0', '1.2.0', '2.0.0-beta.1'].map((version) => ({
        apiVersion: 'v2',
        name,
        version,
        description: `${name} ${version} upstream`,
        created: '2026-01-02T03:04:05Z',
        digest: sha256(Buffer.from(`${name}-${version}`)),
        urls: [`${name}-${version}.tgz`],
      })),
    ]),
  ),
});
const UPSTREAM_PASSWORD = 'upstream-Backup-Pa55';

type Registry = { name: string; syncStatus: string; versionCount: number; lastError: string | null };
type ChartList = Record<string, { version: string; digest: string }[]>;

/** Everything a tenant's users see that a restore must give back unchanged. */
interface TenantView {
  index: string;
  archives: Record<string, string>;
  oci: Record<string, { manifest: string; layers: string[] }>;
  catalog: unknown;
  registries: unknown;
  chartDetail: unknown;
}

async function viewOf(server: TestServer, tenant: string, ociCharts: string[]): Promise<TenantView> {
  const auth = basic(`${tenant}-admin`);
  const indexRes = await fetch(`${server.url}/helm/${tenant}/index.yaml`, {
    headers: { authorization: auth },
  });
  assert.equal(indexRes.status, 200);
  // Chart URLs carry the request's origin; a restored server listens on another port.
  const index = (await indexRes.text()).replaceAll(server.url, 'ORIGIN');
  const list = await fetch(`${server.url}/helm/${tenant}/api/charts`, { headers: { authorization: auth } });
  const charts = (await list.json()) as ChartList;
  const archives: Record<string, string> = {};
  for (const [name, versions] of Object.entries(charts)) {
    for (const v of versions) {
      const res = await fetch(`${server.url}/helm/${tenant}/charts/${name}-${v.version}.tgz`, {
        headers: { authorization: auth },
      });
      assert.equal(res.status, 200, `${name}-${v.version}.tgz`);
      archives[`${name}-${v.version}`] = sha256(Buffer.from(await res.arrayBuffer()));
    }
  }
  const client = new OciClient(server.url, {
    username: `${tenant}-admin`,
    password: `${tenant}-admin-password`,
  });
  const oci: TenantView['oci'] = {};
  for (const ref of ociCharts) {
    const [name, tag] = ref.split(':') as [string, string];
    const manifest = await client.getManifest(`${tenant}/${name}`, tag, MEDIA_TYPES.ociManifest);
    const doc = JSON.parse(manifest.bytes.toString('utf8')) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    const layers: string[] = [];
    for (const d of [doc.config, ...doc.layers])
      layers.push(sha256(await client.getBlob(`${tenant}/${name}`, d.digest)));
    oci[ref] = { manifest: sha256(manifest.bytes), layers };
  }
  const token = await tokenOf(server, tenant);
  const catalog = (await server.api('GET', `/api/v1/tenants/${tenant}/charts?limit=500`, { token })).body;
  const registries = (await server.api('GET', `/api/v1/tenants/${tenant}/registries/helm`, { token })).body;
  const chartDetail = (
    await server.api('GET', `/api/v1/tenants/${tenant}/registries/helm/private/charts/kong`, { token })
  ).body;
  return { index, archives, oci, catalog, registries, chartDetail };
}

async function tokenOf(server: TestServer, tenant: string): Promise<string> {
  const login = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
    token: null,
    body: { username: `${tenant}-admin`, password: `${tenant}-admin-password` },
  });
  assert.equal(login.status, 200);
  return login.body.token;
}

/** The archives of `load` in tenant `busy`, by version: written while the backup ran. */
async function loadArchives(server: TestServer): Promise<Map<string, string>> {
  const auth = basic('busy-admin');
  const res = await fetch(`${server.url}/helm/busy/api/charts/load`, { headers: { authorization: auth } });
  const out = new Map<string, string>();
  if (res.status === 404) return out;
  for (const v of (await res.json()) as { version: string }[]) {
    const tgz = await fetch(`${server.url}/helm/busy/charts/load-${v.version}.tgz`, {
      headers: { authorization: auth },
    });
    assert.equal(tgz.status, 200, `load-${v.version}.tgz`);
    out.set(v.version, sha256(Buffer.from(await tgz.arrayBuffer())));
  }
  return out;
}

describe(`backup and restore (${TEST_DB})`, () => {
  let upstream: FixtureServer;
  let server: TestServer;
  let sourceDb: TestDatabase | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  let work: string;
  const ociCharts = ['api:0.1.0', 'api:0.2.0'];

  /** The server's own settings, as an operator runs the CLI beside it. */
  const envOf = (dataDir: string, db?: TestDatabase): Record<string, string> => ({
    CHARTHOUSE_DATA_DIR: dataDir,
    ...(db ? { CHARTHOUSE_DATABASE_URL: db.url } : {}),
  });
  const cli = (args: string[], env: Record<string, string>) =>
    runCli(path.join(work, 'cli.json'), args, { env });

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'charthouse-backup-'));
    upstream = await startFixtureServer({
      '/private/index.yaml': withBasicAuth('robot', UPSTREAM_PASSWORD, sendBody(UPSTREAM_INDEX)),
    });
    if (TEST_DB === 'postgres') sourceDb = await createTestDatabase();
    server = await startTestServer(sourceDb ? { CHARTHOUSE_DATABASE_URL: sourceDb.url } : {});
    const acme = await createTenant(server, 'acme');
    await createTenant(server, 'busy');
    for (const version of ['1.0.0', '1.1.0', '2.0.0-rc.1']) {
      const res = await uploadChart(server.url, 'acme', chartTgz('web', version), basic('acme-admin'));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    for (const ref of ociCharts) {
      const version = ref.split(':')[1]!;
      await pushHelmChart({
        registryUrl: server.url,
        repository: 'acme/api',
        chartTgz: chartTgz('api', version),
        chartJson: { apiVersion: 'v2', name: 'api', version },
        auth: { username: 'acme-admin', password: 'acme-admin-password' },
      });
    }
    const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: {
        name: 'private',
        endpoint: `${upstream.url}/private`,
        auth: { type: 'basic', username: 'robot', password: UPSTREAM_PASSWORD },
      },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const run = await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/private', acme.adminToken);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await server.close();
    await sourceDb?.drop();
    await upstream.close();
    await rm(work, { recursive: true, force: true });
  });

  it('backs up while charts are pushed, and a server on the restore serves the same charts, catalog and secrets', async () => {
    // A second tenant pushes new chart versions for the whole length of the backup.
    let pushing = true;
    let pushed = 0;
    let firstPush!: () => void;
    const firstPushed = new Promise<void>((resolve) => (firstPush = resolve));
    const pusher = (async () => {
      while (pushing) {
        const res = await uploadChart(
          server.url,
          'busy',
          chartTgz('load', `1.0.${pushed}`),
          basic('busy-admin'),
        );
        assert.equal(res.status, 201, JSON.stringify(res.body));
        pushed += 1;
        if (pushed === 1) firstPush();
      }
    })();
    await firstPushed;
    const pushedBefore = pushed;
    const out = path.join(work, 'backup');
    const backup = await cli(['backup', '--out', out, '--json'], envOf(server.dataDir, sourceDb)).finally(
      () => {
        pushing = false;
      },
    );
    await pusher;
    assertCliOk(backup, 'charthouse backup');
    const manifest = JSON.parse(backup.stdout) as BackupManifest;
    assert.equal(manifest.database, TEST_DB);
    assert.equal(manifest.secretKey.source, 'file');
    assert.ok(manifest.counts.hosted_charts! >= 5 + pushedBefore, JSON.stringify(manifest.counts));
    if (TEST_DB === 'sqlite') {
      // Every chart archive, OCI config and layer is a blob file of its own in the backup.
      assert.ok(manifest.blobs.length >= 3 + 4 + pushedBefore, `${manifest.blobs.length} blobs`);
    }
    const before = await viewOf(server, 'acme', ociCharts);
    const originalLoad = await loadArchives(server);

    // Into a fresh installation: a new data folder (and, on PostgreSQL, a new database).
    const restoreDir = path.join(work, 'restored');
    const restoreDb = TEST_DB === 'postgres' ? await createTestDatabase() : undefined;
    if (restoreDb) cleanups.push(() => restoreDb.drop());
    const restore = await cli(['restore', '--from', out], envOf(restoreDir, restoreDb));
    assertCliOk(restore, 'charthouse restore');

    const restored = await startTestServer({
      CHARTHOUSE_DATA_DIR: restoreDir,
      ...(restoreDb ? { CHARTHOUSE_DATABASE_URL: restoreDb.url } : {}),
    });
    cleanups.push(() => restored.close());
    assert.deepEqual(await viewOf(restored, 'acme', ociCharts), before);

    // The busy tenant's charts are those of one moment: at least the ones pushed before the backup
    // began, each with the original's bytes, and none that the manifest did not count.
    const restoredLoad = await loadArchives(restored);
    assert.ok(restoredLoad.size >= pushedBefore, `${restoredLoad.size} of ${pushedBefore} pushed before`);
    assert.equal(restoredLoad.size + 5, manifest.counts.hosted_charts);
    for (const [version, digest] of restoredLoad)
      assert.equal(digest, originalLoad.get(version), `load ${version}`);

    // The sealed upstream password opens under the restored key: a sync authenticates again.
    const token = await tokenOf(restored, 'acme');
    const resync = await syncAndWait(restored, '/api/v1/tenants/acme/registries/helm/private', token);
    // (Unchanged: the upstream answered 304 to the restored ETag, after accepting the password.)
    assert.equal(resync.status, 'unchanged', JSON.stringify(resync));
    const expected = `Basic ${Buffer.from(`robot:${UPSTREAM_PASSWORD}`).toString('base64')}`;
    assert.equal(upstream.requests.at(-1)?.headers.authorization, expected);
    const registry = await restored.api<Registry>('GET', '/api/v1/tenants/acme/registries/helm/private', {
      token,
    });
    assert.equal(registry.body.lastError, null);
    const original = (before.registries as { items: Registry[] }).items.find((r) => r.name === 'private');
    assert.equal(registry.body.versionCount, original?.versionCount);

    // Restoring again over it is refused without --force, and refused while its server runs.
    const again = await cli(['restore', '--from', out], envOf(restoreDir, restoreDb));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exist|holds tables already/);
    const forced = await cli(['restore', '--from', out, '--force'], envOf(restoreDir, restoreDb));
    assert.equal(forced.code, 1);
    assert.match(forced.stderr, /a Charthouse server is running on this installation/);
  });

  it('refuses a damaged backup before writing anything, and a backup into a folder with files', async () => {
    const out = path.join(work, 'backup-2');
    assertCliOk(await cli(['backup', '--out', out], envOf(server.dataDir, sourceDb)), 'charthouse backup');
    const notEmpty = await cli(['backup', '--out', out], envOf(server.dataDir, sourceDb));
    assert.equal(notEmpty.code, 1);
    assert.match(notEmpty.stderr, /is not empty/);

    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as BackupManifest;
    const main = path.join(out, manifest.files[0]!.path);
    const bytes = await readFile(main);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    await writeFile(main, bytes);
    const target = path.join(work, 'restore-damaged');
    const restoreDb = TEST_DB === 'postgres' ? await createTestDatabase() : undefined;
    if (restoreDb) cleanups.push(() => restoreDb.drop());
    const damaged = await cli(['restore', '--from', out], envOf(target, restoreDb));
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /sha256 differs .* the backup is damaged/);
    assert.deepEqual(await readdir(target).catch(() => []), []);
  });

  if (TEST_DB === 'sqlite') {
    it('takes another snapshot when the server frees a blob the first one still names', async () => {
      const out = path.join(work, 'backup-race');
      let freed = '';
      const manifest = await backupSqlite({
        dataDir: server.dataDir,
        key: { secretKey: null, secretKeyFile: path.join(server.dataDir, 'secret.key') },
        out,
        afterSnapshot: async (round) => {
          if (round !== 1) return;
          // Between the snapshot and the blob copy: a chart deleted and its archive garbage-collected.
          const res = await fetch(`${server.url}/helm/acme/api/charts/web/1.0.0`, {
            method: 'DELETE',
            headers: { authorization: basic('acme-admin') },
          });
          assert.equal(res.status, 200);
          freed = `sha256:${sha256(chartTgz('web', '1.0.0'))}`;
          await server.app.sweep(Date.now() + 2 * 60 * 60 * 1000);
          assert.equal(existsSync(blobFilePath(path.join(server.dataDir, 'blobs'), freed)!), false, 'freed');
        },
      });
      assert.equal(manifest.snapshotRounds, 2);
      assert.ok(!manifest.blobs.some((b) => b.digest === freed));

      const restoreDir = path.join(work, 'restored-race');
      assertCliOk(await cli(['restore', '--from', out], envOf(restoreDir)), 'charthouse restore');
      const restored = await startTestServer({ CHARTHOUSE_DATA_DIR: restoreDir });
      cleanups.push(() => restored.close());
      const view = await viewOf(restored, 'acme', ociCharts);
      assert.equal(view.archives['web-1.0.0'], undefined);
      assert.ok(view.archives['web-1.1.0']);
    });
  }
});
