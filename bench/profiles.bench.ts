/**
 * Cluster profiles benchmark (issue 13): publishing a 50-layer profile whose charts all have a
 * values.schema.json, and resolving its plan under load.
 *
 *   npm run build && node --import tsx bench/profiles.bench.ts
 *
 * SQLite, then PostgreSQL (CHARTHOUSE_TEST_DATABASE_URL, by default the local server's `postgres`
 * database; skipped when unreachable). The server is the built one in its own process
 * (bench/built-server.ts, logging at warn).
 *
 * The charts: the corpus has two charts that ship a values.schema.json (prometheus, alertmanager), so a
 * local classic repository serves 25 renamed copies of each (prom-00..24, am-00..24), each in two
 * versions (the real one and the minor before it), with their real values.yaml and schema. Each copy's
 * schema gets a `$comment` naming the copy: the server caches compiled schemas by the hash of their
 * text, and 50 different charts have 50 different schemas, so identical texts would compile twice for
 * fifty layers and flatter every first check. index.yaml lists each archive's digest.
 *
 * Per database: a tenant, a classic registry on that repository, synced; a profile of 50 layers (values
 * valid against each chart's schema; a few with `{{ .Variables.X }}` references, a few with a
 * versionConstraint, a few dependsOn). Creating it is the coldest check: the server fetches the 50
 * archives, caches their files in the database and compiles the 50 schemas. Then PUBLISH: 15 drafts
 * cloned from it (`POST .../versions {version, from}`, timed too: a clone is checked like any write),
 * each publish timed alone; the first is printed apart (first run of the publish path), then median and
 * p95 of the others. One more clone is published by a second server process started on the same
 * database: nothing compiled in its memory yet, as after a restart (the chart files stay cached in the
 * database). Then RESOLVE: 50 clients, each with its own keep-alive connection (bench/load.ts), send
 * `GET .../resolve?version=&var.X=` with a member's token for ~8 s, then one client for ~3 s; beside
 * each, the same load on `GET /api/v1/me` (authenticated, reads next to nothing) as the floor. The
 * clients never pause, so at 50 clients latency is about 50 / rate: the one-client rows show what a
 * request costs alone. Prints p50/p95/p99, rate, the server's CPU per request (from /proc, steadier
 * than latency on a shared machine) and the plan's size; asserts nothing.
 * Goals (issue 13): publish < 300 ms, resolve p95 < 15 ms at 50 clients.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import yaml from 'js-yaml';
import { packageChartDir } from '../test/support/chart-archive.js';
import { sendBody, startFixtureServer, type FixtureServer } from '../test/support/fixture-servers.js';
import { createTenant, type TestDb } from '../test/support/server.js';
import { postgresAvailable, startBuiltServer, type BuiltServer } from './built-server.js';
import { expectStatus, figures, fmt, median, percentile, pool, runLoad, send, table } from './load.js';
import { withCpu } from './proc.js';

const CORPUS = new URL('../../shared/corpus/charts/', import.meta.url);
const COPIES_PER_CHART = 25;
const PUBLISHES = 15;
const CLIENTS = 50;
const DURATION_MS = 8_000;
const SERIAL_MS = 3_000;
const WARM_UP_MS = 1_000;

interface SourceChart {
  /** Corpus folder. */
  dir: string;
  /** Prefix of the copies' names. */
  prefix: string;
  /** The real version and the minor before it, both served. */
  versions: [string, string];
  /** Values valid against the chart's schema; `n` makes each layer's a little different. */
  values: (n: number) => string;
  /** The same with variable references. */
  templated: string;
  /** A constraint that picks the newer version. */
  constraint: string;
}

const SOURCES: SourceChart[] = [
  {
    dir: 'prometheus',
    prefix: 'prom',
    versions: ['29.26.0', '29.27.0'],
    values: (n) =>
      `server:\n  replicaCount: ${1 + (n % 3)}\n  retention: "${10 + n}d"\n  podAnnotations:\n    team: platform-${n}\n`,
    templated:
      'server:\n  replicaCount: {{ .Variables.REPLICAS }}\n  podAnnotations:\n    cluster: "{{ .Variables.CLUSTER }}"\n',
    constraint: '^29.0.0',
  },
  {
    dir: 'alertmanager',
    prefix: 'am',
    versions: ['1.41.0', '1.42.0'],
    values: (n) =>
      `replicaCount: ${1 + (n % 3)}\nfullnameOverride: am-${n}\npodAnnotations:\n  team: platform-${n}\n`,
    templated: `replicaCount: {{ .Variables.REPLICAS }}\nextraArgs:\n  cluster.label: "{{ .Variables.CLUSTER }}"\n`,
    constraint: '^1.41.0',
  },
];

interface Archive {
  name: string;
  version: string;
  fileName: string;
  tgz: Buffer;
  metadata: Record<string, unknown>;
}

/** The 100 archives: every copy of every source chart in both versions, packaged as helm package does. */
async function buildArchives(): Promise<Archive[]> {
  const work = await mkdtemp(join(tmpdir(), 'charthouse-bench-charts-'));
  try {
    const out: Archive[] = [];
    for (const source of SOURCES) {
      const from = new URL(`${source.dir}/`, CORPUS);
      const chartYaml = await readFile(new URL('Chart.yaml', from), 'utf8');
      const schema = JSON.parse(await readFile(new URL('values.schema.json', from), 'utf8')) as Record<
        string,
        unknown
      >;
      for (let c = 0; c < COPIES_PER_CHART; c++) {
        const name = `${source.prefix}-${String(c).padStart(2, '0')}`;
        for (const version of source.versions) {
          const dir = join(work, `${name}-${version}`);
          await cp(from, dir, { recursive: true });
          const renamed = chartYaml
            .replace(/^name: .*$/m, `name: ${name}`)
            .replace(/^version: .*$/m, `version: ${version}`);
          await writeFile(join(dir, 'Chart.yaml'), renamed);
          const marked = { $comment: `bench copy ${name} ${version}`, ...schema };
          await writeFile(join(dir, 'values.schema.json'), `${JSON.stringify(marked, null, 4)}\n`);
          const packaged = await packageChartDir(dir);
          out.push({
            name,
            version,
            fileName: packaged.fileName,
            tgz: packaged.tgz,
            metadata: packaged.metadata,
          });
        }
      }
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A classic repository: index.yaml (each entry with its archive's digest) and the archives. */
async function serveRepository(archives: Archive[]): Promise<{ url: string; server: FixtureServer }> {
  const entries: Record<string, Record<string, unknown>[]> = {};
  const files = new Map<string, Buffer>();
  for (const a of archives) {
    files.set(a.fileName, a.tgz);
    (entries[a.name] ??= []).push({
      ...a.metadata,
      created: '2026-01-01T00:00:00Z',
      digest: createHash('sha256').update(a.tgz).digest('hex'),
      urls: [`charts/${a.fileName}`],
    });
  }
  const index = yaml.dump({ apiVersion: 'v1', entries, generated: '2026-01-01T00:00:00Z' });
  const server = await startFixtureServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/repo/index.yaml')
      return sendBody(index, { headers: { 'content-type': 'text/yaml' } })(req, res);
    const file = files.get(path.replace(/^\/repo\/charts\//, ''));
    if (file) return sendBody(file, { headers: { 'content-type': 'application/gzip' } })(req, res);
    res.writeHead(404).end();
  });
  return { url: `${server.url}/repo`, server };
}

/** 50 layers, one per chart copy: most pin the newer version, every tenth a constraint, every seventh variables. */
function layers(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let c = 0; c < COPIES_PER_CHART; c++) {
    for (const source of SOURCES) {
      const n = out.length;
      const name = `${source.prefix}-${String(c).padStart(2, '0')}`;
      out.push({
        name,
        registry: 'upstream',
        chart: name,
        ...(n % 10 === 3 ? { versionConstraint: source.constraint } : { version: source.versions[1] }),
        namespace: `ns-${n % 5}`,
        values: n % 7 === 2 ? source.templated : source.values(n),
        // A few dependencies, so the install order is not the listed one.
        ...(n % 10 === 9 ? { dependsOn: [out[n - 9]!['name'] as string] } : {}),
      });
    }
  }
  return out;
}

const VARIABLES = [
  { name: 'REPLICAS', type: 'number', default: 2 },
  { name: 'CLUSTER', type: 'string', required: true },
];

async function syncRegistry(server: BuiltServer, path: string, token: string): Promise<number> {
  const started = performance.now();
  const run = await server.api<{ run: { id: string } }>('POST', `${path}/sync`, { token });
  if (run.status !== 202) throw new Error(`sync refused: ${run.status} ${JSON.stringify(run.body)}`);
  for (;;) {
    const runs = await server.api<{ items: Array<{ id: string; status: string }> }>(
      'GET',
      `${path}/syncs?limit=5`,
      { token },
    );
    const mine = runs.body.items.find((r) => r.id === run.body.run.id);
    if (mine && mine.status !== 'running') {
      if (mine.status !== 'succeeded') throw new Error(`sync ${mine.status}: ${JSON.stringify(mine)}`);
      return performance.now() - started;
    }
    if (performance.now() - started > 60_000) throw new Error('the sync did not finish within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function timed<T>(what: string, call: () => Promise<{ status: number; body: T }>, expected: number) {
  const started = performance.now();
  const res = await call();
  const ms = performance.now() - started;
  if (res.status !== expected)
    throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 600)}`);
  return { ms, body: res.body };
}

/** Publishes one more clone through a second server process on the same database, its first request. */
async function coldPublish(server: BuiltServer, db: TestDb, token: string, profile: string): Promise<number> {
  const version = '1.1.0';
  const clone = await server.api('POST', `${profile}/versions`, { token, body: { version, from: '1.0.0' } });
  if (clone.status !== 201)
    throw new Error(`clone ${version}: ${clone.status} ${JSON.stringify(clone.body)}`);
  const second = await startBuiltServer(db, {
    CHARTHOUSE_LOG_LEVEL: 'warn',
    CHARTHOUSE_DATA_DIR: server.storageOptions.dataDir,
    ...(server.storageOptions.databaseUrl === null
      ? {}
      : { CHARTHOUSE_DATABASE_URL: server.storageOptions.databaseUrl }),
  });
  try {
    const published = await timed(
      `publish ${version} (second process)`,
      () => second.api('POST', `${profile}/versions/${version}/publish`, { token }),
      200,
    );
    return published.ms;
  } finally {
    await second.close();
  }
}

async function main(db: TestDb, archives: Archive[], repoUrl: string): Promise<void> {
  const server = await startBuiltServer(db, { CHARTHOUSE_LOG_LEVEL: 'warn' });
  try {
    const tenant = await createTenant(server, 'bench');
    const admin = { token: tenant.adminToken };
    const registries = '/api/v1/tenants/bench/registries/helm';
    const added = await server.api('POST', registries, {
      ...admin,
      body: { name: 'upstream', endpoint: repoUrl },
    });
    if (added.status !== 201) throw new Error(`registry: ${added.status} ${JSON.stringify(added.body)}`);
    const syncMs = await syncRegistry(server, `${registries}/upstream`, tenant.adminToken);
    console.log(`${db}: ${archives.length} chart versions synced in ${Math.round(syncMs)} ms`);

    const base = '/api/v1/tenants/bench/profiles';
    const profileLayers = layers();
    const created = await timed(
      'create',
      () =>
        server.api('POST', base, {
          ...admin,
          body: { name: 'stack', version: '1.0.0', variables: VARIABLES, layers: profileLayers },
        }),
      201,
    );
    console.log(
      `${db}: create a ${profileLayers.length}-layer draft (cold: ${profileLayers.length} archives fetched, files cached, schemas compiled): ${fmt.ms(created.ms)} ms`,
    );

    // Drafts to publish, each a clone of 1.0.0; the clone is checked like any write, so it is timed too.
    const clones: number[] = [];
    const versions = Array.from({ length: PUBLISHES }, (_, i) => `1.0.${i + 1}`);
    for (const version of versions) {
      const clone = await timed(
        `clone ${version}`,
        () => server.api('POST', `${base}/stack/versions`, { ...admin, body: { version, from: '1.0.0' } }),
        201,
      );
      clones.push(clone.ms);
    }
    const publishes: number[] = [];
    for (const version of versions) {
      const published = await timed(
        `publish ${version}`,
        () => server.api('POST', `${base}/stack/versions/${version}/publish`, admin),
        200,
      );
      publishes.push(published.ms);
    }
    // A restarted server: a second process on the same database, so nothing is compiled or cached in
    // memory (the chart files stay cached in the database). Its first publish is the cold one.
    const restartedMs = await coldPublish(server, db, admin.token, `${base}/stack`);
    const [first, ...warm] = publishes;
    const sortedWarm = [...warm].sort((a, b) => a - b);
    const sortedClones = [...clones].sort((a, b) => a - b);
    console.log(
      table(
        ['operation (50 layers)', 'n', 'median ms', 'p95 ms', 'max ms'],
        [
          [
            'clone a draft (POST versions {from})',
            String(clones.length),
            fmt.ms(median(clones)),
            fmt.ms(percentile(sortedClones, 95)),
            fmt.ms(sortedClones.at(-1)!),
          ],
          ['first publish of the process', '1', fmt.ms(first!), '-', '-'],
          ['publish on a freshly started 2nd process (cold)', '1', fmt.ms(restartedMs), '-', '-'],
          [
            'publish (warm)',
            String(warm.length),
            fmt.ms(median(warm)),
            fmt.ms(percentile(sortedWarm, 95)),
            fmt.ms(sortedWarm.at(-1)!),
          ],
        ],
      ),
    );

    // Resolve under load, beside the floor.
    const version = versions[versions.length - 1]!;
    const resolvePath = `${base}/stack/resolve?version=${version}&var.CLUSTER=eu-west-1&var.REPLICAS=3`;
    const headers = { authorization: `Bearer ${tenant.memberToken}` };
    const target = pool(server.url, CLIENTS);
    try {
      const plan = expectStatus(
        await send(target, 'GET', resolvePath, headers, { keep: true }),
        200,
        'resolve',
      );
      const planLayers = (JSON.parse(plan.body.toString('utf8')) as { layers: unknown[] }).layers.length;
      console.log(
        `${db}: the plan: ${planLayers} layers, ${plan.bytes} bytes (${fmt.ms(plan.bytes / 1024)} KiB)`,
      );
      const port = Number(new URL(server.url).port);
      const scenarios = [
        { what: `resolve ${version} (50 layers)`, path: resolvePath },
        { what: 'floor: GET /api/v1/me', path: '/api/v1/me' },
      ];
      const rows: string[][] = [];
      const p95s: number[] = [];
      // 50 clients, then one: with no pause between requests, 50 clients keep 50 requests queued, so
      // latency is about 50 / rate; a single client shows what one request costs alone.
      for (const [clients, durationMs] of [
        [CLIENTS, DURATION_MS],
        [1, SERIAL_MS],
      ] as const) {
        for (const s of scenarios) {
          const op = async (): Promise<void> => {
            expectStatus(await send(target, 'GET', s.path, headers), 200, s.what);
          };
          await runLoad({ clients, durationMs: WARM_UP_MS, op });
          const { result, cpu } = await withCpu(port, () => runLoad({ clients, durationMs, op }));
          const f = figures(result);
          if (clients === CLIENTS) p95s.push(f.p95);
          rows.push([
            s.what,
            String(clients),
            String(result.ops),
            fmt.rate(f.rate),
            fmt.ms(f.p50),
            fmt.ms(f.p95),
            fmt.ms(f.p99),
            fmt.ms((cpu * 1000) / Math.max(1, result.ops)),
            f.errors === 0 ? '0' : `${f.errors} (${f.firstError ?? ''})`,
          ]);
        }
      }
      console.log(
        `${db}: ${CLIENTS} clients for ${DURATION_MS / 1000} s, one client for ${SERIAL_MS / 1000} s (load average ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} CPUs)`,
      );
      console.log(
        table(
          ['request', 'clients', 'ops', 'per s', 'p50 ms', 'p95 ms', 'p99 ms', 'server CPU ms/op', 'errors'],
          rows,
        ),
      );
      console.log(`${db}: resolve p95 / floor p95 at ${CLIENTS} clients: ${fmt.ratio(p95s[0]! / p95s[1]!)}`);
    } finally {
      await target.close();
    }
  } finally {
    await server.close();
  }
}

const archives = await buildArchives();
const repo = await serveRepository(archives);
try {
  await main('sqlite', archives, repo.url);
  if (await postgresAvailable()) await main('postgres', archives, repo.url);
  else console.log('PostgreSQL is not reachable: skipped.');
} finally {
  await repo.server.close();
}
