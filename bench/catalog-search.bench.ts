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
 * (bench/built-server.ts, logging at warn), one on SQLite and one on PostgreSQL, both running at once.
 * 50 clients, each with its own keep-alive connection, send searches back to back from a worker thread
 * of this process, cycling through a mix of queries: no text, a chart name, a description word, a
 * keyword, a rare text, text that matches nothing, a registry filter, pre-releases and without
 * deprecated charts. Every other chart's newest version is a release candidate. The floor is the
 * cheapest authenticated request into the same tenant (GET one registry), under the same load.
 *
 * The four loads (search and floor, on each database) take turns for ROUNDS rounds of SECONDS s each
 * (BENCH_ROUNDS, default 3; BENCH_SECONDS, default 5), the order flipped every round, so the machine's
 * other work falls on all of them alike; each figure is the median over the rounds. Besides latency it
 * prints the CPU each request costs: the server process's, and on PostgreSQL the database backends'
 * (read from /proc), which unlike latency barely move with the machine's other load. Prints the
 * issue's table rows side by side; asserts nothing.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { ChartVersionRepository, type NewChartVersion } from '../src/catalog/chart-version.repository.js';
import { versionSortKey } from '../src/protocol/helm/semver-sort.js';
import { newId } from '../src/shared/ids.js';
import { openStorage, type Storage } from '../src/storage/database.js';
import { registryRow } from '../test/support/registry-rows.js';
import { createTenant, type TestDb } from '../test/support/server.js';
import {
  postgresAvailable,
  postgresBackendPids,
  startBuiltServer,
  type BuiltServer,
} from './built-server.js';
import { fmt, median, roundOrder, table } from './load.js';
import { cpuSeconds, listeningPids, withCpuOf } from './proc.js';

const CHARTS_PER_REGISTRY = 1_000;
const VERSIONS_PER_CHART = 50;
const CLIENTS = 50;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
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
): Promise<{ latencies: number[]; errors: number; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, {
      eval: true,
      workerData: { url, token, paths, clients: CLIENTS, durationMs },
    });
    worker.once('message', (m: { latencies: number[]; errors: number }) =>
      resolve({ ...m, seconds: (performance.now() - started) / 1000 }),
    );
    worker.once('error', reject);
  });
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

interface Target {
  db: TestDb;
  server: BuiltServer;
  token: string;
  /** PostgreSQL: the backends of the server's database. */
  backends: () => Promise<number[]>;
  close(): Promise<void>;
}

async function prepareTarget(db: TestDb): Promise<Target> {
  const server = await startBuiltServer(db, { CHARTHOUSE_LOG_LEVEL: 'warn' });
  const storage = openStorage(server.storageOptions);
  const tenant = await createTenant(server, 'bench');
  try {
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
    const total = 2 * CHARTS_PER_REGISTRY * VERSIONS_PER_CHART;
    console.log(`${db}: ${total} versions written in ${Math.round(performance.now() - fillStarted)} ms`);
    // Cold: the first search of each view reads the latest version of every chart from SQL.
    for (const query of ['', '?devel=true']) {
      const started = performance.now();
      const res = await fetch(`${server.url}${BASE}${query}`, {
        headers: { authorization: `Bearer ${tenant.memberToken}` },
      });
      await res.text();
      console.log(`${db}: first search${query} (cold) ${Math.round(performance.now() - started)} ms`);
    }
  } finally {
    await storage.close();
  }
  const { databaseUrl } = server.storageOptions;
  return {
    db,
    server,
    token: tenant.memberToken,
    backends: databaseUrl === null ? async () => [] : () => postgresBackendPids(databaseUrl),
    close: () => server.close(),
  };
}

const BASE = '/api/v1/tenants/bench/charts';
const SEARCHES = [
  `${BASE}`,
  `${BASE}?q=public-0042`,
  `${BASE}?q=database`,
  `${BASE}?q=kw-13`,
  `${BASE}?q=own-09`,
  `${BASE}?q=no-such-chart`,
  `${BASE}?registry=own&q=gateway&limit=20`,
  `${BASE}?q=cache&devel=true`,
  `${BASE}?q=proxy&deprecated=false`,
];
// The floor: an authenticated request into the same tenant that reads one row.
const FLOOR = ['/api/v1/tenants/bench/registries/helm/own'];

interface Round {
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  /** Server process CPU per request, ms. */
  cpuMs: number;
  /** PostgreSQL backends' CPU per request, ms (0 on SQLite). */
  dbCpuMs: number;
}

async function measure(target: Target, paths: string[], durationMs: number): Promise<Round> {
  const port = Number(new URL(target.server.url).port);
  const serverPids = listeningPids(port);
  const serverBefore = cpuSeconds(serverPids);
  const { result, cpu: dbCpu } = await withCpuOf(target.backends, () =>
    runLoad(target.server.url, target.token, paths, durationMs),
  );
  const serverCpu = cpuSeconds(serverPids) - serverBefore;
  const { latencies, errors, seconds } = result;
  latencies.sort((a, b) => a - b);
  const n = Math.max(1, latencies.length);
  return {
    rate: latencies.length / seconds,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    errors,
    cpuMs: (serverCpu * 1000) / n,
    dbCpuMs: (dbCpu * 1000) / n,
  };
}

const targets: Target[] = [await prepareTarget('sqlite')];
if (await postgresAvailable()) targets.push(await prepareTarget('postgres'));
else console.log('PostgreSQL is not reachable: skipped.');
try {
  const loads = targets.flatMap((target) => [
    { target, what: 'search' as const, paths: SEARCHES },
    { target, what: 'floor' as const, paths: FLOOR },
  ]);
  // Warm-up: JIT, statement caches, the database's page cache, the pools' connections.
  for (const load of loads) await measure(load.target, load.paths, 1_000);
  const results = new Map<(typeof loads)[number], Round[]>(loads.map((l) => [l, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const load of roundOrder(loads, round)) {
      results.get(load)!.push(await measure(load.target, load.paths, SECONDS * 1000));
    }
  }
  const med = (rounds: Round[], pick: (r: Round) => number): number => median(rounds.map(pick));
  const total = 2 * CHARTS_PER_REGISTRY * VERSIONS_PER_CHART;
  console.log(
    `\nCatalog search over ${total} versions and the floor (GET one registry), ${CLIENTS} clients, ` +
      `${ROUNDS} rounds x ${SECONDS} s each, interleaved; medians over the rounds (per round p95 in brackets).\n`,
  );
  console.log(
    table(
      [
        'load',
        'db',
        'req/s',
        'p50 ms',
        'p95 ms',
        'p95 per round',
        'p99 ms',
        'server CPU ms/req',
        'PG CPU ms/req',
        'non-200',
      ],
      loads.map((load) => {
        const rounds = results.get(load)!;
        return [
          load.what,
          load.target.db,
          fmt.rate(med(rounds, (r) => r.rate)),
          fmt.ms(med(rounds, (r) => r.p50)),
          fmt.ms(med(rounds, (r) => r.p95)),
          rounds.map((r) => fmt.ms(r.p95)).join(' / '),
          fmt.ms(med(rounds, (r) => r.p99)),
          fmt.ms(med(rounds, (r) => r.cpuMs)),
          load.target.db === 'postgres' ? fmt.ms(med(rounds, (r) => r.dbCpuMs)) : '-',
          String(rounds.reduce((n, r) => n + r.errors, 0)),
        ];
      }),
    ),
  );
  // The row: search p95 on both databases next to the floor.
  const p95 = (db: TestDb, what: 'search' | 'floor'): string => {
    const load = loads.find((l) => l.target.db === db && l.what === what);
    return load ? fmt.ms(med(results.get(load)!, (r) => r.p95)) : '-';
  };
  console.log(
    `\nsearch p95 (floor p95): SQLite ${p95('sqlite', 'search')} ms (${p95('sqlite', 'floor')} ms), ` +
      `PostgreSQL ${p95('postgres', 'search')} ms (${p95('postgres', 'floor')} ms); goal < 15 ms on both`,
  );
} finally {
  for (const target of targets) await target.close();
}
