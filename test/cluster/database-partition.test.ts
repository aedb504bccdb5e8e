import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStorage, type Storage } from '../../src/storage/database.js';
import { dbNowIso } from '../../src/storage/db-clock.js';
import { startCluster, type Cluster } from '../support/cluster/cluster.js';
import type { ClusterNode } from '../support/cluster/cluster-node.js';
import {
  addWithHeldFirstSync,
  syncLeaseHolderPid,
  tinyRunsOn,
  TINY_REGISTRY,
} from '../support/cluster/held-sync.js';
import { startHeldIndex, type HeldIndex } from '../support/held-index.js';
import { eventually, loop, Observations, readyz } from '../support/outage.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import type { SyncRunBody } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * How long node 0 is cut off PostgreSQL. Thirty seconds, as an outage an operator would see; the
 * file's run time grows with it one for one.
 */
const OUTAGE_MS = 30_000;
const HEARTBEAT_SECONDS = 1;

/*
 * One server of a cluster loses PostgreSQL for 30 s (a TCP proxy between it and the database resets
 * its connections and then blackholes new ones), the others keep theirs. The cut-off server answers
 * 503 in the API's error shape and /readyz 503, quickly, and never exits; its heartbeat stops, so the
 * sync it was running is taken over by another server, whose result is the one kept; once the network
 * is back it serves again by itself, without a restart.
 */
// It takes 60-80 s; every wait in it is bounded, and the whole file fails after 4 minutes rather
// than hold the CI run should one not be.
describe(
  'a server cut off PostgreSQL for 30 s while the others keep theirs (postgres)',
  { timeout: 240_000 },
  () => {
    let db: TestDatabase;
    let proxy: TcpProxy;
    let cluster: Cluster;
    let upstream: HeldIndex;
    let storage: Storage;

    before(async () => {
      upstream = await startHeldIndex();
      db = await createTestDatabase();
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      cluster = await startCluster({
        nodes: 2,
        databaseUrl: db.url,
        env: {
          CHARTHOUSE_JOBS_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
          CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '600000',
          CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '600000',
        },
        // Node 0 reaches PostgreSQL through the proxy and schedules syncs; node 1 only syncs when asked,
        // so which server holds the registry's sync is known.
        nodeEnv: (i): Record<string, string> =>
          i === 0
            ? { CHARTHOUSE_DATABASE_URL: proxy.through(db.url) }
            : { CHARTHOUSE_SYNC_SCHEDULER: 'false' },
      });
      storage = openStorage({ databaseUrl: db.url, dataDir: '/nonexistent' });
    });
    after(async () => {
      upstream?.release();
      await cluster?.close();
      await storage?.close();
      await proxy?.close();
      await upstream?.close();
      await db?.drop();
    });

    /** How long ago (by the database's clock) the server `node` last beat. */
    const silentMs = async (node: ClusterNode): Promise<number> => {
      const rows = await storage.db
        .selectFrom('job_workers')
        .select(['id', 'heartbeat_at'])
        .select(dbNowIso('postgres').as('now'))
        .execute();
      const mine = rows.find((r) => r.id.split(':').at(-2) === String(node.pid));
      assert.ok(mine, `no worker row of node ${node.index}`);
      return Date.parse(mine.now) - Date.parse(mine.heartbeat_at);
    };
    const registryOn = (o: Observations, node: ClusterNode, ok: number[] = [200]) =>
      o.call(
        'json',
        `GET registry on node ${node.index}`,
        `${node.url}${TINY_REGISTRY}`,
        {
          headers: { authorization: `Bearer ${cluster.adminToken}` },
        },
        ok,
      );

    it('answers 503 quickly and stays up while cut off, loses its sync to another server, and recovers alone', async (t) => {
      const [cut, other] = cluster.nodes as [ClusterNode, ClusterNode];
      await addWithHeldFirstSync(cut, cluster.adminToken, upstream);
      assert.equal(await syncLeaseHolderPid(storage), cut.pid, 'the sync runs elsewhere than node 0');
      const [heldRun] = await tinyRunsOn(other, cluster.adminToken);
      assert.equal(heldRun?.status, 'running');

      const o = new Observations();
      const theirs = new Observations();
      proxy.cut();
      const cutAt = Date.now();
      // Load on both servers all through the outage: node 0 must answer (503), node 1 must serve.
      const load = [
        loop(() => registryOn(o, cut, [200])),
        loop(() => readyz(o, cut.url)),
        loop(() => registryOn(theirs, other)),
        loop(() => readyz(theirs, other.url)),
      ];
      try {
        await eventually('node 0 answers 503 to the API', async () => {
          const res = await registryOn(new Observations(), cut, [200, 503]);
          return res?.status === 503;
        });
        await eventually(
          'node 0 answers /readyz 503',
          async () => (await readyz(new Observations(), cut.url)) === 503,
        );

        // Its heartbeat stopped: after three missed beats another server may take its sync. No one
        // gives the lease up; node 1's "Sync now" takes it once node 0 is silent long enough.
        upstream.hold = false;
        let taken: { run: SyncRunBody } | undefined;
        await eventually('node 1 takes the sync over from the silent node 0', async () => {
          const res = await fetch(`${other.url}${TINY_REGISTRY}/sync`, {
            method: 'POST',
            headers: { authorization: `Bearer ${cluster.adminToken}` },
            signal: AbortSignal.timeout(30_000),
          });
          if (res.status === 202) taken = (await res.json()) as { run: SyncRunBody };
          else await res.body?.cancel();
          return res.status === 202;
        });
        assert.ok((await silentMs(cut)) >= 3 * HEARTBEAT_SECONDS * 1000, 'taken from a live holder');
        await eventually('node 1’s sync succeeds while node 0 is cut off', async () =>
          (await tinyRunsOn(other, cluster.adminToken)).some(
            (r) => r.id === taken!.run.id && r.status === 'succeeded',
          ),
        );
        assert.equal(
          await syncLeaseHolderPid(storage),
          undefined,
          'node 1 did not release the lease with its result',
        );

        // The rest of the outage: node 0 stays up and keeps answering.
        await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - cutAt))));
        assert.ok(cut.running, 'node 0 exited while cut off PostgreSQL');
        assert.equal(
          o.counts.get(`GET registry on node 0 200`) ?? 0,
          0,
          'node 0 answered 200 while cut off?',
        );
      } finally {
        proxy.restore();
        await Promise.all(load.map((l) => l.stop()));
      }
      t.diagnostic(
        `node 0 while cut off: ${o.summary()}; node 1: ${theirs.summary()}; blackholed connects: ${proxy.refused}`,
      );
      assert.deepEqual(o.problems, [], 'node 0 answered outside the 503 shape, or not at all');
      assert.ok(o.unavailable > 0);
      assert.deepEqual(theirs.problems, [], 'node 1 failed while node 0 was cut off');
      assert.equal(theirs.unavailable, 0);

      // Back: node 0 serves again by itself, heartbeats again, and its held sync, released now, finds
      // its lease gone and keeps nothing.
      await eventually(
        'node 0 is ready again',
        async () => (await readyz(new Observations(), cut.url)) === 200,
      );
      const after = new Observations();
      assert.equal((await registryOn(after, cut))?.status, 200, after.problems.join('\n'));
      await eventually(
        'node 0 heartbeats again',
        async () => (await silentMs(cut)) < 3 * HEARTBEAT_SECONDS * 1000,
      );
      upstream.release();
      await eventually('node 0’s discarded run is closed as interrupted', async () => {
        const run = (await tinyRunsOn(cut, cluster.adminToken)).find((r) => r.id === heldRun!.id);
        return run?.status === 'failed';
      });
      const runs = await tinyRunsOn(cut, cluster.adminToken);
      assert.deepEqual(
        runs.map((r) => [r.id, r.status, r.errorCode]).sort(),
        [
          [heldRun!.id, 'failed', 'sync_interrupted'],
          [runs.find((r) => r.status === 'succeeded')!.id, 'succeeded', null],
        ].sort(),
      );
      // Its held fetch, released, ends in a commit that finds the lease gone and rolls back.
      await eventually('node 0 discards its sync', async () =>
        cut.logs().some((l) => String(l.msg).startsWith('sync discarded')),
      );
      assert.equal(
        (await tinyRunsOn(cut, cluster.adminToken)).length,
        2,
        'node 0 recorded its discarded sync',
      );
      const [{ count }] = (
        await sql<{ count: string }>`select count(*) as count from chart_versions`.execute(storage.db)
      ).rows as [{ count: string }];
      assert.equal(Number(count), 1, 'the catalog holds the version twice, or not at all');
      assert.equal(upstream.requests, 3, 'adding, node 0’s held sync, node 1’s sync');
      assert.equal(cut.running, true);
    });
  },
);
