/**
 * Catalog search benchmark: search latency of the real server over 100,000 chart versions.
 *
 *   npm run build && node --import tsx bench/catalog-search.bench.ts
 *
 * SQLite, then PostgreSQL (CHARTHOUSE_TEST_DATABASE_URL, by default the local server's `postgres`
 * database; skipped when unreachable).
 *
 * Two registries the tenant sees (one system, one its own), 1,000 charts x 50 versions each, written
 * with ChartVersionRepository.applyDiff as a sync would. The server is the built one in its own process
 * (bench/built-server.ts, logging at warn). 50 clients, each with its own keep-alive connection, send
 * searches back to back for ~10 s from a worker thread of this process, cycling through a mix of
 * queries: no text, a chart name, a description word, a keyword, a rare text, text that matches
 * nothing, a registry filter, pre-releases and without deprecated charts. Every other chart's newest
 * version is a release candidate. Prints the cold first search of each view, then p50/p95/p99;
 * asserts nothing.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { ChartVersionRepository, type NewChartVersion } from '../src/catalog/chart-version.repository.js';
import { versionSortKey } from '../src/protocol/helm/semver-sort.js';
import { newId } from '../src/shared/ids.js';
import { openStorage, type Storage } from '../src/storage/database.js';
import { registryRow } from '../test/support/registry-rows.js';
import { createTenant, type TestDb } from '../test/support/server.js';
import { postgresAvailable, startBuiltServer } from './built-server.js';

const CHARTS_PER_REGISTRY = 1_000;
const VERSIONS_PER_CHART = 50;
const CLIENTS = 50;
const DURATION_MS = 10_000;
const WORDS = ['database', 'cache', 'proxy', 'monitoring', 'queue', 'gateway', 'storage', 'operator'];

function rows(prefix: string): NewChartVersion[] {
  const out: NewChartVersion[] = [];
  for (let c = 0; c < CHARTS_PER_REGISTRY; c++) {
    const name = `${prefix}-${String(c).padStart(4, '0')}`;
    const word = WORDS[c % WORDS.length]!;
    for (let v = 0; v < VERSIONS_PER_CHART; v++) {
      // Every other chart's newest version is a release candidate, as in real repositories: the latest
      // shown is then the newest stable one, which the search's SQL must find in the same scan.
      const version =
        v === VERSIONS_PER_CHART - 1 && c % 2 === 0 ? '5.0.0-rc.1' : `${Math.floor(v / 10)}.${v % 10}.0`;
      const row: NewChartVersion = {
        chart_name: name,
        version,
        sort_key: versionSortKey(version)!,
        app_version: `1.${v}.0`,
        api_version: 'v2',
        type: 'application',
        description: `${name} is a scalable ${word} packaged for Kubernetes (build ${v}).`,
        icon: `https://example.test/icons/${name}.svg`,
        home: `https://example.test/charts/${name}`,
        sources: JSON.stringify([`https://example.test/src/${name}`]),
        keywords: JSON.stringify([word, `kw-${c % 97}`]),
        maintainers: JSON.stringify([{ name: 'Example Maintainers' }]),
        kube_version: '>=1.23.0-0',
        deprecated: 0,
        created: '2024-05-01T10:11:12Z',
        digest: createHash('sha256').update(`${name}-${version}`).digest('hex'),
        urls: JSON.stringify([`${name}-${version}.tgz`]),
        chart_url: `https://charts.example.test/${name}-${version}.tgz`,
        dependencies: '[]',
        annotations: '{}',
        content_hash: createHash('sha256').update(`${name}-${version}`).digest('hex'),
      };
      out.push(row);
    }
  }
  return out;
}

async function createRegistry(storage: Storage, scope: string, name: string): Promise<string> {
  const id = newId();
  const now = new Date().toISOString();
  await storage.db
    .insertInto('helm_registries')
    .values(
      registryRow({
        id,
        scope,
        name,
        endpoint: `https://charts.example.test/${name}`,
        sync_status: 'synced',
        last_synced_at: now,
        chart_count: CHARTS_PER_REGISTRY,
        version_count: CHARTS_PER_REGISTRY * VERSIONS_PER_CHART,
      }),
    )
    .execute();
  return id;
}

// Plain JavaScript: an eval'd worker cannot load TypeScript. Each client loops until the deadline.
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Pool } = require('undici');
const { url, token, paths, clients, durationMs } = workerData;
const pool = new Pool(url, { connections: clients, pipelining: 1 });
const latencies = [];
let errors = 0;
async function client(i) {
  const deadline = Date.now() + durationMs;
  let n = i;
  while (Date.now() < deadline) {
    const path = paths[n++ % paths.length];
    const started = performance.now();
    const res = await pool.request({ method: 'GET', path, headers: { authorization: 'Bearer ' + token } });
    await res.body.text();
    latencies.push(performance.now() - started);
    if (res.statusCode !== 200) errors++;
  }
}
Promise.all(Array.from({ length: clients }, (_, i) => client(i)))
  .then(() => pool.close())
  .then(() => parentPort.postMessage({ latencies, errors }));
`;

function runLoad(
  url: string,
  token: string,
  paths: string[],
  durationMs: number,
): Promise<{ latencies: number[]; errors: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, {
      eval: true,
      workerData: { url, token, paths, clients: CLIENTS, durationMs },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(TEST_DB: TestDb): Promise<void> {
  const server = await startBuiltServer(TEST_DB, { CHARTHOUSE_LOG_LEVEL: 'warn' });
  const storage = openStorage(server.storageOptions);
  try {
    const tenant = await createTenant(server, 'bench');
    const tenantRow = await storage.db
      .selectFrom('tenants')
      .select('id')
      .where('name', '=', 'bench')
      .executeTakeFirstOrThrow();
    const versions = new ChartVersionRepository(storage.db, storage.dialect);
    const fillStarted = performance.now();
    for (const [scope, name] of [
      ['system', 'public'],
      [tenantRow.id, 'own'],
    ] as const) {
      const id = await createRegistry(storage, scope, name);
      await versions.applyDiff(storage.db, id, { insert: rows(name), update: [], remove: [] }, new Date());
    }
    const fillMs = performance.now() - fillStarted;
    const total = 2 * CHARTS_PER_REGISTRY * VERSIONS_PER_CHART;
    console.log(`${TEST_DB}: ${total} versions written in ${Math.round(fillMs)} ms`);

    const base = '/api/v1/tenants/bench/charts';
    // Cold: the first search of each view reads the latest version of every chart from SQL.
    for (const query of ['', '?devel=true']) {
      const started = performance.now();
      const res = await fetch(`${server.url}${base}${query}`, {
        headers: { authorization: `Bearer ${tenant.memberToken}` },
      });
      await res.text();
      console.log(`${TEST_DB}: first search${query} (cold) ${Math.round(performance.now() - started)} ms`);
    }
    const paths = [
      `${base}`,
      `${base}?q=public-0042`,
      `${base}?q=database`,
      `${base}?q=kw-13`,
      `${base}?q=own-09`,
      `${base}?q=no-such-chart`,
      `${base}?registry=own&q=gateway&limit=20`,
      `${base}?q=cache&devel=true`,
      `${base}?q=proxy&deprecated=false`,
    ];
    // Warm-up: JIT, statement caches, the database's page cache.
    await runLoad(server.url, tenant.memberToken, paths, 1_000);
    const measure = async (what: string, measured: string[]): Promise<void> => {
      const started = performance.now();
      const { latencies, errors } = await runLoad(server.url, tenant.memberToken, measured, DURATION_MS);
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const f = (n: number): string => n.toFixed(1);
      console.log(
        `${TEST_DB}: ${what}, ${CLIENTS} concurrent clients, ${seconds.toFixed(1)} s: ` +
          `${latencies.length} requests (${Math.round(latencies.length / seconds)}/s), ${errors} non-200; ` +
          `p50 ${f(pct(latencies, 50))} ms, p95 ${f(pct(latencies, 95))} ms, p99 ${f(pct(latencies, 99))} ms`,
      );
    };
    await measure(`catalog search over ${total} versions`, paths);
    // The floor for comparison: an authenticated request into the same tenant that reads one row.
    await measure('floor: GET one registry', ['/api/v1/tenants/bench/registries/helm/own']);
  } finally {
    await storage.close();
    await server.close();
  }
}

await main('sqlite');
if (await postgresAvailable()) await main('postgres');
else console.log('PostgreSQL is not reachable: skipped.');
