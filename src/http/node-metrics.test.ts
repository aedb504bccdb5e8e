import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { LeaseHolding } from '../jobs/job-leases.js';
import type { PoolStats } from '../storage/database.js';
import { LEASE_COLLECT_TIMEOUT_MS, registerNodeMetrics, type NodeMetricSources } from './node-metrics.js';

type Labels = Record<string, string | number>;

/** The value of `name` (a sample name: `x_count` for a histogram's count) with exactly `labels`. */
async function value(registry: Registry, name: string, labels: Labels = {}): Promise<number | undefined> {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values as Array<{ labels: Labels; value: number; metricName?: string }>) {
      const same =
        Object.keys(v.labels).length === Object.keys(labels).length &&
        Object.entries(labels).every(([k, x]) => v.labels[k] === x);
      if ((v.metricName ?? metric.name) === name && same) return v.value;
    }
  }
  return undefined;
}

function setUp(over: Partial<NodeMetricSources> = {}) {
  const warnings: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void warnings.push(line) });
  const state = {
    running: new Map<string, number>(),
    holdings: (): Promise<LeaseHolding[]> => Promise.resolve([]),
    pool: { max: 10, total: 3, idle: 1, inUse: 2, waiting: 4 } as PoolStats,
  };
  const registry = new Registry();
  const jobs = registerNodeMetrics(registry, {
    node: { id: 'node-a', version: '9.9.9', database: 'postgres' },
    jobsRunning: () => state.running,
    leaseHoldings: () => state.holdings(),
    poolStats: () => state.pool,
    logger,
    ...over,
  });
  return { registry, jobs, state, warnings };
}

describe('node metrics', () => {
  it('names the node, its version and database', async () => {
    const { registry } = setUp();
    assert.equal(
      await value(registry, 'charthouse_node_info', {
        node: 'node-a',
        version: '9.9.9',
        database: 'postgres',
      }),
      1,
    );
  });

  it('counts runs per kind and outcome, times only the runs that did work, and shows declared kinds at 0', async () => {
    const { registry, jobs, state } = setUp();
    jobs.declareJobKinds(['registry-sync', 'hosted-sweep']);
    assert.equal(
      await value(registry, 'charthouse_job_runs_total', { kind: 'hosted-sweep', outcome: 'failed' }),
      0,
    );
    assert.equal(await value(registry, 'charthouse_jobs_running', { kind: 'hosted-sweep' }), 0);
    assert.equal(
      await value(registry, 'charthouse_job_duration_seconds_count', { kind: 'registry-sync' }),
      0,
    );

    jobs.jobRun({ kind: 'registry-sync', outcome: 'succeeded', seconds: 2 });
    jobs.jobRun({ kind: 'registry-sync', outcome: 'failed', seconds: 0.5 });
    jobs.jobRun({ kind: 'registry-sync', outcome: 'skipped', seconds: null });
    jobs.jobRun({ kind: 'registry-sync', outcome: 'skipped', seconds: 0.01 });
    jobs.jobRun({ kind: 'cluster-discovery', outcome: 'succeeded', seconds: 1 });
    const runs = (kind: string, outcome: string) =>
      value(registry, 'charthouse_job_runs_total', { kind, outcome });
    assert.equal(await runs('registry-sync', 'succeeded'), 1);
    assert.equal(await runs('registry-sync', 'failed'), 1);
    assert.equal(await runs('registry-sync', 'skipped'), 2);
    assert.equal(await runs('cluster-discovery', 'succeeded'), 1, 'an undeclared kind is counted too');
    assert.equal(
      await value(registry, 'charthouse_job_duration_seconds_count', { kind: 'registry-sync' }),
      2,
    );
    assert.equal(
      await value(registry, 'charthouse_job_duration_seconds_sum', { kind: 'registry-sync' }),
      2.5,
    );

    state.running = new Map([['registry-sync', 2]]);
    assert.equal(await value(registry, 'charthouse_jobs_running', { kind: 'registry-sync' }), 2);
    assert.equal(await value(registry, 'charthouse_jobs_running', { kind: 'hosted-sweep' }), 0);
    state.running = new Map();
    assert.equal(
      await value(registry, 'charthouse_jobs_running', { kind: 'registry-sync' }),
      0,
      'a stale count',
    );
  });

  it('reads the leases at each scrape, per kind, node and liveness', async () => {
    const { registry, state } = setUp();
    state.holdings = () =>
      Promise.resolve([
        { kind: 'registry-sync', node: 'node-a', live: true, leases: 2 },
        { kind: 'registry-sync', node: 'node-b', live: false, leases: 1 },
      ]);
    const leases = (node: string, live: string) =>
      value(registry, 'charthouse_job_leases', { kind: 'registry-sync', node, live });
    assert.equal(await leases('node-a', 'true'), 2);
    assert.equal(await leases('node-b', 'false'), 1);
    state.holdings = () =>
      Promise.resolve([{ kind: 'registry-sync', node: 'node-a', live: true, leases: 1 }]);
    assert.equal(await leases('node-a', 'true'), 1);
    assert.equal(await leases('node-b', 'false'), undefined, 'a lease given back is still shown');
  });

  it('answers the other metrics when the leases cannot be read, counts the failure and warns once', async () => {
    const { registry, state, jobs, warnings } = setUp();
    jobs.jobRun({ kind: 'registry-sync', outcome: 'succeeded', seconds: 1 });
    state.holdings = () =>
      Promise.resolve([{ kind: 'registry-sync', node: 'node-a', live: true, leases: 1 }]);
    assert.equal(
      await value(registry, 'charthouse_job_leases', { kind: 'registry-sync', node: 'node-a', live: 'true' }),
      1,
    );

    state.holdings = () => Promise.reject(new Error('the database is away'));
    const text = await registry.metrics();
    assert.match(text, /charthouse_job_runs_total\{kind="registry-sync",outcome="succeeded"\} 1/);
    assert.match(text, /charthouse_db_pool_waiting 4/);
    assert.doesNotMatch(text, /charthouse_job_leases\{/, 'stale lease counts shown as current');
    assert.match(text, /charthouse_metrics_collect_errors_total\{collector="job_leases"\} 1/);
    await registry.metrics();
    assert.equal(
      await value(registry, 'charthouse_metrics_collect_errors_total', { collector: 'job_leases' }),
      3,
    );
    assert.equal(warnings.filter((w) => w.includes('could not read the job leases')).length, 1);

    state.holdings = () => Promise.resolve([]);
    await registry.metrics();
    assert.equal(warnings.filter((w) => w.includes('can be read again')).length, 1);
  });

  it('gives up on a lease query that does not answer, within its deadline', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { registry, state } = setUp();
    state.holdings = () => new Promise(() => undefined);
    const scrape = registry.metrics();
    // Let the collectors start and arm their deadline before the clock moves.
    await new Promise<void>((resolve) => setImmediate(resolve));
    t.mock.timers.tick(LEASE_COLLECT_TIMEOUT_MS);
    const text = await scrape;
    assert.match(text, /charthouse_metrics_collect_errors_total\{collector="job_leases"\} 1/);
    assert.match(text, /charthouse_node_info/);
  });

  it('shows the database pool', async () => {
    const { registry } = setUp();
    assert.equal(await value(registry, 'charthouse_db_pool_connections', { state: 'total' }), 3);
    assert.equal(await value(registry, 'charthouse_db_pool_connections', { state: 'idle' }), 1);
    assert.equal(await value(registry, 'charthouse_db_pool_connections', { state: 'in_use' }), 2);
    assert.equal(await value(registry, 'charthouse_db_pool_max'), 10);
    assert.equal(await value(registry, 'charthouse_db_pool_waiting'), 4);
  });
});
