import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrations } from '../../src/storage/migrations/index.js';
import { startCluster, type Cluster } from '../support/cluster/cluster.js';
import { requirePostgres } from '../support/cluster/require-postgres.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { helmPackage, helmRegistryLoginOk, writeChart } from '../support/helm-charts.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { Helm } from '../support/kube-tools.js';
import { createTenant, type SyncRunBody } from '../support/server.js';
import { waitFor } from '../support/wait.js';

requirePostgres();

/*
 * Three stateless servers on one PostgreSQL database behind Debian's nginx (docs/scale-out/nginx.conf):
 * whichever server answers, a client sees the same registry. Started together on an empty database,
 * as after a first deploy, so the first test is about the migrations.
 */

const MEMBER = basic('acme-member');
const REGISTRIES = 6;

const upstreamIndex = (n: number): string => `apiVersion: v1
entries:
  up${n}:
  - apiVersion: v2
    name: up${n}
    version: 1.0.0
    digest: ${'a'.repeat(64)}
    urls: [charts/up${n}-1.0.0.tgz]
`;

describe('three servers behind nginx on one PostgreSQL', () => {
  let cluster: Cluster;
  let upstream: FixtureServer;
  let helm: Helm;
  let work: string;
  let acmeAdmin: string;
  /** index.yaml requests the upstream received, per repository. */
  const fetched = new Map<number, number>();

  before(async () => {
    const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {};
    for (let n = 0; n < REGISTRIES; n++) {
      routes[`/repo${n}/index.yaml`] = (_req, res) => {
        fetched.set(n, (fetched.get(n) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'text/yaml' }).end(upstreamIndex(n));
      };
    }
    upstream = await startFixtureServer(routes);
    cluster = await startCluster();
    acmeAdmin = (await createTenant(cluster, 'acme')).adminToken;
    helm = await Helm.start(4);
    work = await mkdtemp(join(tmpdir(), 'charthouse-cluster-'));
  });
  after(async () => {
    await cluster?.close();
    await upstream?.close();
    await helm?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const query = async <R extends object>(text: string, values: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: cluster.databaseUrl });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  };

  it('three servers started at once on an empty database ran the migrations once, under the lock', async () => {
    const reports = cluster.nodes.map((n) =>
      n.logs().find((l) => l['msg'] === 'database migrated' || l['msg'] === 'database schema current'),
    );
    const applied = reports.map((r) => Number(r?.['applied']));
    const all = Object.keys(migrations).length;
    // One server took the advisory lock and applied everything; the others waited for it and found
    // the schema current. Without the lock two would apply the first migration and one would fail.
    assert.deepEqual(
      applied.sort((a, b) => a - b),
      [0, 0, all],
      JSON.stringify(reports),
    );
    const rows = await query<{ name: string; n: string }>(
      'SELECT name, count(*) AS n FROM charthouse_migrations GROUP BY name',
    );
    assert.equal(rows.length, all);
    assert.ok(
      rows.every((r) => Number(r.n) === 1),
      'each migration recorded once',
    );
  });

  it('a chart pushed through one server is served by each other at once (ChartMuseum API, index.yaml)', async () => {
    for (const [i, pushTo] of cluster.nodes.entries()) {
      const archive = chartTgz(`cm${i}`, '1.0.0');
      const pushed = await uploadChart(pushTo.url, 'acme', archive, MEMBER);
      assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
      // No wait: the very next request, to every server.
      for (const other of cluster.nodes) {
        const index = await fetch(`${other.url}/helm/acme/index.yaml`, {
          headers: { authorization: MEMBER },
        });
        assert.equal(index.status, 200);
        assert.match(
          await index.text(),
          new RegExp(`^  cm${i}:$`, 'm'),
          `cm${i} in node ${other.index}'s index`,
        );
        const file = await fetch(`${other.url}/helm/acme/charts/cm${i}-1.0.0.tgz`, {
          headers: { authorization: MEMBER },
        });
        assert.equal(file.status, 200);
        assert.ok(
          Buffer.from(await file.arrayBuffer()).equals(archive),
          `node ${other.index} serves the bytes`,
        );
        const api = await fetch(`${other.url}/helm/acme/api/charts/cm${i}/1.0.0`, {
          headers: { authorization: MEMBER },
        });
        assert.equal(api.status, 200);
      }
    }
  });

  it('index.yaml has the same bytes and ETag from every server, and nginx answers with them too', async () => {
    const read = async (url: string) => {
      const res = await fetch(`${url}/helm/acme/index.yaml`, { headers: { authorization: MEMBER } });
      assert.equal(res.status, 200);
      return { etag: res.headers.get('etag'), body: await res.text() };
    };
    const seen = await Promise.all([...cluster.nodes.map((n) => read(n.url)), read(cluster.url)]);
    assert.ok(seen[0]!.etag);
    for (const s of seen) assert.deepEqual(s, seen[0]);
    // A client's conditional request is answered 304 by a server that did not send it the index.
    const conditional = await fetch(`${cluster.nodes[2]!.url}/helm/acme/index.yaml`, {
      headers: { authorization: MEMBER, 'if-none-match': seen[0]!.etag! },
    });
    assert.equal(conditional.status, 304);
  });

  it('helm push oci:// through one server, helm pull oci:// through another and through nginx', async () => {
    const hosts = [...cluster.nodes.map((n) => new URL(n.url).host), new URL(cluster.url).host];
    for (const host of hosts) {
      await helmRegistryLoginOk(helm, host, { username: 'acme-member', password: 'acme-member-password' });
    }
    for (const [i, node] of cluster.nodes.entries()) {
      const dir = await writeChart(work, { name: `oci${i}`, version: '1.0.0' });
      const [archive] = await helmPackage(helm, [dir], work);
      await helm.ok(['push', archive!, `oci://${hosts[i]}/acme`, '--plain-http']);
      for (const host of [hosts[(i + 1) % 3]!, hosts[3]!]) {
        const out = await mkdtemp(join(work, 'pull-'));
        await helm.ok([
          'pull',
          `oci://${host}/acme/oci${i}`,
          '--version',
          '1.0.0',
          '--plain-http',
          '-d',
          out,
        ]);
        const pulled = await readFile(join(out, `oci${i}-1.0.0.tgz`));
        assert.ok(
          pulled.equals(await readFile(archive!)),
          `oci${i} pushed via node ${node.index}, pulled via ${host}`,
        );
      }
      // The version is in every server's index.yaml too (one store for both protocols).
      for (const other of cluster.nodes) {
        const index = await fetch(`${other.url}/helm/acme/index.yaml`, {
          headers: { authorization: MEMBER },
        });
        assert.match(await index.text(), new RegExp(`^  oci${i}:$`, 'm'));
      }
    }
  });

  it('runs each sync on exactly one server: first, manual and scheduled syncs; spread over the servers', async () => {
    const registries = '/api/v1/tenants/acme/registries/helm';
    // Added through nginx: each server that takes one starts its first sync; the others' schedulers
    // find it due in the same second and must not sync it again.
    for (let n = 0; n < REGISTRIES; n++) {
      const add = await cluster.api('POST', registries, {
        token: acmeAdmin,
        body: { name: `up${n}`, endpoint: `${upstream.url}/repo${n}` },
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));
    }
    const runsOf = async (n: number, via = cluster.url): Promise<SyncRunBody[]> => {
      const res = await fetch(`${via}${registries}/up${n}/syncs?limit=50`, {
        headers: { authorization: `Bearer ${acmeAdmin}` },
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { items: SyncRunBody[] }).items;
    };
    const settled = async (n: number, count: number) =>
      waitFor(
        async () => {
          const runs = await runsOf(n);
          return runs.length >= count && runs.every((r) => r.status !== 'running') && runs;
        },
        { what: `${count} finished syncs of up${n}`, intervalMs: 100 },
      );
    for (let n = 0; n < REGISTRIES; n++) await settled(n, 1);

    // "Sync now" sent to the three servers at once: one sync, the others told one is running.
    const sent = await Promise.all(
      cluster.nodes.map((node) =>
        fetch(`${node.url}${registries}/up0/sync`, {
          method: 'POST',
          headers: { authorization: `Bearer ${acmeAdmin}` },
        }),
      ),
    );
    const statuses = sent.map((r) => r.status).sort();
    assert.ok(statuses.filter((s) => s === 202).length >= 1, `statuses ${statuses.join(',')}`);
    const accepted = statuses.filter((s) => s === 202).length;
    assert.ok(
      statuses.every((s) => s === 202 || s === 409),
      `statuses ${statuses.join(',')}`,
    );
    await settled(0, 1 + accepted);

    // Time passes: every registry is due. Each server's scheduler looks every second.
    await query("UPDATE registry_sync_state SET next_sync_at = '2000-01-01T00:00:00.000Z'");
    for (let n = 0; n < REGISTRIES; n++) await settled(n, n === 0 ? 2 + accepted : 2);
    // Nothing else is due: a few more looks by each scheduler add nothing.
    await waitFor(
      async () =>
        (
          await query<{ n: string }>('SELECT count(*) AS n FROM job_leases WHERE kind = $1', [
            'registry-sync',
          ])
        )[0]!.n === '0',
      {
        what: 'the sync leases released',
      },
    );

    for (let n = 0; n < REGISTRIES; n++) {
      const runs = await runsOf(n);
      // The upstream's count is the truth: one index.yaml fetch per run, none unrecorded, and the one
      // that checked the endpoint when the registry was added.
      assert.equal(fetched.get(n), runs.length + 1, `up${n}: ${fetched.get(n)} fetches, ${runs.length} runs`);
      // The first sync (started by the server that added it, or by a scheduler that found it due
      // first), the manual ones, then exactly one for the due time set above.
      assert.equal(runs.length, n === 0 ? 2 + accepted : 2, `up${n}: ${JSON.stringify(runs)}`);
      assert.equal(runs[0]!.trigger, 'schedule');
      // Every server reads the same runs.
      for (const node of cluster.nodes) assert.deepEqual(await runsOf(n, node.url), runs);
    }
    // Which server ran each run, from the servers' own logs.
    const ranOn = new Map<string, number[]>();
    for (const node of cluster.nodes) {
      for (const line of node.logs()) {
        if (line['msg'] !== 'sync finished' || typeof line['run'] !== 'string') continue;
        ranOn.set(line['run'], [...(ranOn.get(line['run']) ?? []), node.index]);
      }
    }
    const allRuns = (await Promise.all([...Array(REGISTRIES).keys()].map((n) => runsOf(n)))).flat();
    for (const run of allRuns)
      assert.equal(ranOn.get(run.id)?.length, 1, `run ${run.id} on exactly one server`);
    const servers = new Set([...ranOn.values()].flat());
    assert.ok(servers.size >= 2, `syncs spread over the servers: ${JSON.stringify([...ranOn.values()])}`);
  });

  it('the catalog, the registries and the job workers read alike on every server', async () => {
    const paths = ['/api/v1/tenants/acme/charts?limit=100', '/api/v1/tenants/acme/registries/helm'];
    for (const path of paths) {
      const seen = await Promise.all(
        cluster.nodes.map(async (n) => {
          const res = await fetch(`${n.url}${path}`, { headers: { authorization: `Bearer ${acmeAdmin}` } });
          assert.equal(res.status, 200, path);
          return res.json();
        }),
      );
      for (const s of seen) assert.deepEqual(s, seen[0], path);
    }
    const charts = (await cluster.api<{ items: { name: string }[] }>('GET', paths[0]!, { token: acmeAdmin }))
      .body;
    const names = charts.items.map((c) => c.name);
    for (const name of ['cm0', 'oci0', 'up0', 'up5'])
      assert.ok(names.includes(name), `${name} in ${names.join(',')}`);
    // One live worker row per server: each knows the others are alive (leases are taken against these).
    const workers = await query<{ pid: number }>('SELECT pid FROM job_workers');
    assert.deepEqual(workers.map((w) => Number(w.pid)).sort(), cluster.nodes.map((n) => n.pid).sort());
  });
});
