import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import {
  assertHostedViewsAgree,
  eventually,
  loop,
  Observations,
  pullBlob,
  pushArchive,
  pushBlob,
  pushOci,
  readyz,
  search,
  type HostedClient,
} from '../support/outage.js';
import {
  createTestDatabase,
  startPostgresCluster,
  type PostgresCluster,
  type TestDatabase,
} from '../support/postgres.js';
import {
  createTenant,
  startServerProcess,
  startTestServer,
  TEST_DB,
  type ServerProcess,
  type TestServer,
} from '../support/server.js';

/*
 * The database going away under a running server (issue 10): a PostgreSQL backend terminated while a
 * request, a push or a sync uses it, PostgreSQL restarted, SQLite locked by another process. The
 * server must stay up, answer 503 in each protocol's dialect meanwhile, and afterwards every view of
 * the registry must agree (nothing half-written). On PostgreSQL the server is `charthouse serve` in a
 * process of its own, so an unhandled 'error' ends it as it would in production.
 */

type Run = { id: string; status: string; errorCode: string | null };
type Server = Pick<TestServer, 'url' | 'api'>;

async function hostedClient(server: Server, tenant: string): Promise<HostedClient & { adminToken: string }> {
  const t = await createTenant(server, tenant);
  return {
    url: server.url,
    tenant,
    username: `${tenant}-member`,
    token: t.memberToken,
    adminToken: t.adminToken,
  };
}

/** Versions of `registry` in the tenant's catalog, summed over its charts (the search pages through). */
async function catalogVersions(
  server: Server,
  tenant: string,
  registry: string,
  token: string,
): Promise<number> {
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await server.api<{ items: Array<{ versionCount: number }>; nextCursor?: string }>(
      'GET',
      `/api/v1/tenants/${tenant}/charts?registry=${registry}&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      { token },
    );
    assert.equal(page.status, 200, JSON.stringify(page.body));
    total += page.body.items.reduce((n, i) => n + i.versionCount, 0);
    cursor = page.body.nextCursor;
  } while (cursor);
  return total;
}

async function findRun(
  server: Server,
  registry: string,
  token: string,
  id: string,
): Promise<Run | undefined> {
  const runs = await server.api<{ items: Run[] }>('GET', `${registry}/syncs?limit=20`, { token });
  return runs.body.items?.find((r) => r.id === id);
}

/** "Sync now" and wait until the run ends (a generous bound: the first sync starts the workers). */
async function syncToEnd(server: Server, registry: string, token: string): Promise<Run> {
  const started = await server.api<{ run: Run }>('POST', `${registry}/sync`, { token });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  let run: Run | undefined;
  await eventually(
    'the sync ends',
    async () => {
      run = await findRun(server, registry, token, started.body.run.id);
      return run !== undefined && run.status !== 'running';
    },
    180_000,
  );
  return run!;
}

/** The server process has not exited (an unhandled 'error' would have ended it). */
function assertRunning(server: ServerProcess): void {
  const { exitCode, signalCode } = server.child;
  assert.ok(
    exitCode === null && signalCode === null,
    `the server exited (${exitCode ?? signalCode}):\n${server.output()}`,
  );
}

/** The server process is running and answers. */
async function assertAlive(server: ServerProcess): Promise<void> {
  assertRunning(server);
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
}

/** A probe for {@link eventually}: /readyz answers `status`; fails at once if the process is gone. */
function readyzIs(o: Observations, server: ServerProcess, status: number): () => Promise<boolean> {
  return async () => {
    assertRunning(server);
    return (await readyz(o, server.url)) === status;
  };
}

/** Pushes `name` at versions `<major>.0.<n>` until stopped, remembering those that were confirmed. */
function pusher(
  o: Observations,
  c: HostedClient,
  how: typeof pushArchive,
  name: string,
  major: number,
): { confirmed: string[]; stop: () => Promise<void> } {
  const confirmed: string[] = [];
  const running = loop(async (n) => {
    const version = `${major}.0.${n}`;
    if (await how(o, c, name, version)) confirmed.push(version);
  });
  return { confirmed, stop: running.stop };
}

if (TEST_DB === 'postgres') {
  describe('PostgreSQL connections terminated while in use (postgres)', () => {
    // The catalog before (A) and the index the interrupted sync brings (B): a sync is all or nothing,
    // so the registry holds A's count or B's, never one between.
    const A = { charts: 100, versions: 50, total: 5_000 };
    const B = { charts: 120, versions: 50, total: 6_000 };
    let server: ServerProcess;
    let upstream: FixtureServer;
    let admin: pg.Client;
    let dir: string;
    let db: TestDatabase;
    const served: { body: Buffer } = { body: Buffer.alloc(0) };
    const indexes: Record<'A' | 'B', Buffer> = { A: Buffer.alloc(0), B: Buffer.alloc(0) };

    before(async () => {
      // Classic indexes big enough that a sync is still writing while backends are terminated.
      dir = await mkdtemp(path.join(tmpdir(), 'charthouse-outage-'));
      const generator = new URL('../../../shared/tools/gen-index.mjs', import.meta.url).pathname;
      for (const [name, size, seed] of [
        ['A', A, '1'],
        ['B', B, '2'],
      ] as const) {
        const file = path.join(dir, `${name}.yaml`);
        execFileSync(process.execPath, [
          generator,
          ...['--charts', String(size.charts), '--versions', String(size.versions), '--seed', seed],
          ...['--out', file],
        ]);
        indexes[name] = readFileSync(file);
      }
      served.body = indexes.A;
      upstream = await startFixtureServer({
        '/big/index.yaml': (req: IncomingMessage, res: ServerResponse) => {
          const body = served.body;
          const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
          if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
          res.writeHead(200, { 'content-type': 'text/yaml', 'content-length': body.length, etag }).end(body);
        },
      });
      db = await createTestDatabase();
      server = await startServerProcess({
        CHARTHOUSE_DATABASE_URL: db.url,
        CHARTHOUSE_DATA_DIR: path.join(dir, 'data'),
        CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '120000',
        CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '60000',
      });
      // The test's own connection, to the administrative database: never one of the server's.
      admin = new pg.Client({ connectionString: process.env.CHARTHOUSE_TEST_DATABASE_URL });
      await admin.connect();
    });
    after(async () => {
      await admin?.end();
      await server?.stop();
      await upstream?.close();
      await db?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('answers 503 while its backends are terminated, never exits, and recovers with every view in agreement', async (t) => {
      const c = await hostedClient(server, 'outage');
      const registry = `/api/v1/tenants/outage/registries/helm/big`;
      const add = await server.api('POST', '/api/v1/tenants/outage/registries/helm', {
        token: c.adminToken,
        body: { name: 'big', endpoint: `${upstream.url}/big` },
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));

      // A first sync brings A and warms the index workers (they stay up between syncs).
      const first = await syncToEnd(server, registry, c.adminToken);
      assert.equal(first.status, 'succeeded', JSON.stringify(first));

      // A blob of several pieces (1 MiB rows in PostgreSQL), pulled while the terminations go on: a
      // piece's query failing mid-response must cut that response off, not end the server.
      const layer = randomBytes(4 * 1024 * 1024 + 12_345);
      const setup = new Observations();
      assert.ok(await pushBlob(setup, c, 'outage/layers', layer), setup.problems.join('\n'));

      // Now B, synced while the terminations go on.
      served.body = indexes.B;
      const o = new Observations();
      const started = await server.api<{ run: Run }>('POST', `${registry}/sync`, { token: c.adminToken });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const cm = pusher(o, c, pushArchive, 'pushcm', 1);
      const oci = pusher(o, c, pushOci, 'pushoci', 2);
      const load = [
        cm,
        oci,
        loop(() => search(o, c, 'push')),
        loop(() => readyz(o, server.url)),
        loop(() => pullBlob(o, c, 'outage/layers', layer)),
        loop(() =>
          o.call(
            'json',
            'sync runs',
            `${server.url}${registry}/syncs?limit=5`,
            { headers: { authorization: `Bearer ${c.adminToken}` } },
            [200],
          ),
        ),
      ];

      // Every 300 ms, every backend of the server's database (and only of that database) is ended:
      // the server's pool, and the index writer's own connection in its worker thread. The sleeps pace
      // the terminations on purpose (6 s of them under load); nothing is awaited here.
      let terminated = 0;
      try {
        for (const until = Date.now() + 6_000; Date.now() < until; await sleep(300)) {
          const killed = await admin.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [new URL(db.url).pathname.slice(1)],
          );
          terminated += killed.rowCount ?? 0;
        }
      } finally {
        await Promise.all(load.map((l) => l.stop()));
      }
      await assertAlive(server);
      assert.ok(terminated > 0, 'the server had connections to terminate');
      t.diagnostic(`${terminated} backends terminated; answers: ${o.summary()}`);

      // Still here, and ready again once the terminations stop.
      await eventually('/readyz answers 200 again', readyzIs(o, server, 200));

      // The sync that ran through it ended cleanly: done, or failed with the reason recorded.
      let run: Run | undefined;
      await eventually('the interrupted sync run ends', async () => {
        run = await findRun(server, registry, c.adminToken, started.body.run.id);
        return run !== undefined && run.status !== 'running';
      });
      t.diagnostic(`the sync under terminations: ${run?.status} ${run?.errorCode ?? ''}`);
      assert.ok(
        run?.status === 'succeeded' || (run?.status === 'failed' && run.errorCode === 'database_unavailable'),
        JSON.stringify(run),
      );
      // All of B, or none of it.
      const midway = await server.api<{ versionCount: number }>('GET', registry, { token: c.adminToken });
      assert.equal(midway.body.versionCount, run.status === 'succeeded' ? B.total : A.total);
      assert.equal(await catalogVersions(server, 'outage', 'big', c.token), midway.body.versionCount);

      // The very next requests succeed, on connections the pool made afresh.
      const next = new Observations();
      assert.ok(await pushArchive(next, c, 'pushcm', '9.0.0'), next.problems.join('\n'));
      assert.ok(await pushOci(next, c, 'pushoci', '9.0.0'), next.problems.join('\n'));
      assert.ok(await search(next, c, 'push'), next.problems.join('\n'));
      assert.equal(await pullBlob(next, c, 'outage/layers', layer), 'ok', next.problems.join('\n'));
      const again = await syncToEnd(server, registry, c.adminToken);
      assert.ok(['succeeded', 'unchanged'].includes(again.status), JSON.stringify(again));
      const synced = await server.api<{ versionCount: number }>('GET', registry, { token: c.adminToken });
      assert.equal(synced.body.versionCount, B.total);
      assert.equal(await catalogVersions(server, 'outage', 'big', c.token), B.total);

      // Failures were 503s in each protocol's shape, never a 500 or a dropped connection.
      assert.deepEqual([...o.problems, ...next.problems], [], o.summary());
      assert.ok(o.unavailable > 0, `the terminations failed some requests: ${o.summary()}`);

      // index.yaml, ChartMuseum, the JSON API, the catalog and OCI agree; confirmed pushes are in.
      const versions = await assertHostedViewsAgree(c, ['pushcm', 'pushoci']);
      for (const [chart, pushed] of [
        ['pushcm', cm],
        ['pushoci', oci],
      ] as const) {
        for (const version of [...pushed.confirmed, '9.0.0']) {
          assert.ok(
            versions.get(chart)?.includes(version),
            `${chart} ${version} was confirmed and must be there`,
          );
        }
      }
    });
  });

  describe('PostgreSQL restarted under load (a cluster of its own)', () => {
    let cluster: PostgresCluster | undefined;
    let server: ServerProcess | undefined;
    let upstream: FixtureServer | undefined;
    let dir: string;
    // The upstream's index.yaml: the first request (the validation when the registry is added) is
    // answered, later ones wait for the gate, so the scheduler's sync is in flight across the restart
    // (renewing its lease against a database that is down).
    const KONG = readFileSync(
      new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url),
    );
    const gate = { requests: 0, release: (): void => undefined };
    const opened = new Promise<void>((resolve) => (gate.release = resolve));

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'charthouse-restart-'));
      upstream = await startFixtureServer({
        '/kong/index.yaml': async (_req: IncomingMessage, res: ServerResponse) => {
          gate.requests += 1;
          if (gate.requests > 1) await opened;
          res.writeHead(200, { 'content-type': 'text/yaml', 'content-length': KONG.length }).end(KONG);
        },
      });
      cluster = await startPostgresCluster();
      const setup = new pg.Client({ connectionString: cluster.url });
      await setup.connect();
      await setup.query('CREATE DATABASE charthouse');
      await setup.end();
      server = await startServerProcess({
        CHARTHOUSE_DATABASE_URL: cluster.url.replace(/\/postgres$/, '/charthouse'),
        CHARTHOUSE_DATA_DIR: dir,
        // The scheduler runs here (its passes fail while the database is down); the lease of the sync
        // it starts is held by this process's heartbeat, which resumes when the database is back.
        CHARTHOUSE_SYNC_SCHEDULER: 'true',
        CHARTHOUSE_JOBS_TICK_SECONDS: '1',
        CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '300000',
        CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '300000',
      });
    });
    after(async () => {
      gate.release();
      // Whatever happened: the server first (its pool), then the cluster and its files.
      await server?.stop();
      await cluster?.destroy();
      await upstream?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('answers 503 and /readyz 503 while PostgreSQL is down, then works again with consistent views', async (t) => {
      const s = server!;
      const c = await hostedClient(s, 'restart');
      // The scheduler syncs the new registry at once; its fetch waits at the gate.
      const registry = '/api/v1/tenants/restart/registries/helm/kong';
      const add = await s.api('POST', '/api/v1/tenants/restart/registries/helm', {
        token: c.adminToken,
        body: { name: 'kong', endpoint: `${upstream!.url}/kong` },
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));
      let run: Run | undefined;
      await eventually('the scheduler starts a sync', async () => {
        const runs = await s.api<{ items: Run[] }>('GET', `${registry}/syncs`, { token: c.adminToken });
        run = runs.body.items[0];
        return run !== undefined;
      });

      const o = new Observations();
      const cm = pusher(o, c, pushArchive, 'restartcm', 1);
      const oci = pusher(o, c, pushOci, 'restartoci', 2);
      const load = [cm, oci, loop(() => search(o, c, 'restart')), loop(() => readyz(o, s.url))];
      await eventually('pushes under way', async () => cm.confirmed.length > 0 && oci.confirmed.length > 0);

      try {
        await cluster!.stop();
        await eventually('/readyz answers 503 while PostgreSQL is down', readyzIs(o, s, 503));
        // Requests while it is down answer (no hang) with 503 in their protocol's shape.
        const down = new Observations();
        assert.equal(await pushArchive(down, c, 'restartcm', '8.0.0'), false);
        assert.equal(await pushOci(down, c, 'restartoci', '8.0.0'), false);
        assert.equal(await search(down, c, 'restart'), false);
        assert.deepEqual(down.problems, [], down.summary());
        assert.equal(down.unavailable, 3, down.summary());
        // Time passes on purpose: the server must stay up while PostgreSQL stays away, not only
        // answer the first requests after it went.
        await sleep(1_000);
        await assertAlive(s);

        await cluster!.start();
        await eventually('/readyz answers 200 after PostgreSQL is back', readyzIs(o, s, 200));
      } finally {
        await Promise.all(load.map((l) => l.stop()));
      }
      // The sync held across the restart completes once its upstream answers.
      gate.release();
      await eventually('the sync across the restart ends', async () => {
        run = await findRun(s, registry, c.adminToken, run!.id);
        return run !== undefined && run.status !== 'running';
      });
      assert.equal(run?.status, 'succeeded', JSON.stringify(run));
      const synced = await s.api<{ versionCount: number }>('GET', registry, { token: c.adminToken });
      assert.equal(synced.body.versionCount, 230);
      await assertAlive(s);

      const next = new Observations();
      assert.ok(await pushArchive(next, c, 'restartcm', '9.0.0'), next.problems.join('\n'));
      assert.ok(await pushOci(next, c, 'restartoci', '9.0.0'), next.problems.join('\n'));
      assert.ok(await search(next, c, 'restart'), next.problems.join('\n'));
      assert.deepEqual([...o.problems, ...next.problems], [], o.summary());
      t.diagnostic(`answers: ${o.summary()}`);

      const versions = await assertHostedViewsAgree(c, ['restartcm', 'restartoci']);
      for (const [chart, pushed] of [
        ['restartcm', cm],
        ['restartoci', oci],
      ] as const) {
        for (const version of [...pushed.confirmed, '9.0.0']) {
          assert.ok(
            versions.get(chart)?.includes(version),
            `${chart} ${version} was confirmed and must be there`,
          );
        }
        assert.ok(!versions.get(chart)?.includes('8.0.0'), `${chart} 8.0.0 was refused while down`);
      }
    });
  });
} else {
  describe('SQLite locked by another connection past the busy timeout (sqlite)', () => {
    let server: TestServer;

    before(async () => {
      // A short wait for the lock keeps the test quick; better-sqlite3 waits on the server's thread.
      server = await startTestServer({ CHARTHOUSE_DATABASE_TIMEOUT_MS: '300' });
    });
    after(() => server?.close());

    it('answers 503 database_unavailable in every protocol while locked, and writes again once released', async () => {
      const c = await hostedClient(server, 'locked');
      const setup = new Observations();
      assert.ok(await pushArchive(setup, c, 'lockcm', '1.0.0'), setup.problems.join('\n'));
      const patchHosted = (o: Observations) =>
        o.call(
          'json',
          'hosted patch',
          `${server.url}/api/v1/tenants/locked/hosted`,
          {
            method: 'PATCH',
            headers: { authorization: `Bearer ${c.adminToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ publicRead: true }),
          },
          [200],
        );

      // Another process holds the write lock (as a long write transaction, or a stuck tool, would).
      const locker = new Database(path.join(server.dataDir, 'charthouse.db'));
      const held = new Observations();
      try {
        locker.exec('BEGIN IMMEDIATE');
        assert.equal(await pushArchive(held, c, 'lockcm', '1.0.1'), false);
        assert.equal(await pushOci(held, c, 'lockoci', '1.0.0'), false);
        assert.equal((await patchHosted(held))?.status, 503);
        assert.deepEqual(held.problems, [], held.summary());
        assert.equal(held.unavailable, 3, held.summary());
        // Readers are not blocked (WAL): what was there is still served.
        assert.ok(await search(held, c, 'lockcm'), held.problems.join('\n'));
        assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      } finally {
        if (locker.inTransaction) locker.exec('ROLLBACK');
        locker.close();
      }

      const next = new Observations();
      assert.ok(await pushArchive(next, c, 'lockcm', '1.0.1'), next.problems.join('\n'));
      assert.ok(await pushOci(next, c, 'lockoci', '1.0.0'), next.problems.join('\n'));
      assert.equal((await patchHosted(next))?.status, 200);
      assert.deepEqual(next.problems, [], next.summary());

      const versions = await assertHostedViewsAgree(c, ['lockcm', 'lockoci']);
      assert.deepEqual(versions.get('lockcm'), ['1.0.0', '1.0.1']);
      assert.deepEqual(versions.get('lockoci'), ['1.0.0']);
    });
  });
}
