/**
 * The cluster tests in which one server holds a registry's sync (its fetch held by held-index.ts)
 * while another server acts: the system registry `tiny`, who holds its sync's lease, and its runs.
 */
import assert from 'node:assert/strict';
import type { Storage } from '../../../src/storage/database.js';
import type { HeldIndex } from '../held-index.js';
import type { SyncRunBody } from '../server.js';
import type { ClusterNode } from './cluster-node.js';

export const TINY_REGISTRY = '/api/v1/system/registries/helm/tiny';

/**
 * Adds `tiny` through `node` with `upstream` holding from the start, and returns once that server's
 * first sync (started by the add itself) is held in its fetch, holding the sync's lease. Holding only
 * after the add answered would race that sync, whose fetch can reach the upstream before the answer
 * comes back; the sync then runs unheld.
 */
export async function addWithHeldFirstSync(
  node: ClusterNode,
  adminToken: string,
  upstream: HeldIndex,
): Promise<void> {
  upstream.hold = true;
  const adding = fetch(`${node.url}/api/v1/system/registries/helm`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'tiny', endpoint: upstream.url }),
    signal: AbortSignal.timeout(60_000),
  });
  // Adding validates the endpoint with a fetch of its own, held too: let that one through.
  await upstream.held(1);
  upstream.release();
  const add = await adding;
  assert.equal(add.status, 201, await add.text());
  await upstream.held(2);
}

/** The pid of the server holding a registry sync's lease (owner `<host>:<pid>:<random>/<random>`). */
export async function syncLeaseHolderPid(storage: Storage): Promise<number | undefined> {
  const row = await storage.db
    .selectFrom('job_leases')
    .select('owner')
    .where('kind', '=', 'registry-sync')
    .executeTakeFirst();
  return row && Number(row.owner.split(':').at(-2));
}

/** `tiny`'s sync runs as `node` answers them, newest first. */
export async function tinyRunsOn(node: ClusterNode, adminToken: string): Promise<SyncRunBody[]> {
  const res = await fetch(`${node.url}${TINY_REGISTRY}/syncs`, {
    headers: { authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { items: SyncRunBody[] }).items;
}
