/**
 * The built server (`node dist/cli/main.js serve`, what `npm start` runs) as its own process, for the
 * benchmarks: its timings are production timings (no tsx), and its memory is its own, read from
 * /proc as the kernel's peak resident set (VmHWM), worker threads included.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { StorageOptions } from '../src/storage/database.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { freePort } from '../test/support/free-port.js';
import { ADMIN, apiClient, type TestServer } from '../test/support/server.js';

export interface BuiltServer extends Pick<TestServer, 'url' | 'api' | 'adminToken' | 'logLines'> {
  /** The server's database, for benchmarks that fill it directly (open with openStorage). */
  storageOptions: StorageOptions;
  /** Peak resident memory of the server process so far, in MB. */
  peakRssMb(): number;
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

export async function startBuiltServer(
  database: 'sqlite' | 'postgres',
  env: Record<string, string> = {},
): Promise<BuiltServer> {
  if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does).');
  const dataDir = await mkdtemp(join(tmpdir(), 'charthouse-bench-'));
  const pg: TestDatabase | undefined = database === 'postgres' ? await createTestDatabase() : undefined;
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS passes Node options to the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, MAIN, 'serve'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      CHARTHOUSE_PORT: String(port),
      CHARTHOUSE_HOST: '127.0.0.1',
      CHARTHOUSE_DATA_DIR: dataDir,
      CHARTHOUSE_ADMIN_PASSWORD: ADMIN.password,
      CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'true',
      CHARTHOUSE_SYNC_SCHEDULER: 'false',
      CHARTHOUSE_LOG_LEVEL: 'info',
      ...(pg ? { CHARTHOUSE_DATABASE_URL: pg.url } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let exited: string | null = null;
  child.stdout.on('data', (chunk: Buffer) => {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  });
  child.once('exit', (code) => (exited = `the server exited (${code}): ${stderr.slice(0, 2000)}`));
  const url = `http://127.0.0.1:${port}`;
  // Ready when /readyz answers (migrations done, listening); whatever the log level.
  for (let attempt = 0; ; attempt += 1) {
    if (exited !== null) throw new Error(exited);
    const ready = await fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (attempt > 600) throw new Error('the server did not become ready within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const server: BuiltServer = {
    url,
    logLines,
    storageOptions: { databaseUrl: pg?.url ?? null, dataDir },
    adminToken: '',
    api: apiClient(url, () => server.adminToken),
    peakRssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return kb === undefined ? NaN : Number(kb) / 1024;
    },
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  const login = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
    token: null,
    body: ADMIN,
  });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status}`);
  server.adminToken = login.body.token;
  return server;
}

/**
 * Whether the PostgreSQL server for benchmark databases answers: CHARTHOUSE_TEST_DATABASE_URL, set here
 * to the local server's `postgres` database when unset (what this machine runs).
 */
export async function postgresAvailable(): Promise<boolean> {
  process.env['CHARTHOUSE_TEST_DATABASE_URL'] ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: process.env['CHARTHOUSE_TEST_DATABASE_URL'] });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The pids of the PostgreSQL backends serving `databaseUrl`'s database (this machine's server): their
 * CPU is the database's share of a request, which the server process's own CPU leaves out.
 */
export async function postgresBackendPids(databaseUrl: string): Promise<number[]> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const res = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    );
    return res.rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}
