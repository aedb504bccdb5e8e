import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startCluster, type Cluster } from '../support/cluster/cluster.js';
import { startMixedLoad } from '../support/cluster/mixed-load.js';
import { requirePostgres } from '../support/cluster/require-postgres.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { createTenant } from '../support/server.js';
import { waitFor } from '../support/wait.js';

requirePostgres();

/*
 * Restarts of a three-server cluster behind nginx (docs/scale-out/nginx.conf) while its users work:
 * a rolling restart (SIGTERM, drain, start) fails none of their requests, and a server killed in the
 * middle of a push leaves nothing half-visible and the client's retry lands on another server.
 */

const MEMBER = basic('acme-member');
const UPSTREAM_INDEX = (name: string) => `apiVersion: v1
entries:
  ${name}:
  - apiVersion: v2
    name: ${name}
    version: 1.0.0
    digest: ${'a'.repeat(64)}
    urls: [charts/${name}-1.0.0.tgz]
`;

describe('restarting servers of a cluster behind nginx', () => {
  let cluster: Cluster;
  let upstream: FixtureServer;
  let acmeAdmin: string;
  const base = chartTgz('base', '1.0.0');

  before(async () => {
    upstream = await startFixtureServer({
      '/a/index.yaml': (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/yaml' }).end(UPSTREAM_INDEX('upa'));
      },
      '/b/index.yaml': (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/yaml' }).end(UPSTREAM_INDEX('upb'));
      },
    });
    cluster = await startCluster();
    acmeAdmin = (await createTenant(cluster, 'acme')).adminToken;
    for (const [name, path] of [
      ['upa', 'a'],
      ['upb', 'b'],
    ]) {
      const add = await cluster.api('POST', '/api/v1/tenants/acme/registries/helm', {
        token: acmeAdmin,
        body: { name, endpoint: `${upstream.url}/${path}` },
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));
    }
    const up = await uploadChart(cluster.url, 'acme', base, MEMBER);
    assert.equal(up.status, 201, JSON.stringify(up.body));
  });
  after(async () => {
    await cluster?.close();
    await upstream?.close();
  });

  it('restarts each server in turn under a mixed load without one failed request', async () => {
    const load = startMixedLoad({
      url: cluster.url,
      tenant: 'acme',
      member: MEMBER,
      adminToken: acmeAdmin,
      pull: { file: 'base-1.0.0.tgz', bytes: base },
      registries: ['upa', 'upb'],
    });
    const drains: { node: number; wallMs: number; logged: Record<string, unknown> | undefined }[] = [];
    try {
      for (const node of cluster.nodes) {
        const started = Date.now();
        node.signal('SIGTERM');
        const exit = await node.waitExit();
        const wallMs = Date.now() - started;
        assert.deepEqual(exit, { code: 0, signal: null }, `node ${node.index}: ${node.stderr()}`);
        const logged = node
          .logs()
          .findLast((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('drained'));
        drains.push({ node: node.index, wallMs, logged });
        const firstLine = node.logLines.length;
        await node.start();
        // The rolling-restart procedure of the README: the next server is stopped only once this one
        // serves through nginx again. nginx takes back a server it found refusing only after its
        // fail_timeout (5 s), however soon the server is ready; stopping the next one sooner can
        // leave nginx no server it believes up, and it answers 502 (a CI run saw exactly that).
        await waitFor(
          () => node.logs(firstLine).some((l) => l['msg'] === 'request' && l['route'] !== '/readyz'),
          { what: `node ${node.index} serves through nginx again`, timeoutMs: 30_000, intervalMs: 100 },
        );
      }
    } finally {
      await load.stop();
    }
    const totals = Object.values(load.done).reduce((a, b) => a + b, 0);
    assert.deepEqual(
      load.failures,
      [],
      `failed requests (of ${totals}): ${JSON.stringify(load.done)}; nginx: ${cluster.balancer.errorLog().slice(-2000)}`,
    );
    for (const kind of ['index', 'archive', 'push', 'search', 'sync']) {
      assert.ok((load.done[kind] ?? 0) > 0, `the load made ${kind} requests: ${JSON.stringify(load.done)}`);
    }
    for (const d of drains) {
      // The contract is 10 s; the process's exit is allowed some slack on a loaded machine.
      assert.ok(d.logged, `node ${d.node} logged its drain`);
      assert.ok(Number(d.logged['ms']) <= 10_000, JSON.stringify(d.logged));
      // Drained, not cut: nginx would replay a cut request on another server, so the load alone could
      // not tell a drain that finished its work from one that dropped it.
      const cut = (d.logged['cut'] ?? {}) as Record<string, number>;
      assert.ok(
        Object.values(cut).every((n) => n === 0),
        `node ${d.node} cut work: ${JSON.stringify(d.logged)}`,
      );
      assert.ok(d.wallMs < 15_000, `node ${d.node} exited after ${d.wallMs} ms`);
    }
    // Every push the load saw succeed is in the index, wherever it landed.
    const index = await (
      await fetch(`${cluster.url}/helm/acme/index.yaml`, { headers: { authorization: MEMBER } })
    ).text();
    for (const version of load.pushed)
      assert.match(index, new RegExp(`version: ${version.replace(/\./g, '\\.')}$`, 'm'));
    // Each server took itself off the worker list on the way out (its leases with it): the list holds
    // the servers running now, and every lease belongs to one of them.
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const workers = await db.query<{ id: string; pid: number }>('SELECT id, pid FROM job_workers');
      assert.deepEqual(workers.rows.map((w) => Number(w.pid)).sort(), cluster.nodes.map((n) => n.pid).sort());
      const orphans = await db.query(
        'SELECT key FROM job_leases WHERE owner NOT IN (SELECT id FROM job_workers)',
      );
      assert.deepEqual(orphans.rows, []);
    } finally {
      await db.end();
    }
  });

  it('a server killed mid-push leaves nothing half-visible; the retry through nginx succeeds', async () => {
    // 8 MiB that do not compress: in flight for a while, under the limits (5 MiB a file, 10 MiB a chart).
    const archive = chartTgz(
      'big',
      '1.0.0',
      { path: 'big/files/a.bin', content: randomBytes(4 * 1024 * 1024) },
      { path: 'big/files/b.bin', content: randomBytes(4 * 1024 * 1024) },
    );
    const victim = cluster.nodes[1]!;
    // Half the body, straight to one server; then the server dies with the request open.
    const failed = new Promise<Error>((resolve, reject) => {
      const req = request(`${victim.url}/helm/acme/api/charts`, {
        method: 'POST',
        headers: {
          authorization: MEMBER,
          'content-type': 'application/gzip',
          'content-length': String(archive.length),
        },
      });
      req.on('response', (res) => reject(new Error(`the push was answered ${res.statusCode}`)));
      req.on('error', resolve);
      req.write(archive.subarray(0, archive.length >> 1), () => {
        void victim.kill9();
      });
    });
    const error = await failed;
    assert.match(String(error), /ECONNRESET|socket hang up|EPIPE/);

    const visible = async () => {
      const [index, file, api, manifest] = await Promise.all([
        fetch(`${cluster.url}/helm/acme/index.yaml`, { headers: { authorization: MEMBER } }).then((r) =>
          r.text(),
        ),
        fetch(`${cluster.url}/helm/acme/charts/big-1.0.0.tgz`, { headers: { authorization: MEMBER } }),
        fetch(`${cluster.url}/helm/acme/api/charts/big/1.0.0`, { headers: { authorization: MEMBER } }),
        fetch(`${cluster.url}/v2/acme/big/manifests/1.0.0`, {
          headers: { authorization: MEMBER, accept: 'application/vnd.oci.image.manifest.v1+json' },
        }),
      ]);
      const bytes = Buffer.from(await file.arrayBuffer());
      return {
        index: /^ {2}big:$/m.test(index),
        file: file.status === 200 ? (bytes.equals(archive) ? 'same' : 'different') : file.status,
        api: api.status,
        manifest: manifest.status,
      };
    };
    // Before the retry: absent everywhere (or, had the server committed before dying, whole everywhere).
    const before = await visible();
    const absent = { index: false, file: 404, api: 404, manifest: 404 };
    const whole = { index: true, file: 'same', api: 200, manifest: 200 };
    assert.ok(
      JSON.stringify(before) === JSON.stringify(absent) || JSON.stringify(before) === JSON.stringify(whole),
      `half-visible after the kill: ${JSON.stringify(before)}`,
    );

    // The client retries through the load balancer: another server takes it.
    const retry = await uploadChart(cluster.url, 'acme', archive, MEMBER);
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.deepEqual(await visible(), whole);
    for (const node of cluster.nodes.filter((n) => n !== victim)) {
      const res = await fetch(`${node.url}/helm/acme/charts/big-1.0.0.tgz`, {
        headers: { authorization: MEMBER },
      });
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(archive), `node ${node.index} serves it whole`);
    }
    // The victim stays down: the suite ends here, and its start would only cost time.
  });
});
