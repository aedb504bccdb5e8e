/**
 * Hosted registry over OCI, side by side with Debian's docker-registry (distribution 2.8): chart pull
 * and push throughput of the built server against the reference registry, same client code for both.
 *
 *   npm run build && node --import tsx bench/hosted-oci.bench.ts
 *
 * Charthouse on SQLite and on PostgreSQL (CHARTHOUSE_TEST_DATABASE_URL, by default the local server's
 * `postgres` database; left out when unreachable), both running at once, against one docker-registry
 * with htpasswd auth (bcrypt cost 4, the test helper's), so all check Basic credentials (the member's
 * password) on every request; two more rows pull from Charthouse with the member's API token in the
 * Basic password, which Charthouse checks without scrypt.
 *
 * - pull: one real chart (bitnami memcached from the corpus, ~28 KB packaged) pushed to both as
 *   `bench/memcached:8.0.0`; 16 clients loop over GET manifest by tag (helm's Accept header), parse it,
 *   GET the chart layer blob and read it fully. A pull is those two requests.
 * - push: 16 clients push distinct versions of the same chart (every version a new config and a new
 *   layer) with the monolithic flow helm uses: for the config then the layer HEAD blob (404), POST
 *   upload, PUT ?digest=, then PUT the manifest by tag. The versions are prepared before the clock runs.
 *
 * Every figure is a median of ROUNDS rounds; in each round the contenders take turns (the order flips
 * every round), each loaded for SECONDS s (BENCH_SECONDS, default 4) after a 1 s warm-up. The rate ratio
 * is the median of the per-round ratios Charthouse / docker-registry; the CPU ratio compares the server
 * CPU (from /proc) per operation, which unlike the rate does not move with the machine's other load.
 * On PostgreSQL the database backends' CPU per operation is shown beside it (the server's figure leaves
 * it out). Ends with the pull CPU per operation of PostgreSQL against SQLite, from the same rounds.
 * Asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { startDockerRegistry, type DockerRegistry } from '../test/support/docker-registry.js';
import {
  buildHelmArtifact,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  type HelmArtifact,
} from '../test/support/oci-push.js';
import { packageChartDir } from '../test/support/chart-archive.js';
import { createTenant, type TestDb } from '../test/support/server.js';
import {
  postgresAvailable,
  postgresBackendPids,
  startBuiltServer,
  type BuiltServer,
} from './built-server.js';
import { ChartVersions, corpusChart } from './hosted-charts.js';
import { withCpu, withCpuOf } from './proc.js';
import {
  basicAuth,
  expectStatus,
  figures,
  fmt,
  header,
  median,
  pool,
  roundOrder,
  runLoad,
  send,
  table,
  type RoundFigures,
} from './load.js';

const CLIENTS = 16;
const ROUNDS = 3;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 4);
const WARMUP_MS = 1_000;
const REPOSITORY = 'bench/memcached';
const PULL_TAG = '8.0.0';
const USER = { username: 'bench-member', password: 'bench-member-password' };
const CORPUS_CHART = new URL('../../shared/corpus/charts/memcached', import.meta.url).pathname;

interface Contender {
  name: string;
  url: string;
  pool: Pool;
  /** The Authorization header every request carries. */
  authorization: string;
  scenarios: Scenario[];
  /** docker-registry: what the others are compared with. */
  reference: boolean;
  /** Charthouse on PostgreSQL: the database's backends, whose CPU the server's own leaves out. */
  backends?: () => Promise<number[]>;
}

type Scenario = 'pull' | 'push';

interface Measured extends RoundFigures {
  ranOut: boolean;
  /** Server CPU (user + system, all threads) per completed operation. */
  cpuMsPerOp: number;
  /** PostgreSQL backends' CPU per completed operation (NaN without a database of its own). */
  dbCpuMsPerOp: number;
}

// ---- the client code, the same for both registries --------------------------------------------------

async function pullOnce(target: Contender): Promise<void> {
  const { pool: to, authorization } = target;
  const manifest = expectStatus(
    await send(
      to,
      'GET',
      `/v2/${REPOSITORY}/manifests/${PULL_TAG}`,
      { accept: MANIFEST_ACCEPT, authorization },
      { keep: true },
    ),
    200,
    'GET manifest',
  );
  const parsed = JSON.parse(manifest.body.toString('utf8')) as {
    layers: { mediaType: string; digest: string; size: number }[];
  };
  const layer = parsed.layers.find((l) => l.mediaType === MEDIA_TYPES.helmChart);
  if (!layer) throw new Error('the manifest has no chart layer');
  const blob = expectStatus(
    await send(to, 'GET', `/v2/${REPOSITORY}/blobs/${layer.digest}`, { authorization }),
    200,
    'GET blob',
  );
  if (blob.bytes !== layer.size) throw new Error(`GET blob: ${blob.bytes} bytes, expected ${layer.size}`);
}

interface PreparedPush {
  tag: string;
  manifest: Buffer;
  blobs: { digest: string; data: Buffer }[];
}

async function pushBlob(target: Contender, digest: string, data: Buffer): Promise<void> {
  const { pool: to, authorization } = target;
  const head = await send(to, 'HEAD', `/v2/${REPOSITORY}/blobs/${digest}`, { authorization });
  if (head.status === 200) return;
  expectStatus(head, 404, 'HEAD blob');
  const started = expectStatus(
    await send(
      to,
      'POST',
      `/v2/${REPOSITORY}/blobs/uploads/`,
      { authorization, 'content-length': '0' },
      { keep: true },
    ),
    202,
    'POST upload',
  );
  const location = header(started, 'location');
  if (!location) throw new Error('POST upload: no Location');
  // Relative or absolute (docker-registry): the path and query, the query kept byte-for-byte.
  const url = new URL(location, 'http://registry.invalid');
  const put = `${url.pathname}${url.search}${url.search ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
  expectStatus(
    await send(
      to,
      'PUT',
      put,
      { authorization, 'content-type': 'application/octet-stream' },
      { body: data, keep: true },
    ),
    201,
    'PUT blob',
  );
}

async function pushOnce(target: Contender, push: PreparedPush): Promise<void> {
  for (const blob of push.blobs) await pushBlob(target, blob.digest, blob.data);
  expectStatus(
    await send(
      target.pool,
      'PUT',
      `/v2/${REPOSITORY}/manifests/${push.tag}`,
      { authorization: target.authorization, 'content-type': MEDIA_TYPES.ociManifest },
      { body: push.manifest, keep: true },
    ),
    201,
    'PUT manifest',
  );
}

// ---- the runs ------------------------------------------------------------------------------------------

let nextVersion = 0;

function prepare(versions: ChartVersions, count: number): PreparedPush[] {
  const out: PreparedPush[] = [];
  for (let i = 0; i < count; i++) {
    const artifact = versions.artifact(`10.${Math.floor(nextVersion / 1000)}.${nextVersion % 1000}`);
    nextVersion++;
    out.push(prepared(artifact));
  }
  return out;
}

function prepared(artifact: HelmArtifact): PreparedPush {
  return {
    tag: artifact.tag,
    manifest: artifact.manifest,
    blobs: artifact.blobs.map((b) => ({ digest: b.descriptor.digest, data: b.data })),
  };
}

async function measure(
  scenario: Scenario,
  contender: Contender,
  durationMs: number,
  versions: ChartVersions,
  expectedRate: number,
): Promise<Measured> {
  let ranOut = false;
  const port = Number(new URL(contender.url).port);
  const backends = contender.backends;
  const withDbCpu = async <T>(work: () => Promise<T>): Promise<{ result: T; dbCpu: number }> => {
    if (backends === undefined) return { result: await work(), dbCpu: NaN };
    const { result, cpu } = await withCpuOf(backends, work);
    return { result, dbCpu: cpu };
  };
  if (scenario === 'pull') {
    const {
      result: { result, cpu },
      dbCpu,
    } = await withDbCpu(() =>
      withCpu(port, () => runLoad({ clients: CLIENTS, durationMs, op: () => pullOnce(contender) })),
    );
    return {
      ...figures(result),
      ranOut,
      cpuMsPerOp: (cpu * 1000) / result.ops,
      dbCpuMsPerOp: (dbCpu * 1000) / result.ops,
    };
  }
  // Enough versions for 3x the best rate seen so far (at least 100/s; ~0.8 ms each to prepare); a client
  // that finds none left stops, and the table says so.
  const queue = prepare(versions, Math.ceil(Math.max(expectedRate, 100) * 3 * (durationMs / 1000)));
  const {
    result: { result, cpu },
    dbCpu,
  } = await withDbCpu(() =>
    withCpu(port, () =>
      runLoad({
        clients: CLIENTS,
        durationMs,
        op: async () => {
          const push = queue.pop();
          if (!push) {
            ranOut = true;
            return false;
          }
          await pushOnce(contender, push);
        },
      }),
    ),
  );
  return {
    ...figures(result),
    ranOut,
    cpuMsPerOp: (cpu * 1000) / result.ops,
    dbCpuMsPerOp: (dbCpu * 1000) / result.ops,
  };
}

async function bench(databases: TestDb[]): Promise<string> {
  const setupStarted = performance.now();
  const servers: BuiltServer[] = [];
  let registry: DockerRegistry | undefined;
  const pools: Pool[] = [];
  try {
    registry = await startDockerRegistry({ users: { [USER.username]: USER.password } });
    const password = basicAuth(USER.username, USER.password);
    const drPool = pool(registry.url, CLIENTS);
    pools.push(drPool);
    const contenders: Contender[] = [
      {
        name: 'docker-registry',
        url: registry.url,
        pool: drPool,
        authorization: password,
        scenarios: ['pull', 'push'],
        reference: true,
      },
    ];
    for (const db of databases) {
      const server = await startBuiltServer(db, { CHARTHOUSE_LOG_LEVEL: 'warn' });
      servers.push(server);
      const tenant = await createTenant(server, 'bench');
      const apiToken = await server.api<{ token: string }>('POST', '/api/v1/auth/tokens', {
        token: tenant.memberToken,
        body: { name: 'bench' },
      });
      if (apiToken.status !== 201) throw new Error(`API token: ${apiToken.status}`);
      const chPool = pool(server.url, CLIENTS);
      pools.push(chPool);
      const { databaseUrl } = server.storageOptions;
      const charthouse: Contender = {
        name: `charthouse (${db})`,
        url: server.url,
        pool: chPool,
        authorization: password,
        scenarios: ['pull', 'push'],
        reference: false,
        ...(databaseUrl === null ? {} : { backends: () => postgresBackendPids(databaseUrl) }),
      };
      contenders.push(charthouse, {
        ...charthouse,
        name: `charthouse (${db}), Basic user:API token`,
        authorization: basicAuth(USER.username, apiToken.body.token),
        scenarios: ['pull'],
      });
    }

    const packaged = await packageChartDir(CORPUS_CHART);
    const pulled = buildHelmArtifact({
      chartTgz: packaged.tgz,
      chartJson: packaged.metadata,
      created: '2024-06-01T00:00:00Z',
    });
    for (const c of contenders.filter((c) => c.scenarios.includes('push')))
      await pushOnce(c, prepared(pulled));
    const versions = new ChartVersions(await corpusChart());
    console.log(
      `set up in ${Math.round(performance.now() - setupStarted)} ms; pull chart ${packaged.fileName} ` +
        `${packaged.tgz.length} bytes; push versions ~${versions.artifact('0.0.0').tgz.length} bytes each`,
    );

    const results = new Map<string, Measured[]>();
    const lastRate = new Map<string, number>();
    for (const scenario of ['pull', 'push'] as const) {
      const taking = contenders.filter((c) => c.scenarios.includes(scenario));
      for (const c of taking) {
        // Warm-up: JIT, connections, caches, the database's pages.
        const warm = await measure(scenario, c, WARMUP_MS, versions, 0);
        if (warm.errors > 0) throw new Error(`${scenario} ${c.name}: ${warm.firstError}`);
        lastRate.set(`${scenario}|${c.name}`, warm.rate);
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of roundOrder(taking, round)) {
          const key = `${scenario}|${c.name}`;
          const r = await measure(scenario, c, SECONDS * 1000, versions, lastRate.get(key) ?? 1000);
          lastRate.set(key, Math.max(r.rate, lastRate.get(key) ?? 0));
          results.set(key, [...(results.get(key) ?? []), r]);
        }
      }
    }

    const rows: string[][] = [];
    for (const scenario of ['pull', 'push'] as const) {
      const taking = contenders.filter((c) => c.scenarios.includes(scenario));
      const reference = results.get(`${scenario}|${taking.find((c) => c.reference)!.name}`)!;
      taking.forEach((c, i) => {
        const rounds = results.get(`${scenario}|${c.name}`)!;
        const errors = rounds.reduce((n, r) => n + r.errors, 0);
        const notes = [
          errors > 0 ? `${errors} errors: ${rounds.find((r) => r.firstError)?.firstError}` : '',
          rounds.some((r) => r.ranOut) ? 'ran out of prepared versions' : '',
        ].filter(Boolean);
        rows.push([
          i === 0 ? `${scenario}${scenario === 'pull' ? ' (manifest+blob)' : ' (2 blobs+manifest)'}` : '',
          c.name,
          fmt.rate(median(rounds.map((r) => r.rate))),
          rounds.map((r) => fmt.rate(r.rate)).join(' / '),
          fmt.ms(median(rounds.map((r) => r.p50))),
          fmt.ms(median(rounds.map((r) => r.p95))),
          fmt.ms(median(rounds.map((r) => r.cpuMsPerOp))),
          fmt.ms(median(rounds.map((r) => r.dbCpuMsPerOp))),
          c.reference ? '' : fmt.ratio(median(rounds.map((r, k) => r.rate / reference[k]!.rate))),
          c.reference ? '' : fmt.ratio(median(rounds.map((r, k) => reference[k]!.cpuMsPerOp / r.cpuMsPerOp))),
          notes.join('; '),
        ]);
      });
    }
    const out = table(
      [
        'scenario',
        'server',
        'ops/s median',
        'per round',
        'p50 ms',
        'p95 ms',
        'server CPU ms/op',
        'PG CPU ms/op',
        'ratio CH/DR (rate)',
        'ratio by CPU/op (DR/CH)',
        '',
      ],
      rows,
    );
    // The row: pull CPU per operation, PostgreSQL against SQLite, round by round.
    const pulls = (db: TestDb) => results.get(`pull|charthouse (${db})`);
    const [onSqlite, onPostgres] = [pulls('sqlite'), pulls('postgres')];
    if (onSqlite === undefined || onPostgres === undefined) return out;
    const cpu = (rounds: Measured[]) => median(rounds.map((r) => r.cpuMsPerOp));
    const ratio = median(onPostgres.map((r, k) => r.cpuMsPerOp / onSqlite[k]!.cpuMsPerOp));
    const withDb = median(
      onPostgres.map((r, k) => (r.cpuMsPerOp + r.dbCpuMsPerOp) / onSqlite[k]!.cpuMsPerOp),
    );
    return (
      `${out}\n\npull CPU per operation (Basic password): SQLite ${fmt.ms(cpu(onSqlite))} ms, ` +
      `PostgreSQL ${fmt.ms(cpu(onPostgres))} ms = ${fmt.ratio(ratio)} SQLite's (goal < 1.5x); ` +
      `with PostgreSQL's own backends ${fmt.ms(median(onPostgres.map((r) => r.dbCpuMsPerOp)))} ms more: ${fmt.ratio(withDb)}`
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await registry?.stop();
    for (const server of servers) await server.close();
  }
}

const started = performance.now();
console.log(
  `Hosted OCI: ${CLIENTS} clients, ${ROUNDS} rounds x ${SECONDS} s per server and scenario, interleaved; ` +
    `Basic auth on all; an op is a pull (GET manifest + GET chart blob) or a push (7 requests).`,
);
const databases: TestDb[] = ['sqlite'];
if (await postgresAvailable()) databases.push('postgres');
else console.log('PostgreSQL is not reachable: skipped.');
console.log(`\n${await bench(databases)}\n`);
console.log(`Hosted OCI benchmark done in ${Math.round((performance.now() - started) / 1000)} s.`);
