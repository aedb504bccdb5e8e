import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.js';
import type { SyncRunView } from '../../src/sync/sync.schema.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { waitFor } from './wait.js';

export type TestDb = 'sqlite' | 'postgres';

/** The database the suite runs against, chosen by the test command (`CHARTHOUSE_TEST_DB`). */
export const TEST_DB: TestDb = process.env.CHARTHOUSE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';

export const ADMIN = { username: 'admin', password: 'admin-password-for-tests' };

export interface TestServer {
  url: string;
  app: App;
  dataDir: string;
  /** Every log line the server wrote, parsed: tests look for leaked secrets here. */
  logLines: string[];
  /** A session token for the bootstrap system administrator. */
  adminToken: string;
  api<T = unknown>(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * Start the real server on a random port over a fresh database (SQLite file in a temp folder, or a
 * new PostgreSQL database unless `env` names one), exactly as `charthouse serve` wires it. Private endpoints are allowed
 * because every upstream in the tests listens on 127.0.0.1.
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-test-'));
  let pg: TestDatabase | undefined;
  // A test that brings its own database (its own PostgreSQL cluster) names it in `env`.
  if (TEST_DB === 'postgres' && env.CHARTHOUSE_DATABASE_URL === undefined) pg = await createTestDatabase();
  const config = loadConfig({
    CHARTHOUSE_PORT: '0',
    CHARTHOUSE_HOST: '127.0.0.1',
    CHARTHOUSE_DATA_DIR: dataDir,
    CHARTHOUSE_ADMIN_PASSWORD: ADMIN.password,
    CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'true',
    CHARTHOUSE_LOG_LEVEL: 'debug',
    CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '3000',
    CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '1500',
    CHARTHOUSE_LOGIN_RATE_LIMIT: '1000',
    // Tests start syncs themselves (Sync now); a background scheduler would contact their fixtures.
    CHARTHOUSE_SYNC_SCHEDULER: 'false',
    ...(pg ? { CHARTHOUSE_DATABASE_URL: pg.url } : {}),
    ...env,
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const app = await createApp(config, createLogger(config.logLevel, config.nodeId, sink));
  const address = await app.listen();
  const url = address.replace('0.0.0.0', '127.0.0.1');

  const api = apiClient(url, () => server.adminToken);

  const server: TestServer = {
    url,
    app,
    dataDir,
    logLines,
    adminToken: '',
    api,
    close: async () => {
      await app.close();
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  const login = await api<{ token: string }>('POST', '/api/v1/auth/login', { token: null, body: ADMIN });
  if (login.status !== 200)
    throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
  server.adminToken = login.body.token;
  return server;
}

/** `charthouse serve` in a process of its own (see {@link startServerProcess}). */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** A session token for the bootstrap system administrator. */
  adminToken: string;
  api: TestServer['api'];
  /** The last lines of its log and of its stderr, for failure messages. */
  output(): string;
  /** SIGTERM (a clean shutdown), SIGKILL after 10 s. Safe to call twice. */
  stop(): Promise<void>;
}

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * `charthouse serve` from the sources in a child process, for tests where the question is whether the
 * process survives (an unhandled 'error' ends it, as in production, instead of being caught by the test
 * runner). Same settings as {@link startTestServer}; `env` must name the database
 * (CHARTHOUSE_DATABASE_URL) or a data folder of the caller's.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      CHARTHOUSE_PORT: '0',
      CHARTHOUSE_HOST: '127.0.0.1',
      CHARTHOUSE_ADMIN_PASSWORD: ADMIN.password,
      CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'true',
      CHARTHOUSE_LOG_LEVEL: 'info',
      CHARTHOUSE_LOGIN_RATE_LIMIT: '1000',
      CHARTHOUSE_SYNC_SCHEDULER: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The log's last lines, and everything on stderr (where an uncaught error's stack goes).
  const lines: string[] = [];
  const errors: string[] = [];
  const keep = (into: string[], max: number) => (chunk: Buffer) => {
    into.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (into.length > max) into.splice(0, into.length - max);
  };
  child.stderr?.on('data', keep(errors, 100));
  const keepLog = keep(lines, 20);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out: string | null = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      keepLog(chunk);
      if (out === null) return;
      out += chunk.toString('utf8');
      const match = /"address":"(http:\/\/[^"]+)"/.exec(out);
      if (match?.[1]) {
        out = null;
        resolve(match[1]);
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited with ${code}: ${[...lines, ...errors].join('\n')}`)),
    );
  });
  let stopped = false;
  const server: ServerProcess = {
    url,
    child,
    adminToken: '',
    api: apiClient(url, () => server.adminToken),
    output: () => `${lines.join('\n')}\nstderr:\n${errors.join('\n')}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // A drain takes up to 10 s (a sync whose upstream hangs waits 7.5 s before it is cut); the
      // process then exits, which on a loaded machine is not instant.
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
  const login = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
    token: null,
    body: ADMIN,
  });
  if (login.status !== 200) {
    await server.stop();
    throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
  }
  server.adminToken = login.body.token;
  return server;
}

/**
 * JSON calls to a server at `url`: a token per call (null for none), the system admin's by default.
 * Shared with the benchmarks, which start the built server as its own process.
 */
export function apiClient(url: string, defaultToken: () => string): TestServer['api'] {
  return async (method, p, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const token = opts.token === undefined ? defaultToken() : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${p}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // keep the raw text (metrics, HTML)
    }
    return { status: res.status, body: parsed as never, headers: res.headers };
  };
}

/** Create a tenant with an admin and a member; returns their tokens. */
export async function createTenant(
  server: Pick<TestServer, 'api'>,
  name: string,
): Promise<{ name: string; adminToken: string; memberToken: string }> {
  const t = await server.api('POST', '/api/v1/tenants', { body: { name } });
  if (t.status !== 201) throw new Error(`tenant ${name}: ${t.status} ${JSON.stringify(t.body)}`);
  const tokens: string[] = [];
  for (const role of ['admin', 'member'] as const) {
    const username = `${name}-${role}`;
    const password = `${username}-password`;
    const m = await server.api('POST', `/api/v1/tenants/${name}/members`, {
      body: { username, password, role },
    });
    if (m.status !== 201) throw new Error(`member ${username}: ${m.status} ${JSON.stringify(m.body)}`);
    const login = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
      token: null,
      body: { username, password },
    });
    tokens.push(login.body.token);
  }
  return { name, adminToken: tokens[0]!, memberToken: tokens[1]! };
}

/** Registries stored, in every scope: tests check that a refused request saved nothing. */
export async function countRegistries(server: TestServer): Promise<number> {
  const row = await server.app.storage.db
    .selectFrom('helm_registries')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Chart versions stored, in every registry: sync tests check what a sync wrote or kept. */
export async function countChartVersions(server: TestServer): Promise<number> {
  const row = await server.app.storage.db
    .selectFrom('chart_versions')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A sync run as the API returns it (see src/sync/sync.schema.ts). */
export type SyncRunBody = SyncRunView;

/**
 * "Sync now" on the registry at `registryPath` (…/registries/helm/NAME) and wait until its run is no
 * longer running. Fails the test when the sync is refused or does not finish within ~20 s.
 */
export async function syncAndWait(
  server: TestServer,
  registryPath: string,
  token: string,
): Promise<SyncRunBody> {
  const started = await server.api<{ run: SyncRunBody }>('POST', `${registryPath}/sync`, { token });
  if (started.status !== 202)
    throw new Error(`sync refused: ${started.status} ${JSON.stringify(started.body)}`);
  return waitFor(
    async () => {
      const runs = await server.api<{ items: SyncRunBody[] }>('GET', `${registryPath}/syncs?limit=5`, {
        token,
      });
      const run = runs.body.items.find((r) => r.id === started.body.run.id);
      return run?.status !== 'running' && run;
    },
    { what: `the sync of ${registryPath} finished`, timeoutMs: 60_000, intervalMs: 50 },
  );
}
