import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/app.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { deferred } from '../support/job-doubles.js';
import { sampleValue } from '../support/prometheus-text.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

const INDEX = `apiVersion: v1
entries:
  demo:
  - apiVersion: v2
    name: demo
    version: 1.0.0
    urls: [demo-1.0.0.tgz]
generated: "2026-01-01T00:00:00Z"
`;

describe(`operations metrics of a node (${TEST_DB})`, () => {
  const node = `metrics-${randomBytes(3).toString('hex')}`;
  let server: TestServer;
  let fixture: FixtureServer;
  let tenant: { adminToken: string };
  const base = '/api/v1/tenants/metrics/registries/helm';
  /** What the fixture upstream answers; `gate`, when set, holds the answer until resolved. */
  const upstream: { status: number; gate: Promise<void> | null } = { status: 200, gate: null };

  before(async () => {
    server = await startTestServer({ CHARTHOUSE_NODE_ID: node });
    fixture = await startFixtureServer({
      '/repo/index.yaml': async (_req: IncomingMessage, res: ServerResponse) => {
        await upstream.gate;
        if (upstream.status !== 200) res.writeHead(upstream.status).end('upstream trouble');
        else res.writeHead(200, { 'content-type': 'text/yaml' }).end(INDEX);
      },
    });
    tenant = await createTenant(server, 'metrics');
    const add = await server.api('POST', base, {
      token: tenant.adminToken,
      body: { name: 'repo', endpoint: `${fixture.url}/repo` },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
  });
  after(async () => {
    await Promise.all([server.close(), fixture.close()]);
  });

  const scrape = async (): Promise<string> => {
    const res = await server.api<string>('GET', '/metrics', { token: null });
    assert.equal(res.status, 200);
    return res.body;
  };
  /** Scrapes until `name{labels}` reads `value` (a run is counted just after its result is visible). */
  const metricReaches = (name: string, labels: Record<string, string>, value: number) =>
    waitFor(async () => sampleValue(await scrape(), name, labels) === value, {
      what: `${name}${JSON.stringify(labels)} = ${value}`,
      timeoutMs: 20_000,
    });
  const runs = (kind: string, outcome: string) => ({ kind, outcome });

  it('names this node, its version and database, and every log line carries the node id', async () => {
    const text = await scrape();
    assert.equal(sampleValue(text, 'charthouse_node_info', { node, version: VERSION, database: TEST_DB }), 1);
    assert.ok(server.logLines.length > 0);
    const strangers = server.logLines.filter((line) => (JSON.parse(line) as { node?: string }).node !== node);
    assert.deepEqual(strangers, [], 'log lines without the node id');
  });

  it('counts the periodic jobs the scheduler runs at start, with their duration', async () => {
    await metricReaches('charthouse_job_runs_total', runs('hosted-sweep', 'succeeded'), 1);
    await metricReaches('charthouse_job_runs_total', runs('job-workers-prune', 'succeeded'), 1);
    const text = await scrape();
    assert.equal(sampleValue(text, 'charthouse_job_duration_seconds_count', { kind: 'hosted-sweep' }), 1);
    assert.equal(sampleValue(text, 'charthouse_job_runs_total', runs('hosted-sweep', 'failed')), 0);
  });

  it('counts a sync that succeeded and one the upstream failed, under one job kind', async () => {
    const before = await scrape();
    assert.equal(sampleValue(before, 'charthouse_job_runs_total', runs('registry-sync', 'failed')), 0);
    const ok = await syncAndWait(server, `${base}/repo`, tenant.adminToken);
    assert.equal(ok.status, 'succeeded', JSON.stringify(ok));
    await metricReaches('charthouse_job_runs_total', runs('registry-sync', 'succeeded'), 1);

    upstream.status = 500;
    const failed = await syncAndWait(server, `${base}/repo`, tenant.adminToken);
    upstream.status = 200;
    assert.equal(failed.status, 'failed', JSON.stringify(failed));
    await metricReaches('charthouse_job_runs_total', runs('registry-sync', 'failed'), 1);
    const text = await scrape();
    assert.equal(sampleValue(text, 'charthouse_job_runs_total', runs('registry-sync', 'succeeded')), 1);
    assert.equal(sampleValue(text, 'charthouse_job_duration_seconds_count', { kind: 'registry-sync' }), 2);
    assert.equal(sampleValue(text, 'charthouse_jobs_running', { kind: 'registry-sync' }), 0);
    // The sync metrics of before stay.
    assert.ok(
      (sampleValue(text, 'charthouse_sync_duration_seconds_count', { kind: 'helm', outcome: 'failed' }) ??
        0) >= 1,
    );
  });

  it('shows the node holding a sync while it runs, and nothing once it ended', async () => {
    const gate = deferred();
    upstream.gate = gate.promise;
    const asked = fixture.received('/repo/index.yaml');
    const started = await server.api('POST', `${base}/repo/sync`, { token: tenant.adminToken });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await asked;
    const during = await scrape();
    const lease = { kind: 'registry-sync', node, live: 'true' };
    assert.equal(sampleValue(during, 'charthouse_job_leases', lease), 1, 'the held lease');
    assert.equal(sampleValue(during, 'charthouse_jobs_running', { kind: 'registry-sync' }), 1);
    // A second "Sync now" meanwhile finds the lease held: skipped, not failed.
    const skippedBefore =
      sampleValue(during, 'charthouse_job_runs_total', runs('registry-sync', 'skipped')) ?? 0;
    const second = await server.api('POST', `${base}/repo/sync`, { token: tenant.adminToken });
    assert.equal(second.status, 409, JSON.stringify(second.body));
    await metricReaches('charthouse_job_runs_total', runs('registry-sync', 'skipped'), skippedBefore + 1);

    gate.resolve();
    upstream.gate = null;
    await metricReaches('charthouse_jobs_running', { kind: 'registry-sync' }, 0);
    assert.equal(
      sampleValue(await scrape(), 'charthouse_job_leases', lease),
      undefined,
      'a lease given back',
    );
  });

  it('shows the database pool', async () => {
    const text = await scrape();
    const state = (s: string) => sampleValue(text, 'charthouse_db_pool_connections', { state: s });
    const total = state('total');
    assert.ok(total !== undefined && total >= 1, `total ${total}`);
    assert.equal((state('idle') ?? NaN) + (state('in_use') ?? NaN), total);
    assert.equal(sampleValue(text, 'charthouse_db_pool_max'), TEST_DB === 'postgres' ? 10 : 1);
    const waiting = sampleValue(text, 'charthouse_db_pool_waiting');
    assert.ok(waiting !== undefined && waiting >= 0);
  });
});
