/**
 * Agents benchmark (issue 14): 1,000 simulated `charthouse agent`s against ONE server process, each
 * heartbeating every 30 s (`POST /api/v1/agent/heartbeat`) and polling its plan every 30 s with
 * If-None-Match (`GET /api/v1/agent/plan` → 304), as thousands of real agents would.
 *
 *   npm run build && node --import tsx bench/agents.bench.ts
 *
 * SQLite, then PostgreSQL (CHARTHOUSE_TEST_DATABASE_URL, by default the local server's `postgres`
 * database; skipped when unreachable). The server is the built one in its own process
 * (bench/built-server.ts, logging at warn), so its CPU, read from /proc (utime + stime of the process
 * listening on its port, every thread), is the server's alone and not the load generator's.
 *
 * Per database: a tenant; a classic registry on a local fixture repository with four charts, synced; a
 * published profile of four layers (two with `{{ .Variables.X }}` references, one depending on
 * another); 1,000 agent clusters created through the API (`POST .../clusters`, each with its own
 * variable values, so no two plans are the same bytes), each with its own agent token. Every agent
 * then fetches its plan once (200, the ETag kept; timed, printed apart: the cold path).
 *
 * The steady load is open-loop, as real agents are: each agent has its own keep-alive connection (an
 * undici Client; the server keeps idle connections 72 s, longer than the period, so the 1,000 sockets
 * stay open), and fires its heartbeat and its poll each every PERIOD at its own random phases, whatever
 * the server's latency; the load is spread evenly from the first second (1,000 × 2 / 30 s ≈ 67
 * requests/s). Latency is client-side (request sent → last body byte). The server's CPU over the
 * window is shown as a percentage of one core. Then the floor: the same number of virtual clients at
 * the same rate, each with its own connection, on `GET /api/v1/me` with a member's token (authenticated,
 * reads next to nothing), over a shorter window.
 *
 * Settings (environment): BENCH_AGENTS (1000), BENCH_AGENTS_SECONDS (90: three polls per agent),
 * BENCH_FLOOR_SECONDS (30), BENCH_AGENTS_PERIOD_SECONDS (30). With the defaults the whole file runs in
 * about six minutes on the 2-core machine. Asserts nothing but the answers' statuses.
 * Goals (issue 14): p95 < 20 ms, server CPU < 25 % of one core.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import type { AgentPlan } from '../src/client/api-client.js';
import { startChartRepo, type ChartRepo } from '../test/support/chart-repo.js';
import { createTenant, type TestDb } from '../test/support/server.js';
import { postgresAvailable, startBuiltServer, type BuiltServer } from './built-server.js';
import { fmt, header, median, percentile, send, table, type Answer } from './load.js';
import { cpuSeconds, listeningPids } from './proc.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${raw}`);
  return n;
}

const AGENTS = Math.round(envNumber('BENCH_AGENTS', 1000));
const LOAD_MS = envNumber('BENCH_AGENTS_SECONDS', 90) * 1000;
const FLOOR_MS = envNumber('BENCH_FLOOR_SECONDS', 30) * 1000;
const PERIOD_MS = envNumber('BENCH_AGENTS_PERIOD_SECONDS', 30) * 1000;
/** Concurrent requests while setting up (cluster creates, first plan fetches). */
const SETUP_CONCURRENCY = 8;
const TENANT = 'bench';

const CHARTS = [
  { name: 'ingress', version: '4.11.0' },
  { name: 'certs', version: '1.15.1' },
  { name: 'metrics', version: '0.7.2' },
  { name: 'logs', version: '2.3.0' },
];

const PROFILE = {
  name: 'edge',
  version: '1.0.0',
  variables: [
    { name: 'CLUSTER', type: 'string', required: true },
    { name: 'REPLICAS', type: 'number', default: 2 },
  ],
  layers: [
    {
      name: 'certs',
      registry: 'upstream',
      chart: 'certs',
      version: '1.15.1',
      namespace: 'certs',
      createNamespace: true,
    },
    {
      name: 'ingress',
      registry: 'upstream',
      chart: 'ingress',
      version: '4.11.0',
      namespace: 'ingress',
      createNamespace: true,
      dependsOn: ['certs'],
      values: 'replicaCount: {{ .Variables.REPLICAS }}\n',
    },
    {
      name: 'metrics',
      registry: 'upstream',
      chart: 'metrics',
      versionConstraint: '~0.7',
      namespace: 'monitoring',
      values: 'clusterName: "{{ .Variables.CLUSTER }}"\n',
    },
    { name: 'logs', registry: 'upstream', chart: 'logs', version: '2.3.0', namespace: 'monitoring' },
  ],
};

interface Agent {
  token: string;
  etag: string;
  /** The plan revision it works on, which its heartbeat names. */
  revision: number;
  client: Client;
}

/** Runs `work` over `items` with at most `limit` in flight; returns each one's duration in ms. */
async function inBatches<T>(items: T[], limit: number, work: (item: T, i: number) => Promise<void>) {
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        const t0 = performance.now();
        await work(items[i]!, i);
        durations.push(performance.now() - t0);
      }
    }),
  );
  return durations.sort((a, b) => a - b);
}

async function setUp(server: BuiltServer, repo: ChartRepo, db: TestDb) {
  const tenant = await createTenant(server, TENANT);
  const admin = { token: tenant.adminToken };
  const registries = `/api/v1/tenants/${TENANT}/registries/helm`;
  const added = await server.api('POST', registries, {
    ...admin,
    body: { name: 'upstream', endpoint: repo.url },
  });
  if (added.status !== 201) throw new Error(`registry: ${added.status} ${JSON.stringify(added.body)}`);
  const sync = await server.api<{ run: { id: string } }>('POST', `${registries}/upstream/sync`, admin);
  if (sync.status !== 202) throw new Error(`sync: ${sync.status} ${JSON.stringify(sync.body)}`);
  for (const started = performance.now(); ;) {
    const runs = await server.api<{ items: Array<{ id: string; status: string }> }>(
      'GET',
      `${registries}/upstream/syncs?limit=5`,
      admin,
    );
    const run = runs.body.items.find((r) => r.id === sync.body.run.id);
    if (run && run.status !== 'running') {
      if (run.status !== 'succeeded') throw new Error(`sync ${run.status}`);
      break;
    }
    if (performance.now() - started > 60_000) throw new Error('the sync did not finish within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const profiles = `/api/v1/tenants/${TENANT}/profiles`;
  const created = await server.api('POST', profiles, { ...admin, body: PROFILE });
  if (created.status !== 201) throw new Error(`profile: ${created.status} ${JSON.stringify(created.body)}`);
  const published = await server.api(
    'POST',
    `${profiles}/${PROFILE.name}/versions/${PROFILE.version}/publish`,
    admin,
  );
  if (published.status !== 200)
    throw new Error(`publish: ${published.status} ${JSON.stringify(published.body)}`);

  // The clusters, through the API as a tenant administrator would make them.
  const tokens: string[] = new Array<string>(AGENTS);
  const names = Array.from({ length: AGENTS }, (_, i) => `site-${String(i).padStart(4, '0')}`);
  const createMs = await inBatches(names, SETUP_CONCURRENCY, async (name, i) => {
    const res = await server.api<{ agentToken: string | null }>(
      'POST',
      `/api/v1/tenants/${TENANT}/clusters`,
      {
        ...admin,
        body: {
          name,
          mode: 'agent',
          profiles: [
            {
              profile: PROFILE.name,
              version: PROFILE.version,
              variables: { CLUSTER: name, REPLICAS: 1 + (i % 3) },
            },
          ],
        },
      },
    );
    if (res.status !== 201 || !res.body.agentToken)
      throw new Error(`cluster ${name}: ${res.status} ${JSON.stringify(res.body).slice(0, 600)}`);
    tokens[i] = res.body.agentToken;
  });
  console.log(
    `${db}: ${AGENTS} agent clusters created through the API (${SETUP_CONCURRENCY} at a time): median ${fmt.ms(median(createMs))} ms, p95 ${fmt.ms(percentile(createMs, 95))} ms each`,
  );
  return { tokens, memberToken: tenant.memberToken };
}

/** The first plan of every agent (200), keeping its ETag: the cold path, timed apart. */
async function firstPlans(
  server: BuiltServer,
  tokens: string[],
): Promise<{ agents: Agent[]; ms: number[]; bytes: number }> {
  const agents: Agent[] = tokens.map((token) => ({
    token,
    etag: '',
    revision: 0,
    client: new Client(server.url, { keepAliveTimeout: 4 * PERIOD_MS, pipelining: 1 }),
  }));
  let bytes = 0;
  const ms = await inBatches(agents, SETUP_CONCURRENCY, async (agent) => {
    const answer = await send(
      agent.client,
      'GET',
      '/api/v1/agent/plan',
      { authorization: `Bearer ${agent.token}` },
      { keep: true },
    );
    if (answer.status !== 200) throw new Error(`first plan: HTTP ${answer.status}`);
    const etag = header(answer, 'etag');
    if (!etag) throw new Error('the plan came without an ETag');
    agent.etag = etag;
    agent.revision = (JSON.parse(answer.body.toString('utf8')) as AgentPlan).revision;
    bytes = answer.bytes;
  });
  return { agents, ms, bytes };
}

interface Stream {
  what: string;
  latencies: number[];
  errors: number;
  firstError: string | null;
}

const stream = (what: string): Stream => ({ what, latencies: [], errors: 0, firstError: null });

/**
 * Open-loop load: every client fires each of its operations once per PERIOD at its own random phase
 * until `durationMs` has passed, whatever the latency. Returns when the last request has answered, and
 * the server CPU seconds spent from the first scheduled request to the last answer.
 */
async function openLoop(
  port: number,
  clients: number,
  durationMs: number,
  ops: Array<{ stream: Stream; run: (client: number) => Promise<void> }>,
): Promise<{ seconds: number; cpu: number }> {
  const pids = listeningPids(port);
  if (pids.length === 0) throw new Error(`no process listens on port ${port}`);
  const cpuBefore = cpuSeconds(pids);
  const started = performance.now();
  const end = started + durationMs;
  const tasks: Array<Promise<void>> = [];
  for (let c = 0; c < clients; c++) {
    for (const op of ops) {
      tasks.push(
        (async () => {
          for (let at = started + Math.random() * PERIOD_MS; at < end; at += PERIOD_MS) {
            const wait = at - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            const t0 = performance.now();
            try {
              await op.run(c);
              op.stream.latencies.push(performance.now() - t0);
            } catch (err) {
              op.stream.errors++;
              op.stream.firstError ??= (err as Error).message;
            }
          }
        })(),
      );
    }
  }
  await Promise.all(tasks);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpu: cpuSeconds(pids) - cpuBefore };
}

function expect(answer: Answer, statuses: number[], what: string): void {
  if (!statuses.includes(answer.status)) throw new Error(`${what}: HTTP ${answer.status}`);
}

function row(s: Stream, seconds: number, cpuPercent?: number): string[] {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  return [
    s.what,
    String(sorted.length),
    fmt.rate(sorted.length / seconds),
    fmt.ms(percentile(sorted, 50)),
    fmt.ms(percentile(sorted, 95)),
    fmt.ms(percentile(sorted, 99)),
    fmt.ms(sorted.at(-1) ?? NaN),
    cpuPercent === undefined ? '' : `${cpuPercent.toFixed(1)} %`,
    s.errors === 0 ? '0' : `${s.errors} (${s.firstError ?? ''})`,
  ];
}

async function main(db: TestDb, repo: ChartRepo): Promise<void> {
  const server = await startBuiltServer(db, { CHARTHOUSE_LOG_LEVEL: 'warn' });
  const port = Number(new URL(server.url).port);
  let agents: Agent[] = [];
  const floorClients: Client[] = [];
  try {
    const { tokens, memberToken } = await setUp(server, repo, db);
    const first = await firstPlans(server, tokens);
    agents = first.agents;
    console.log(
      `${db}: first plan of each agent (200, ${first.bytes} bytes, ${SETUP_CONCURRENCY} at a time): median ${fmt.ms(median(first.ms))} ms, p95 ${fmt.ms(percentile(first.ms, 95))} ms`,
    );

    const heartbeat = stream('agent heartbeat (POST, 2xx)');
    const poll = stream('agent plan poll (If-None-Match → 304)');
    const heartbeatBodies = agents.map((a) =>
      Buffer.from(JSON.stringify({ agentVersion: 'bench', planRevision: a.revision })),
    );
    const agentLoad = await openLoop(port, agents.length, LOAD_MS, [
      {
        stream: heartbeat,
        run: async (c) => {
          const a = agents[c]!;
          expect(
            await send(
              a.client,
              'POST',
              '/api/v1/agent/heartbeat',
              {
                authorization: `Bearer ${a.token}`,
                'content-type': 'application/json',
              },
              { body: heartbeatBodies[c]! },
            ),
            [200, 202, 204],
            'heartbeat',
          );
        },
      },
      {
        stream: poll,
        run: async (c) => {
          const a = agents[c]!;
          expect(
            await send(a.client, 'GET', '/api/v1/agent/plan', {
              authorization: `Bearer ${a.token}`,
              'if-none-match': a.etag,
            }),
            [304],
            'plan poll',
          );
        },
      },
    ]);
    const both: Stream = {
      what: 'agents: both together',
      latencies: [...heartbeat.latencies, ...poll.latencies],
      errors: heartbeat.errors + poll.errors,
      firstError: heartbeat.firstError ?? poll.firstError,
    };
    const agentCpu = (agentLoad.cpu / agentLoad.seconds) * 100;

    // The floor: as many clients, the same rate, each its own connection, on GET /api/v1/me.
    for (let i = 0; i < agents.length; i++)
      floorClients.push(new Client(server.url, { keepAliveTimeout: 4 * PERIOD_MS, pipelining: 1 }));
    const floor = stream('floor: GET /api/v1/me (member token)');
    const me = async (c: number): Promise<void> => {
      expect(
        await send(floorClients[c]!, 'GET', '/api/v1/me', { authorization: `Bearer ${memberToken}` }),
        [200],
        'me',
      );
    };
    // Each client's first request opens its connection (the agents' were opened by their first plan).
    await inBatches(floorClients, SETUP_CONCURRENCY, async (_, i) => me(i));
    const floorLoad = await openLoop(port, floorClients.length, FLOOR_MS, [
      { stream: floor, run: me },
      { stream: floor, run: me },
    ]);
    const floorCpu = (floorLoad.cpu / floorLoad.seconds) * 100;

    console.log(
      `${db}: ${agents.length} agents, a heartbeat and a poll each per ${PERIOD_MS / 1000} s, for ${fmt.rate(agentLoad.seconds)} s; floor for ${fmt.rate(floorLoad.seconds)} s (load average ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} CPUs; server peak RSS ${Math.round(server.peakRssMb())} MB)`,
    );
    console.log(
      table(
        ['request', 'n', 'per s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'server CPU (1 core)', 'errors'],
        [
          row(heartbeat, agentLoad.seconds),
          row(poll, agentLoad.seconds),
          row(both, agentLoad.seconds, agentCpu),
          row(floor, floorLoad.seconds, floorCpu),
        ],
      ),
    );
    const p95 = percentile(
      [...both.latencies].sort((a, b) => a - b),
      95,
    );
    console.log(
      `${db}: agents p95 ${fmt.ms(p95)} ms (goal < 20 ms), server CPU ${agentCpu.toFixed(1)} % of one core (goal < 25 %)\n`,
    );
  } finally {
    await Promise.all([...agents.map((a) => a.client.close()), ...floorClients.map((c) => c.close())]);
    await server.close();
  }
}

const repo = await startChartRepo(CHARTS);
try {
  await main('sqlite', repo);
  if (await postgresAvailable()) await main('postgres', repo);
  else console.log('PostgreSQL is not reachable: skipped.');
} finally {
  await repo.close();
}
