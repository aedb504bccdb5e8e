/**
 * The built server (`node dist/cli/main.js serve`, what `npm start` runs) as its own process, for the
 * benchmarks: its timings are production timings (no tsx), and its memory is its own, read from
 * /proc as the kernel's peak resident set (VmHWM), worker threads included.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StorageOptions } from '../src/storage/database.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { freePort } from '../test/support/free-port.js';
import { spawnBuilt, waitReady } from '../test/support/cluster/built-process.js';
import { ADMIN, apiClient, type TestServer } from '../test/support/server.js';

export interface BuiltServer extends Pick<TestServer, 'url' | 'api' | 'adminToken' | 'logLines'> {
  /** The server's database, for benchmarks that fill it directly (open with openStorage). */
  storageOptions: StorageOptions;
  /** Peak resident memory of the server process so far, in MB. */
  peakRssMb(): number;
  close(): Promise<void>;
}

export async function startBuiltServer(
  database: 'sqlite' | 'postgres',
  env: Record<string, string> = {},
): Promise<BuiltServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'charthouse-bench-'));
  const pg: TestDatabase | undefined = database === 'postgres' ? await createTestDatabase() : undefined;
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS passes Node options to the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const proc = spawnBuilt(
    {
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
    { nodeArgs },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, proc);
  const child = proc.child;
  const logLines = proc.logLines;
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
      child.kill('SIGTERM');
      await proc.exit;
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
