import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import {
  countChartVersions,
  createTenant,
  startTestServer,
  syncAndWait,
  TEST_DB,
  type TestServer,
} from '../support/server.js';
import { waitFor } from '../support/wait.js';

type Run = {
  id: string;
  status: string;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  warnings: Array<{ message: string }>;
  error: string | null;
  errorCode: string | null;
};
type Registry = {
  syncStatus: string;
  lastSyncedAt: string | null;
  lastError: string | null;
  chartCount: number;
  versionCount: number;
};
type Err = { error: { code: string; message: string } };

const ARGO = readFileSync(new URL('../../../shared/corpus/index/argo-helm-index.yaml', import.meta.url));
const EXTRA_VERSION = `  zz-new-chart:
  - apiVersion: v2
    name: zz-new-chart
    version: 0.1.0
    urls: [zz-new-chart-0.1.0.tgz]
`;

/** A repository whose index the test can change, answering conditional GETs with an ETag. */
function upstream() {
  const state = { body: ARGO as Buffer, status: 200 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (state.status !== 200) {
      res.writeHead(state.status).end('upstream trouble');
      return;
    }
    const etag = `"${createHash('sha256').update(state.body).digest('hex').slice(0, 20)}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/yaml', etag }).end(state.body);
  };
  return { state, handler };
}

describe(`sync of classic repositories (${TEST_DB})`, () => {
  let server: TestServer;
  let fixture: FixtureServer;
  let tenant: { adminToken: string; memberToken: string };
  let other: { adminToken: string };
  const repo = upstream();
  const base = '/api/v1/tenants/syncs/registries/helm';

  before(async () => {
    server = await startTestServer();
    fixture = await startFixtureServer({ '/argo/index.yaml': repo.handler });
    tenant = await createTenant(server, 'syncs');
    other = await createTenant(server, 'elsewhere');
    const add = await server.api('POST', base, {
      token: tenant.adminToken,
      body: { name: 'argo', endpoint: `${fixture.url}/argo` },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
  });
  after(async () => {
    await Promise.all([server.close(), fixture.close()]);
  });

  const syncNow = (name = 'argo') => syncAndWait(server, `${base}/${name}`, tenant.adminToken);
  const registry = async (): Promise<Registry> =>
    (await server.api<Registry>('GET', `${base}/argo`, { token: tenant.memberToken })).body;
  const versionRows = (): Promise<number> => countChartVersions(server);

  it('synchronizes a real index into the catalog and shows Last Synced', async () => {
    const run = await syncNow();
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.ok(run.added > 1500, `added ${run.added}`);
    const reg = await registry();
    assert.equal(reg.syncStatus, 'synced');
    assert.ok(reg.lastSyncedAt);
    assert.equal(reg.chartCount, 11);
    assert.equal(reg.versionCount, run.added);
    assert.equal(await versionRows(), run.added);
  });

  it('costs one conditional request and no catalog writes when the upstream is unchanged', async () => {
    const before = await server.app.storage.db
      .selectFrom('chart_versions')
      .select(['id', 'updated_at'])
      .orderBy('id')
      .execute();
    const requests = fixture.requests.length;
    const run = await syncNow();
    assert.equal(run.status, 'unchanged');
    assert.equal(fixture.requests.length, requests + 1);
    assert.ok(fixture.requests.at(-1)?.headers['if-none-match']);
    const after = await server.app.storage.db
      .selectFrom('chart_versions')
      .select(['id', 'updated_at'])
      .orderBy('id')
      .execute();
    assert.deepEqual(after, before);
  });

  it('writes exactly the new version when one appears upstream', async () => {
    const count = await versionRows();
    repo.state.body = Buffer.from(
      ARGO.toString('utf8').replace(/^entries:\n/m, `entries:\n${EXTRA_VERSION}`),
    );
    const run = await syncNow();
    assert.deepEqual([run.status, run.added, run.updated, run.removed], ['succeeded', 1, 0, 0]);
    assert.equal(await versionRows(), count + 1);
  });

  it('re-reads only the charts whose lines changed: a changed digest, a removed version, whitespace', async () => {
    const current = repo.state.body.toString('utf8');
    const count = await versionRows();
    const stored = () =>
      server.app.storage.db
        .selectFrom('chart_versions')
        .select(['digest', 'republished'])
        .where('chart_name', '=', 'argo')
        .where('version', '=', '1.0.0')
        .executeTakeFirst();
    const oldDigest = '51f889dca3437fb4e0a27816f6a473a9358828dbf6f85564b7991fa1458055c2';
    assert.ok(current.includes(oldDigest));
    // One version's digest changes in a chart whose other versions do not.
    repo.state.body = Buffer.from(current.replace(oldDigest, 'f'.repeat(64)));
    let run = await syncNow();
    assert.deepEqual([run.status, run.added, run.updated, run.removed], ['succeeded', 0, 1, 0]);
    assert.equal(run.unchanged, count - 1);
    assert.deepEqual(await stored(), { digest: 'f'.repeat(64), republished: 1 });
    // That version removed (the chart's first entry).
    const start = current.indexOf('  argo:\n') + '  argo:\n'.length;
    const end = current.indexOf('  - apiVersion', start + 4);
    const removed = current.slice(0, start) + current.slice(end);
    repo.state.body = Buffer.from(removed);
    run = await syncNow();
    assert.deepEqual([run.status, run.added, run.updated, run.removed], ['succeeded', 0, 0, 1]);
    assert.equal(await stored(), undefined);
    assert.equal(await versionRows(), count - 1);
    // Only whitespace and comments change in a chart's lines: it is read again, and nothing is written.
    repo.state.body = Buffer.from(
      removed.replace('  argo:\n', '  argo:\n  # re-indexed\n\n').replace(/^( {4}version: .*)$/m, '$1   '),
    );
    run = await syncNow();
    assert.deepEqual([run.status, run.added, run.updated, run.removed], ['succeeded', 0, 0, 0]);
    assert.equal(run.unchanged, count - 1);
    repo.state.body = Buffer.from(current);
    run = await syncNow();
    assert.deepEqual([run.status, run.added, run.updated, run.removed], ['succeeded', 1, 0, 0]);
    assert.equal(await versionRows(), count);
  });

  it('keeps the catalog and records the error when the upstream fails', async () => {
    const count = await versionRows();
    repo.state.status = 500;
    const run = await syncNow();
    assert.equal(run.status, 'failed');
    assert.equal(run.errorCode, 'upstream_bad_status');
    const reg = await registry();
    assert.equal(reg.syncStatus, 'failed');
    assert.match(reg.lastError ?? '', /500/);
    assert.ok(reg.lastSyncedAt, 'the last good sync still shows');
    assert.equal(await versionRows(), count);
    repo.state.status = 200;
  });

  it('holds an index that suddenly lost most entries, and applies it when seen again', async () => {
    const count = await versionRows();
    repo.state.body = Buffer.from(`apiVersion: v1\nentries:\n${EXTRA_VERSION}`);
    const held = await syncNow();
    assert.equal(held.status, 'suspect');
    assert.match(held.error ?? '', /truncated/);
    assert.equal(await versionRows(), count);
    const confirmed = await syncNow();
    assert.equal(confirmed.status, 'succeeded');
    assert.equal(confirmed.removed, count - 1);
    assert.equal(await versionRows(), 1);
    repo.state.body = ARGO;
  });

  it('runs one sync at a time per registry', async () => {
    const results = await Promise.all(
      [1, 2].map(() => server.api<Err>('POST', `${base}/argo/sync`, { token: tenant.adminToken })),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [202, 409]);
    assert.equal(results.find((r) => r.status === 409)?.body.error.code, 'sync_in_progress');
    // Let the running one finish before the next test.
    await waitFor(async () => (await registry()).syncStatus !== 'syncing', {
      what: 'the running sync finished',
      timeoutMs: 60_000,
    });
  });

  it('lets an admin force a sync that another (stuck) process holds', async () => {
    const { db } = server.app.storage;
    const argo = await db
      .selectFrom('helm_registries')
      .select('id')
      .where('name', '=', 'argo')
      .executeTakeFirstOrThrow();
    // Another server, alive (heartbeating) but stuck in a sync of argo.
    const now = new Date().toISOString();
    await db
      .insertInto('job_workers')
      .values({ id: 'stuck-host:1:abc', host: 'stuck-host', pid: 1, started_at: now, heartbeat_at: now })
      .execute();
    await db
      .insertInto('job_leases')
      .values({
        key: `registry-sync:${argo.id}`,
        kind: 'registry-sync',
        owner: 'stuck-host:1:abc',
        acquired_at: now,
      })
      .execute();
    const refused = await server.api<Err>('POST', `${base}/argo/sync`, { token: tenant.adminToken });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'sync_in_progress');
    const forced = await server.api<{ run: Run }>('POST', `${base}/argo/sync?force=true`, {
      token: tenant.adminToken,
    });
    assert.equal(forced.status, 202, JSON.stringify(forced.body));
    await waitFor(async () => (await registry()).syncStatus !== 'syncing', {
      what: 'the forced sync finished',
      timeoutMs: 60_000,
    });
    const lease = await db
      .selectFrom('job_leases')
      .selectAll()
      .where('key', '=', `registry-sync:${argo.id}`)
      .executeTakeFirst();
    assert.equal(lease, undefined, 'the forced sync released the lease when done');
  });

  it('exposes sync durations, outcomes and changed versions as Prometheus metrics', async () => {
    const res = await server.api<string>('GET', '/metrics', { token: null });
    assert.match(res.body, /charthouse_sync_duration_seconds_count\{kind="helm",outcome="succeeded"\} [1-9]/);
    assert.match(res.body, /charthouse_sync_duration_seconds_count\{kind="helm",outcome="unchanged"\} [1-9]/);
    assert.match(res.body, /charthouse_sync_duration_seconds_count\{kind="helm",outcome="failed"\} [1-9]/);
    assert.match(res.body, /charthouse_sync_versions_total\{change="added"\} [1-9]\d{3}/);
  });

  it('refuses to sync a protected registry (409) and keeps sync to admins of the tenant', async () => {
    await server.api('POST', base, {
      token: tenant.adminToken,
      body: { name: 'inside', endpoint: 'https://charts.internal.invalid', protected: true },
    });
    const protectedSync = await server.api<Err>('POST', `${base}/inside/sync`, { token: tenant.adminToken });
    assert.equal(protectedSync.status, 409);
    assert.equal(protectedSync.body.error.code, 'registry_protected');
    assert.equal((await server.api('POST', `${base}/argo/sync`, { token: tenant.memberToken })).status, 403);
    assert.equal((await server.api('POST', `${base}/argo/sync`, { token: other.adminToken })).status, 404);
    assert.equal((await server.api('GET', `${base}/argo/syncs`, { token: other.adminToken })).status, 404);
  });
});
