import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import {
  sendBody,
  slowBody,
  startFixtureServer,
  type FixtureHandler,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { ADMIN, TEST_DB } from '../support/server.js';
import { waitFor } from '../support/wait.js';

type Run = { id: string; status: string; trigger: string; errorCode: string | null };

const KONG = readFileSync(new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url));
const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * A server killed (SIGKILL) in the middle of a sync: the catalog is untouched, and a restarted server
 * (default heartbeat and tick, no force) finds the lease abandoned once the dead process misses three
 * heartbeats, closes the interrupted run and syncs the registry again, all within a minute.
 */
describe(`a server killed mid-sync (${TEST_DB})`, () => {
  let dataDir: string;
  let pg: TestDatabase | undefined;
  let upstream: FixtureServer;
  let child: ChildProcess | undefined;
  let app: App | undefined;
  const current: { handler: FixtureHandler } = { handler: sendBody(KONG) };
  let env: Record<string, string>;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-crash-'));
    if (TEST_DB === 'postgres') pg = await createTestDatabase();
    upstream = await startFixtureServer({
      '/kong/index.yaml': (req: IncomingMessage, res: ServerResponse) => current.handler(req, res),
    });
    env = {
      CHARTHOUSE_HOST: '127.0.0.1',
      CHARTHOUSE_DATA_DIR: dataDir,
      CHARTHOUSE_ADMIN_PASSWORD: ADMIN.password,
      CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'true',
      CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '120000',
      CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '60000',
      ...(pg ? { CHARTHOUSE_DATABASE_URL: pg.url } : {}),
    };
  });
  after(async () => {
    child?.kill('SIGKILL');
    await app?.close();
    await upstream.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** `charthouse serve` in its own process, so it can be killed outright; resolves with its URL. */
  function serveInChild(): Promise<string> {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        CHARTHOUSE_PORT: '0',
        CHARTHOUSE_SYNC_SCHEDULER: 'false',
        CHARTHOUSE_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    return new Promise((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const match = /"address":"(http:\/\/[^"]+)"/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      proc.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
  }

  async function call<T>(
    url: string,
    method: string,
    p: string,
    token: string | null,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  it('keeps the catalog, closes the interrupted run and syncs again after a restart', async () => {
    const url = await serveInChild();
    const login = await call<{ token: string }>(url, 'POST', '/api/v1/auth/login', null, ADMIN);
    const token = login.body.token;
    const base = '/api/v1/system/registries/helm/kong';
    const add = await call(url, 'POST', '/api/v1/system/registries/helm', token, {
      name: 'kong',
      endpoint: `${upstream.url}/kong`,
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));

    // The upstream now trickles one byte at a time: the sync hangs in its fetch, holding the lease.
    current.handler = slowBody(100);
    const fetching = upstream.received('/kong/index.yaml');
    const started = await call<{ run: Run }>(url, 'POST', `${base}/sync`, token);
    assert.equal(started.status, 202);
    // Killed only once the upstream has the request: the sync holds the lease and is inside its fetch.
    await fetching;
    child?.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    const killedAt = Date.now();

    // A new server on the same database, with its scheduler: the dead process's lease is free once it
    // has missed three heartbeats, the interrupted run is closed, and the registry is synced from the
    // now healthy upstream.
    current.handler = sendBody(KONG);
    app = await createApp(loadConfig({ ...env, CHARTHOUSE_PORT: '0' }), pino({ level: 'silent' }));
    const address = await app.listen();
    const again = (await call<{ token: string }>(address, 'POST', '/api/v1/auth/login', null, ADMIN)).body
      .token;
    const runs = await waitFor(
      async () => {
        const items = (await call<{ items: Run[] }>(address, 'GET', `${base}/syncs`, again)).body.items;
        return items.some((r) => r.status === 'succeeded') && items;
      },
      { what: 'a scheduled sync succeeded after the restart', timeoutMs: 60_000, intervalMs: 100 },
    );
    assert.ok(Date.now() - killedAt < 60_000, `synced again ${Date.now() - killedAt} ms after the kill`);
    const interrupted = runs.find((r) => r.id === started.body.run.id);
    assert.equal(interrupted?.status, 'failed', JSON.stringify(runs));
    assert.equal(interrupted?.errorCode, 'sync_interrupted');
    const resumed = runs.find((r) => r.status === 'succeeded');
    assert.equal(resumed?.trigger, 'schedule', JSON.stringify(runs));
    const registry = (await call<{ syncStatus: string; versionCount: number }>(address, 'GET', base, again))
      .body;
    assert.equal(registry.syncStatus, 'synced');
    assert.equal(registry.versionCount, 230);
  });
});
