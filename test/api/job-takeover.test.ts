import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { openStorage } from '../../src/storage/database.js';
import { ONE_VERSION_INDEX } from '../support/held-index.js';
import { eventually } from '../support/outage.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  startServerProcess,
  startTestServer,
  syncAndWait,
  TEST_DB,
  type ServerProcess,
  type SyncRunBody,
  type TestServer,
} from '../support/server.js';

/** Answers index.yaml at once, or (while `hang` is set) never: the first request then waits forever. */
function upstreamRoutes(state: { hang: boolean; requests: number; received: () => void }) {
  return {
    '/repo/index.yaml': (_req: IncomingMessage, res: ServerResponse) => {
      state.requests += 1;
      if (state.hang) {
        res.writeHead(200, { 'content-type': 'text/yaml' });
        res.write('apiVersion: v1\n');
        state.received();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/yaml' }).end(ONE_VERSION_INDEX);
    },
  };
}

/**
 * "Sync now" right after a sync's end is visible: the lease is released in the transaction that records
 * the run, so the next sync is always accepted (it used to answer 409 now and then).
 */
describe(`Sync now right after a finished sync (${TEST_DB})`, () => {
  let server: TestServer;
  let upstream: FixtureServer;
  const state = { hang: false, requests: 0, received: () => undefined };

  before(async () => {
    upstream = await startFixtureServer(upstreamRoutes(state));
    server = await startTestServer();
    const add = await server.api('POST', '/api/v1/system/registries/helm', {
      body: { name: 'tiny', endpoint: `${upstream.url}/repo` },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  it('accepts 50 syncs in a row, each sent the moment the previous one is seen finished', async () => {
    const path = '/api/v1/system/registries/helm/tiny';
    for (let round = 0; round < 50; round += 1) {
      // syncAndWait fails unless Sync now answers 202.
      const run = await syncAndWait(server, path, server.adminToken);
      assert.ok(['succeeded', 'unchanged'].includes(run.status), `round ${round}: ${JSON.stringify(run)}`);
    }
    const runs = await server.api<{ items: SyncRunBody[] }>('GET', `${path}/syncs?limit=100`);
    assert.equal(runs.body.items.length, 50);
  });
});

/**
 * Two servers on one PostgreSQL database, one killed (SIGKILL) in the middle of a sync: its lease is
 * tied to its heartbeat, so the other server takes the registry over within a minute, without force.
 */
if (TEST_DB === 'postgres') {
  describe('a sync taken over from a killed server (postgres)', () => {
    let pg: TestDatabase;
    let upstream: FixtureServer;
    const dirs: string[] = [];
    const servers: ServerProcess[] = [];
    let received!: Promise<void>;
    const state: { hang: boolean; requests: number; received: () => void } = {
      hang: false,
      requests: 0,
      received: () => undefined,
    };

    before(async () => {
      received = new Promise<void>((resolve) => (state.received = resolve));
      upstream = await startFixtureServer(upstreamRoutes(state));
      pg = await createTestDatabase();
    });
    after(async () => {
      for (const s of servers) await s.stop();
      await upstream?.close();
      await pg?.drop();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    });

    async function serve(scheduler: boolean): Promise<ServerProcess> {
      const dir = await mkdtemp(path.join(tmpdir(), 'charthouse-takeover-'));
      dirs.push(dir);
      const s = await startServerProcess({
        CHARTHOUSE_DATABASE_URL: pg.url,
        CHARTHOUSE_DATA_DIR: dir,
        CHARTHOUSE_SYNC_SCHEDULER: String(scheduler),
        CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '600000',
        CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '600000',
      });
      servers.push(s);
      return s;
    }

    it('runs the interrupted sync again on the other server within 60 s', async () => {
      const first = await serve(false);
      const registry = '/api/v1/system/registries/helm/tiny';
      const add = await first.api('POST', '/api/v1/system/registries/helm', {
        body: { name: 'tiny', endpoint: `${upstream.url}/repo` },
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));
      // Adding validated the registry (one request); from now on the upstream hangs.
      state.hang = true;
      state.requests = 0;
      const started = await first.api<{ run: SyncRunBody }>('POST', `${registry}/sync`);
      assert.equal(started.status, 202);
      await received; // the first server's sync is in its fetch, holding the lease

      // The second server schedules syncs (default heartbeat and tick): while the first is alive its
      // lease holds, so the registry is not synced twice.
      const second = await serve(true);
      const alive = await second.api<{ items: SyncRunBody[] }>('GET', `${registry}/syncs`);
      assert.deepEqual(
        alive.body.items.map((r) => r.status),
        ['running'],
      );

      state.hang = false;
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      const killedAt = Date.now();
      let runs: SyncRunBody[] = [];
      await eventually(
        'the second server syncs the registry',
        async () => {
          runs = (await second.api<{ items: SyncRunBody[] }>('GET', `${registry}/syncs`)).body.items;
          return runs.some((r) => r.status === 'succeeded');
        },
        60_000,
      );
      const tookOver = Date.now() - killedAt;
      const interrupted = runs.find((r) => r.id === started.body.run.id);
      assert.equal(interrupted?.status, 'failed', JSON.stringify(runs));
      assert.equal(interrupted?.errorCode, 'sync_interrupted');
      const resumed = runs.find((r) => r.status === 'succeeded');
      assert.equal(resumed?.trigger, 'schedule');
      assert.ok(
        Date.parse(resumed.startedAt) >= killedAt - 1_000,
        'not started while the first server lived',
      );
      assert.equal(state.requests, 2, 'one hung fetch, one completed');
      const view = await second.api<{ syncStatus: string; versionCount: number }>('GET', registry);
      assert.equal(view.body.syncStatus, 'synced');
      assert.equal(view.body.versionCount, 1);
      assert.ok(tookOver < 60_000, `took over after ${tookOver} ms`);
    });
  });
}

/**
 * A server stopped cleanly (SIGTERM) in the middle of a sync gives its leases back as it goes: with a
 * heartbeat of a minute its lease would otherwise hold for three, yet the next server syncs the
 * registry at once.
 */
describe(`a sync given back by a server shutting down (${TEST_DB})`, () => {
  let pg: TestDatabase | undefined;
  let upstream: FixtureServer;
  let dir: string;
  const servers: ServerProcess[] = [];
  const state: { hang: boolean; requests: number; received: () => void } = {
    hang: false,
    requests: 0,
    received: () => undefined,
  };

  before(async () => {
    upstream = await startFixtureServer(upstreamRoutes(state));
    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-shutdown-'));
    if (TEST_DB === 'postgres') pg = await createTestDatabase();
  });
  after(async () => {
    for (const s of servers) await s.stop();
    await upstream?.close();
    await pg?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(env: Record<string, string>): Promise<ServerProcess> {
    const s = await startServerProcess({
      CHARTHOUSE_DATA_DIR: dir,
      ...(pg ? { CHARTHOUSE_DATABASE_URL: pg.url } : {}),
      CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '600000',
      CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '600000',
      ...env,
    });
    servers.push(s);
    return s;
  }

  it('releases its lease on SIGTERM, and the next server syncs the registry without waiting', async () => {
    const first = await serve({ CHARTHOUSE_JOBS_HEARTBEAT_SECONDS: '60' });
    const registry = '/api/v1/system/registries/helm/tiny';
    const add = await first.api('POST', '/api/v1/system/registries/helm', {
      body: { name: 'tiny', endpoint: `${upstream.url}/repo` },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const received = new Promise<void>((resolve) => (state.received = resolve));
    state.hang = true;
    const started = await first.api<{ run: SyncRunBody }>('POST', `${registry}/sync`);
    assert.equal(started.status, 202);
    await received;
    await first.stop();
    assert.equal(first.child.exitCode, 0, first.output());

    const storage = openStorage({ databaseUrl: pg?.url ?? null, dataDir: dir });
    try {
      const leases = await storage.db.selectFrom('job_leases').selectAll().execute();
      assert.deepEqual(leases, [], 'no lease outlives a clean shutdown');
      const workers = await storage.db.selectFrom('job_workers').selectAll().execute();
      assert.deepEqual(workers, [], 'the stopped process is gone from the workers');
    } finally {
      await storage.close();
    }

    state.hang = false;
    const second = await serve({ CHARTHOUSE_SYNC_SCHEDULER: 'true' });
    let runs: SyncRunBody[] = [];
    await eventually(
      'the next server syncs the registry',
      async () => {
        runs = (await second.api<{ items: SyncRunBody[] }>('GET', `${registry}/syncs`)).body.items;
        return runs.some((r) => r.status === 'succeeded');
      },
      60_000,
    );
    const interrupted = runs.find((r) => r.id === started.body.run.id);
    assert.equal(interrupted?.status, 'failed', JSON.stringify(runs));
    assert.equal(interrupted?.errorCode, 'sync_interrupted');
  });
});
