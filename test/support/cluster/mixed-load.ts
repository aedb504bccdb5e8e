/**
 * A bounded mixed load on a cluster through its load balancer, as its users make it: pulls (index.yaml
 * and an archive), pushes of new versions, catalog searches and "Sync now". Each loop runs one request
 * at a time until stopped; every answer the client would take as a failure is recorded.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { chartTgz, uploadChart } from '../hosted.js';

export interface LoadFailure {
  kind: string;
  /** The HTTP status, or the network error's message. */
  outcome: number | string;
  at: number;
}

export interface MixedLoad {
  /** Requests answered as expected, by kind. */
  done: Record<string, number>;
  failures: LoadFailure[];
  /** Versions pushed (chart `load`), for checks afterwards. */
  pushed: string[];
  stop(): Promise<void>;
}

export interface MixedLoadTarget {
  url: string;
  tenant: string;
  /** A member's Basic credential (pulls, pushes). */
  member: string;
  /** A tenant administrator's bearer token (search, sync). */
  adminToken: string;
  /** A chart and version to pull, and its archive's bytes. */
  pull: { file: string; bytes: Buffer };
  /** Registry names to sync. */
  registries: string[];
}

/** `thinkMs`: the pause after each request of a loop. */
export function startMixedLoad(t: MixedLoadTarget, thinkMs = 50): MixedLoad {
  const done: Record<string, number> = {};
  const failures: LoadFailure[] = [];
  const pushed: string[] = [];
  let stopped = false;
  const record = async (kind: string, request: () => Promise<number | string | true>): Promise<void> => {
    let outcome: number | string | true;
    try {
      outcome = await request();
    } catch (err) {
      outcome = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : String(err);
    }
    if (outcome === true) done[kind] = (done[kind] ?? 0) + 1;
    else failures.push({ kind, outcome, at: Date.now() });
  };
  const member = { authorization: t.member };
  const admin = { authorization: `Bearer ${t.adminToken}` };
  const loops: Record<string, (i: number) => Promise<void>> = {
    pull: (i) =>
      record(i % 2 === 0 ? 'index' : 'archive', async () => {
        const path = i % 2 === 0 ? 'index.yaml' : `charts/${t.pull.file}`;
        const res = await fetch(`${t.url}/helm/${t.tenant}/${path}`, { headers: member });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200) return res.status;
        return i % 2 === 0 || body.equals(t.pull.bytes) ? true : 'archive bytes differ';
      }),
    push: (i) =>
      record('push', async () => {
        const version = `1.0.${i}`;
        const up = await uploadChart(t.url, t.tenant, chartTgz('load', version), t.member);
        if (up.status !== 201) return up.status;
        pushed.push(version);
        return true;
      }),
    search: (i) =>
      record('search', async () => {
        const res = await fetch(`${t.url}/api/v1/tenants/${t.tenant}/charts?q=${i % 2 ? 'load' : 'up'}`, {
          headers: admin,
        });
        await res.arrayBuffer();
        return res.status === 200 || res.status;
      }),
    sync: (i) =>
      record('sync', async () => {
        const name = t.registries[i % t.registries.length]!;
        const res = await fetch(`${t.url}/api/v1/tenants/${t.tenant}/registries/helm/${name}/sync`, {
          method: 'POST',
          headers: admin,
        });
        const body = (await res.json()) as { error?: { code?: string } };
        // "Already running" is the API's answer while another server syncs it, not a failure.
        if (res.status === 202 || (res.status === 409 && body.error?.code === 'sync_in_progress'))
          return true;
        return `${res.status} ${body.error?.code ?? ''}`;
      }),
  };
  const running = Object.values(loops).map(async (step) => {
    for (let i = 0; !stopped; i++) {
      await step(i);
      // A user's think time: the load stays steady without starving the servers' restarts of CPU
      // on a small machine (pacing, not synchronisation).
      await sleep(thinkMs);
    }
  });
  return {
    done,
    failures,
    pushed,
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}
