/**
 * Database round trips per request, counted in-process (not a timing benchmark): the server as the
 * tests start it, with the pg client's and SQLite statements' query calls counted and logged.
 *
 *   node --import tsx bench/round-trips.ts            (both databases; PostgreSQL when reachable)
 */
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { buildHelmArtifact, MANIFEST_ACCEPT } from '../test/support/oci-push.js';
import { packageChartDir } from '../test/support/chart-archive.js';
import { createTenant, startTestServer } from '../test/support/server.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { postgresAvailable } from './built-server.js';

const seen: string[] = [];
let counting = false;
const note = (sql: unknown) => {
  if (counting)
    seen.push(
      String(typeof sql === 'string' ? sql : (sql as { text?: string }).text)
        .replace(/\s+/g, ' ')
        .slice(0, 140),
    );
};
const origPg = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  note(args[0]);
  return (origPg as (...a: unknown[]) => unknown).apply(this, args);
} as typeof origPg;
const probe = new SQLite(':memory:');
const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<
  string,
  (...a: unknown[]) => unknown
>;
for (const m of ['all', 'get', 'run', 'iterate']) {
  const orig = statementProto[m]!;
  statementProto[m] = function (this: { source: string }, ...args: unknown[]) {
    note(this.source);
    return orig.apply(this, args);
  };
}

async function count(what: string, run: () => Promise<void>): Promise<void> {
  await run(); // warm: caches filled as in steady state
  seen.length = 0;
  counting = true;
  await run();
  counting = false;
  console.log(`  ${what}: ${seen.length} queries`);
  for (const q of seen) console.log(`      ${q}`);
}

async function main(db: 'sqlite' | 'postgres'): Promise<void> {
  const database = db === 'postgres' ? await createTestDatabase() : undefined;
  const server = await startTestServer(
    database
      ? { CHARTHOUSE_DATABASE_URL: database.url, CHARTHOUSE_LOG_LEVEL: 'warn' }
      : { CHARTHOUSE_LOG_LEVEL: 'warn' },
  );
  try {
    const tenant = await createTenant(server, 'rt');
    const auth = { authorization: `Bearer ${tenant.memberToken}` };
    await server.api('POST', '/api/v1/tenants/rt/registries/helm', {
      token: tenant.adminToken,
      body: { name: 'own', endpoint: 'https://charts.example.test/own', protected: true },
    });
    console.log(`${db}:`);
    const get =
      (path: string, headers: Record<string, string> = auth) =>
      async () => {
        const res = await fetch(`${server.url}${path}`, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      };
    await count('GET one registry (the floor)', get('/api/v1/tenants/rt/registries/helm/own'));
    await count('catalog search', get('/api/v1/tenants/rt/charts?q=x'));
    // OCI: push a chart as the member, then pull it with Basic credentials.
    const packaged = await packageChartDir(
      new URL('../../shared/corpus/charts/memcached', import.meta.url).pathname,
    );
    const artifact = buildHelmArtifact({
      chartTgz: packaged.tgz,
      chartJson: packaged.metadata,
      created: '2024-06-01T00:00:00Z',
    });
    const basic = {
      authorization: `Basic ${Buffer.from('rt-member:rt-member-password').toString('base64')}`,
    };
    for (const blob of artifact.blobs) {
      const res = await fetch(
        `${server.url}/v2/rt/memcached/blobs/uploads/?digest=${blob.descriptor.digest}`,
        {
          method: 'POST',
          headers: { ...basic, 'content-type': 'application/octet-stream' },
          body: blob.data,
        },
      );
      if (res.status !== 201) throw new Error(`blob push ${res.status} ${await res.text()}`);
    }
    const put = await fetch(`${server.url}/v2/rt/memcached/manifests/${artifact.tag}`, {
      method: 'PUT',
      headers: { ...basic, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: artifact.manifest,
    });
    if (put.status !== 201) throw new Error(`manifest push ${put.status} ${await put.text()}`);
    const layer = artifact.blobs.find((b) => b.descriptor.mediaType.includes('chart.content'))!;
    await count(
      'OCI token (GET /v2/token, Basic)',
      get(`/v2/token?scope=repository:rt/memcached:pull`, basic),
    );
    await count(
      'OCI manifest by tag (Basic)',
      get(`/v2/rt/memcached/manifests/${artifact.tag}`, { ...basic, accept: MANIFEST_ACCEPT }),
    );
    await count('OCI chart blob (Basic)', get(`/v2/rt/memcached/blobs/${layer.descriptor.digest}`, basic));
  } finally {
    await server.close();
    await database?.drop();
  }
}

await main('sqlite');
if (await postgresAvailable()) await main('postgres');
