import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStorage, type Storage } from '../../src/storage/database.js';
import { startCluster, type Cluster } from '../support/cluster/cluster.js';
import type { ClusterNode } from '../support/cluster/cluster-node.js';
import {
  addWithHeldFirstSync,
  syncLeaseHolderPid,
  tinyRunsOn,
  TINY_REGISTRY,
} from '../support/cluster/held-sync.js';
import { startHeldIndex, type HeldIndex } from '../support/held-index.js';
import { eventually } from '../support/outage.js';

const HEARTBEAT_SECONDS = 1;

/*
 * A server starved of CPU while it holds a registry's sync: SIGSTOP, then SIGCONT, of its process.
 * A stop, not a CPU hog under `taskset`: on a shared 2-core machine a hog slows every test running
 * beside it, and how long the starved server really stalls would depend on the scheduler; a stopped
 * process misses every beat for exactly as long as the test says. While it is stopped its heartbeat
 * goes stale (3 × 1 s) and another server takes the sync over; resumed, its own sync's commit finds
 * the lease gone and rolls back. The registry is synced once: one succeeded run, one version in the
 * catalog.
 */
describe('a server stopped (SIGSTOP) while it holds a sync, then resumed (postgres)', () => {
  let cluster: Cluster;
  let upstream: HeldIndex;
  let storage: Storage;
  /** Node 1 schedules syncs only once node 0 holds the registry's (it is restarted with it on). */
  let node1Schedules = false;

  before(async () => {
    upstream = await startHeldIndex();
    cluster = await startCluster({
      nodes: 2,
      env: {
        CHARTHOUSE_JOBS_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
        CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '600000',
        CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '600000',
      },
      nodeEnv: (i): Record<string, string> =>
        i === 1 ? { CHARTHOUSE_SYNC_SCHEDULER: String(node1Schedules) } : {},
    });
    storage = openStorage({ databaseUrl: cluster.databaseUrl, dataDir: '/nonexistent' });
  });
  after(async () => {
    const [stopped] = cluster?.nodes ?? [];
    if (stopped?.running) stopped.signal('SIGCONT');
    upstream?.release();
    await cluster?.close();
    await storage?.close();
    await upstream?.close();
  });

  it('loses the sync to another server while stopped, and its late commit rolls back', async () => {
    const [slow, other] = cluster.nodes as [ClusterNode, ClusterNode];
    await addWithHeldFirstSync(slow, cluster.adminToken, upstream);
    assert.equal(await syncLeaseHolderPid(storage), slow.pid, 'node 0 does not hold the sync');
    const [slowRun] = await tinyRunsOn(other, cluster.adminToken);
    assert.equal(slowRun?.status, 'running');

    node1Schedules = true;
    await other.restart();

    slow.signal('SIGSTOP');
    upstream.hold = false;
    // Node 1's scheduler finds node 0's lease abandoned after three missed beats, closes its run as
    // interrupted and syncs the registry itself.
    await eventually('node 1 syncs the registry while node 0 is stopped', async () =>
      (await tinyRunsOn(other, cluster.adminToken)).some((r) => r.status === 'succeeded'),
    );
    const taken = await tinyRunsOn(other, cluster.adminToken);
    assert.equal(taken.find((r) => r.id === slowRun!.id)?.errorCode, 'sync_interrupted');

    // Node 0 wakes up: its fetch completes, and its commit must find the lease gone.
    upstream.release();
    slow.signal('SIGCONT');
    await eventually('node 0 discards its late sync', async () =>
      slow.logs().some((l) => String(l.msg).startsWith('sync discarded')),
    );
    assert.ok(slow.running, 'node 0 exited');
    const runs = await tinyRunsOn(slow, cluster.adminToken);
    assert.deepEqual(runs.map((r) => r.status).sort(), ['failed', 'succeeded'], JSON.stringify(runs));
    const [{ count }] = (
      await sql<{ count: string }>`select count(*) as count from chart_versions`.execute(storage.db)
    ).rows as [{ count: string }];
    assert.equal(Number(count), 1, 'the catalog holds the version twice, or not at all');
    const view = await cluster.api<{ versionCount: number; syncStatus: string }>('GET', TINY_REGISTRY);
    assert.deepEqual([view.body.syncStatus, view.body.versionCount], ['synced', 1]);
    assert.equal(upstream.requests, 3, 'adding, node 0’s stopped sync, node 1’s sync');
  });
});
