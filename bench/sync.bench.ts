/**
 * End-to-end sync of a large classic repository, as issue 4 measures it: the 20,000-version index from
 * ../shared/tools/gen-index.mjs served by a local HTTP server (with an ETag), synced through the built
 * server running as its own process ("Sync now" until the run finishes), into SQLite and then into
 * PostgreSQL (CHARTHOUSE_TEST_DATABASE_URL, by default the local server's `postgres` database; skipped
 * when unreachable). Side by side in the same run: js-yaml alone on the same bytes.
 *
 *   npm run build && node --import tsx bench/sync.bench.ts [--runs 3]
 *
 * Prints medians, from "Sync now" until the finished run is visible through the API: first sync on a
 * warm server (YAML and JSON forms) and on a freshly started server process, unchanged re-sync, one new
 * version; the slowest /healthz answer while a first sync runs, and the peak RSS (VmHWM) of every
 * server process the bench started. The reference is js-yaml with FAILSAFE_SCHEMA (every scalar a
 * string, as Charthouse keeps them) on the same bytes in this process, warm, one parse just before each
 * first sync so that background load hits both alike; each first sync is given as a ratio to it.
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

/** js-yaml on the index bytes with every scalar a string: the reference a first sync is compared to. */
function failsafeParse(body: Buffer): number {
  const t = performance.now();
  yaml.load(body.toString('utf8'), { schema: yaml.FAILSAFE_SCHEMA });
  return performance.now() - t;
}

/** Median of the per-pair ratios (each sync over the reference parse measured just before it). */
const ratio = (times: number[], references: number[]): string =>
  `${median(times.map((t, i) => t / (references[i] ?? NaN))).toFixed(2)}x`;

async function addRegistry(
  server: BuiltServer,
  token: string,
  name: string,
  endpoint: string,
): Promise<string> {
  const add = await server.api('POST', '/api/v1/tenants/bench/registries/helm', {
    token,
    body: { name, endpoint },
  });
  if (add.status !== 201) throw new Error(`add: ${add.status} ${JSON.stringify(add.body)}`);
  return `/api/v1/tenants/bench/registries/helm/${name}`;
}

/** Where each sync that wrote spent its time (the engine logs milliseconds per stage). */
function printStages(server: BuiltServer, label: string): void {
  for (const line of server.logLines) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; stages?: Record<string, number>; added?: number };
    if (entry.msg === 'sync finished' && entry.stages) {
      const what = (entry.added ?? 0) > 1000 ? 'a first sync' : 'a re-sync';
      console.log(`stages of ${what} (${label}): ${JSON.stringify(entry.stages)}`);
    }
  }
}

async function benchDatabase(
  label: 'sqlite' | 'postgres',
  yamlBody: Buffer,
  jsonBody: Buffer,
): Promise<Record<string, string>> {
  const repo = repository(yamlBody);
  const json = repository(jsonBody);
  const fixed = repository(yamlBody);
  const upstream = await startFixtureServer({
    '/r/index.yaml': repo.handler,
    '/j/index.yaml': json.handler,
    '/f/index.yaml': fixed.handler,
  });
  const reference: number[] = [];
  const first: number[] = [];
  const freshReference: number[] = [];
  const fresh: number[] = [];
  const firstJson: number[] = [];
  const resync: number[] = [];
  const oneNew: number[] = [];
  let slowestHealth = 0;
  let oneNewWritten = -1;
  let peakRss = 0;
  try {
    // A freshly started server process each time: its workers, modules and JIT start cold.
    for (let i = 0; i < RUNS; i += 1) {
      const server = await startBuiltServer(label);
      try {
        const tenant = await createTenant(server, 'bench');
        const base = await addRegistry(server, tenant.adminToken, `fresh${i}`, `${upstream.url}/f`);
        freshReference.push(failsafeParse(yamlBody));
        const r = await syncAndWait(server, tenant.adminToken, base);
        if (r.run.status !== 'succeeded') throw new Error(`fresh first sync: ${JSON.stringify(r.run)}`);
        fresh.push(r.ms);
        // The engine logs the sync just after the run is visible.
        for (
          let wait = 0;
          wait < 100 && !server.logLines.some((l) => l.includes('sync finished'));
          wait += 1
        ) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        printStages(server, `${label}, fresh process`);
      } finally {
        peakRss = Math.max(peakRss, server.peakRssMb());
        await server.close();
      }
    }
    const server = await startBuiltServer(label);
    try {
      const tenant = await createTenant(server, 'bench');
      for (let i = 0; i < RUNS; i += 1) {
        const base = await addRegistry(server, tenant.adminToken, `y${i}`, `${upstream.url}/r`);
        reference.push(failsafeParse(yamlBody));
        const r = await syncAndWait(server, tenant.adminToken, base);
        if (r.run.status !== 'succeeded') throw new Error(`first sync: ${JSON.stringify(r.run)}`);
        first.push(r.ms);
        slowestHealth = Math.max(slowestHealth, r.slowestHealthMs);
        const jsonBase = await addRegistry(server, tenant.adminToken, `j${i}`, `${upstream.url}/j`);
        const j = await syncAndWait(server, tenant.adminToken, jsonBase);
        if (j.run.status !== 'succeeded') throw new Error(`first sync (JSON): ${JSON.stringify(j.run)}`);
        firstJson.push(j.ms);
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
        if (added.run.status !== 'succeeded')
          throw new Error(`one new version: ${JSON.stringify(added.run)}`);
        oneNew.push(added.ms);
        oneNewWritten = added.run.added + added.run.updated + added.run.removed;
        repo.state.body = yamlBody;
      }
      printStages(server, label);
    } finally {
      peakRss = Math.max(peakRss, server.peakRssMb());
      await server.close();
    }
  } finally {
    await upstream.close();
  }
  return {
    database: label,
    'js-yaml FAILSAFE': ms(median([...reference, ...freshReference])),
    'first sync, warm server': `${ms(median(first))} = ${ratio(first, reference)}`,
    'first sync, fresh process': `${ms(median(fresh))} = ${ratio(fresh, freshReference)}`,
    'first sync (JSON)': ms(median(firstJson)),
    'unchanged re-sync': ms(median(resync)),
    'one version added': `${ms(median(oneNew))} (${oneNewWritten} row written)`,
    'slowest /healthz': ms(slowestHealth),
    'server peak RSS': `${peakRss.toFixed(0)} MB`,
  };
}

const yamlBody = generate('yaml');
const jsonBody = generate('json');
// Warm js-yaml up in this process first: the reference is a warm parse.
failsafeParse(yamlBody);
console.log(
  `index: ${(yamlBody.length / 1e6).toFixed(1)} MB YAML, ${(jsonBody.length / 1e6).toFixed(1)} MB JSON, 20,000 versions; ` +
    `${RUNS} runs of each, medians`,
);
const rows = args.db === 'postgres' ? [] : [await benchDatabase('sqlite', yamlBody, jsonBody)];
if (args.db === 'sqlite') console.log('PostgreSQL not asked for (--db sqlite).');
else if (await postgresAvailable()) rows.push(await benchDatabase('postgres', yamlBody, jsonBody));
else console.log('PostgreSQL is not reachable: its row is skipped.');
// One column per database, one line per figure: the table.
const table: Record<string, Record<string, string>> = {};
for (const row of rows) {
  for (const [figure, value] of Object.entries(row)) {
    if (figure === 'database') continue;
    (table[figure] ??= {})[row['database'] ?? '?'] = value;
  }
}
console.table(table);
rmSync(dir, { recursive: true, force: true });
