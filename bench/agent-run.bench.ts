/**
 * Agent run benchmark (issue 14): `charthouse agent --once` over a 20-layer plan whose charts are all
 * in the agent's cache already, the whole CLI process timed (Node start, plan with If-None-Match, 20
 * cached archives checked again, 20 reports), against `node -e ''` (the floor of any Node CLI) and
 * `charthouse --version` (the CLI's own start) side by side. Goal: under 2 s.
 *
 *   npm run build && node --import tsx bench/agent-run.bench.ts
 *
 * SQLite server (the plan is what matters, not the database). 20 charts pushed to the tenant's hosted
 * registry, one published profile of 20 layers, one agent cluster; a first run fills the cache, then
 * BENCH_AGENT_RUNS (7) timed runs. Median and spread printed; nothing asserted.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { basic, chartTgz, uploadChart } from '../test/support/hosted.js';
import { createTenant } from '../test/support/server.js';
import { startBuiltServer } from './built-server.js';
import { fmt, median, table } from './load.js';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const LAYERS = 20;
const RUNS = Number(process.env['BENCH_AGENT_RUNS'] ?? 7);

function timed(args: string[]): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', HOME: tmpdir() },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, stderr }));
  });
}

const server = await startBuiltServer('sqlite');
const work = await mkdtemp(join(tmpdir(), 'charthouse-agent-bench-'));
try {
  const tenant = await createTenant(server, 'bench');
  const layers = [];
  for (let i = 0; i < LAYERS; i++) {
    const name = `svc-${String(i).padStart(2, '0')}`;
    const pushed = await uploadChart(server.url, 'bench', chartTgz(name, '1.0.0'), basic('bench-admin'));
    if (pushed.status !== 201) throw new Error(`push ${name}: ${pushed.status}`);
    layers.push({
      name,
      registry: 'hosted',
      chart: name,
      version: '1.0.0',
      namespace: 'apps',
      values: `replicas: ${i + 1}\n`,
    });
  }
  const created = await server.api('POST', '/api/v1/tenants/bench/profiles', {
    token: tenant.adminToken,
    body: { name: 'stack', layers },
  });
  if (created.status !== 201) throw new Error(`profile: ${JSON.stringify(created.body)}`);
  await server.api('POST', '/api/v1/tenants/bench/profiles/stack/versions/1.0.0/publish', {
    token: tenant.adminToken,
  });
  const cluster = await server.api<{ agentToken: string }>('POST', '/api/v1/tenants/bench/clusters', {
    token: tenant.adminToken,
    body: { name: 'edge', mode: 'agent', profiles: [{ profile: 'stack', version: '1.0.0' }] },
  });
  const tokenFile = join(work, 'token');
  await writeFile(tokenFile, cluster.body.agentToken, { mode: 0o600 });
  const agentArgs = [
    MAIN,
    'agent',
    '--server',
    server.url,
    '--token-file',
    tokenFile,
    '--once',
    '--work-dir',
    join(work, 'w'),
  ];
  const first = await timed(agentArgs);
  if (first.code !== 0) throw new Error(`first agent run failed: ${first.stderr}`);
  const results: Record<string, number[]> = { floor: [], version: [], agent: [] };
  for (let i = 0; i < RUNS; i++) {
    results.floor!.push((await timed(['-e', ''])).ms);
    results.version!.push((await timed([MAIN, '--version'])).ms);
    const run = await timed(agentArgs);
    if (run.code !== 0 || !/cached/.test(run.stderr))
      throw new Error(`cached agent run failed: ${run.stderr}`);
    results.agent!.push(run.ms);
  }
  const row = (what: string, xs: number[]): string[] => [
    what,
    fmt.ms(median(xs)),
    fmt.ms(Math.min(...xs)),
    fmt.ms(Math.max(...xs)),
  ];
  process.stdout.write(
    `\nagent --once over a ${LAYERS}-layer plan, every chart cached (${RUNS} runs; first uncached run ${fmt.ms(first.ms)} ms)\n`,
  );
  process.stdout.write(
    `${table(
      ['command', 'median ms', 'min', 'max'],
      [
        row("node -e ''", results.floor!),
        row('charthouse --version', results.version!),
        row('charthouse agent --once (cached)', results.agent!),
      ],
    )}\n`,
  );
  process.stdout.write(
    `goal: under 2000 ms; ratio to the CLI's own start: ${(median(results.agent!) / median(results.version!)).toFixed(2)}x\n`,
  );
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}
