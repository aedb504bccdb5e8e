/**
 * End-to-end sync of a large classic repository, as issue 4 measures it: the 20,000-version index from
 * ../shared/tools/gen-index.mjs served by a local HTTP server (with an ETag), synced through the built
 * server running as its own process ("Sync now" until the run finishes), into SQLite and then into
 * PostgreSQL (CHARTHOUSE_TEST_DATABASE_URL, by default the local server's `postgres` database; skipped
 * when unreachable). Side by side in the same run: js-yaml alone on the same bytes.
 *
 *   npm run build && node --import tsx bench/sync.bench.ts [--runs 3]
 *
 * Prints medians, from "Sync now" until the finished run is visible through the API: first sync (YAML
 * and JSON forms), unchanged re-sync, one new version; the slowest /healthz answer while a first sync
 * runs, and the server process's peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { startFixtureServer } from '../test/support/fixture-servers.js';
import { createTenant } from '../test/support/server.js';
import { postgresAvailable, startBuiltServer, type BuiltServer } from './built-server.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, db: { type: 'string', default: 'both' } },
});
const RUNS = Number(args.runs);
const generator =
  process.env['GEN_INDEX'] ?? fileURLToPath(new URL('../../shared/tools/gen-index.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'charthouse-sync-bench-'));

function generate(format: 'yaml' | 'json'): Buffer {
  const out = join(dir, `index-${format}.yaml`);
  execFileSync(process.execPath, [generator, '--format', format, '--out', out], { stdio: 'ignore' });
  return readFileSync(out);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (n: number): string => `${n.toFixed(0)} ms`;

/** A repository whose index can be swapped, answering If-None-Match like a CDN. */
function repository(body: Buffer) {
  const state = { body };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const etag = `"${createHash('sha256').update(state.body).digest('hex').slice(0, 20)}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res
      .writeHead(200, { 'content-type': 'text/yaml', 'content-length': state.body.length, etag })
      .end(state.body);
  };
  return { state, handler };
}

type Run = {
  id: string;
  status: string;
  added: number;
  updated: number;
  removed: number;
  error: string | null;
};

async function syncAndWait(
  server: BuiltServer,
  token: string,
  base: string,
): Promise<{ run: Run; ms: number; slowestHealthMs: number }> {
  let slowestHealthMs = 0;
  let done = false;
  // The API must keep answering while the index is parsed (in a worker) and written.
  const prober = (async () => {
    while (!done) {
      const t = performance.now();
      await fetch(`${server.url}/healthz`);
      slowestHealthMs = Math.max(slowestHealthMs, performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  const res = await server.api<{ run: Run }>('POST', `${base}/sync`, { token });
  if (res.status !== 202) throw new Error(`sync refused: ${res.status} ${JSON.stringify(res.body)}`);
  for (;;) {
    const runs = await server.api<{ items: Run[] }>('GET', `${base}/syncs?limit=1`, { token });
    const run = runs.body.items[0];
    if (run && run.id === res.body.run.id && run.status !== 'running') {
      // From "Sync now" until a client can see the finished run: end to end, at most one polling
      // interval late (2 ms for the first 100 ms, when a re-sync ends, then 10 ms). (The run's own finishedAt is taken inside its transaction, before the
      // commit and the WAL checkpoint that follows it, so it would flatter the figure.)
      const elapsed = performance.now() - started;
      done = true;
      await prober;
      return { run, ms: elapsed, slowestHealthMs };
    }
    await new Promise((r) => setTimeout(r, performance.now() - started < 100 ? 2 : 10));
  }
}

async function benchDatabase(
  label: 'sqlite' | 'postgres',
  yamlBody: Buffer,
  jsonBody: Buffer,
): Promise<Record<string, string>> {
  const server = await startBuiltServer(label);
  const tenant = await createTenant(server, 'bench');
  const repo = repository(yamlBody);
  const json = repository(jsonBody);
  const upstream = await startFixtureServer({ '/r/index.yaml': repo.handler, '/j/index.yaml': json.handler });
  const first: number[] = [];
  const firstJson: number[] = [];
  const resync: number[] = [];
  const oneNew: number[] = [];
  let slowestHealth = 0;
  let oneNewWritten = -1;
  let peakRss = NaN;
  try {
    for (let i = 0; i < RUNS; i += 1) {
      for (const [name, path, into] of [
        [`y${i}`, '/r', first],
        [`j${i}`, '/j', firstJson],
      ] as const) {
        const add = await server.api('POST', '/api/v1/tenants/bench/registries/helm', {
          token: tenant.adminToken,
          body: { name, endpoint: `${upstream.url}${path}` },
        });
        if (add.status !== 201) throw new Error(`add: ${add.status} ${JSON.stringify(add.body)}`);
        const base = `/api/v1/tenants/bench/registries/helm/${name}`;
        const r = await syncAndWait(server, tenant.adminToken, base);
        if (r.run.status !== 'succeeded') throw new Error(`first sync: ${JSON.stringify(r.run)}`);
        into.push(r.ms);
        slowestHealth = Math.max(slowestHealth, r.slowestHealthMs);
      }
      const base = `/api/v1/tenants/bench/registries/helm/y${i}`;
      const again = await syncAndWait(server, tenant.adminToken, base);
      if (again.run.status !== 'unchanged') throw new Error(`re-sync: ${JSON.stringify(again.run)}`);
      resync.push(again.ms);
      repo.state.body = Buffer.from(
        yamlBody
          .toString('utf8')
          .replace(
            /^entries:\n/m,
            `entries:\n  zz-bench-${i}:\n  - apiVersion: v2\n    name: zz-bench-${i}\n    version: 0.1.0\n    urls: [zz-bench-${i}-0.1.0.tgz]\n`,
          ),
      );
      const added = await syncAndWait(server, tenant.adminToken, base);
      oneNew.push(added.ms);
      oneNewWritten = added.run.added + added.run.updated + added.run.removed;
      repo.state.body = yamlBody;
    }
  } finally {
    // Where the first syncs spent their time (the engine logs milliseconds per stage).
    for (const line of server.logLines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; stages?: Record<string, number>; added?: number };
      if (entry.msg === 'sync finished' && entry.stages && (entry.added ?? 0) > 1000) {
        console.log(`stages of a first sync (${label}): ${JSON.stringify(entry.stages)}`);
      }
    }
    peakRss = server.peakRssMb();
    await Promise.all([server.close(), upstream.close()]);
  }
  return {
    database: label,
    'first sync (YAML)': ms(median(first)),
    'first sync (JSON)': ms(median(firstJson)),
    'unchanged re-sync': ms(median(resync)),
    'one new version': `${ms(median(oneNew))} (${oneNewWritten} row written)`,
    'slowest /healthz during sync': ms(slowestHealth),
    'server peak RSS': `${peakRss.toFixed(0)} MB`,
  };
}

const yamlBody = generate('yaml');
const jsonBody = generate('json');
const yamlTimes: number[] = [];
for (let i = 0; i < RUNS; i += 1) {
  const t = performance.now();
  yaml.load(yamlBody.toString('utf8'));
  yamlTimes.push(performance.now() - t);
}
console.log(
  `index: ${(yamlBody.length / 1e6).toFixed(1)} MB YAML, ${(jsonBody.length / 1e6).toFixed(1)} MB JSON, 20,000 versions`,
);
console.log(`js-yaml alone (median of ${RUNS}): ${ms(median(yamlTimes))}`);
const rows = args.db === 'postgres' ? [] : [await benchDatabase('sqlite', yamlBody, jsonBody)];
if (args.db === 'sqlite') console.log('PostgreSQL not asked for (--db sqlite).');
else if (await postgresAvailable()) rows.push(await benchDatabase('postgres', yamlBody, jsonBody));
else console.log('PostgreSQL is not reachable: its row is skipped.');
console.table(rows);
for (const row of rows) {
  console.log(
    `ratio first sync (${row['database']}) / js-yaml alone: ` +
      `${(Number.parseFloat(row['first sync (YAML)'] ?? '0') / median(yamlTimes)).toFixed(2)}x`,
  );
}
rmSync(dir, { recursive: true, force: true });
