import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { registerNodeMetrics, type NodeMetricSources } from './node-metrics.js';

/** One registry per server instance, so several servers in one test process keep separate counts. */
export function createMetrics(sources: NodeMetricSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'charthouse_' });
  const requestDuration = new Histogram({
    name: 'charthouse_http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'charthouse_http_requests_total',
    help: 'HTTP requests by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const syncDuration = new Histogram({
    name: 'charthouse_sync_duration_seconds',
    help: 'Registry sync duration by registry kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const syncVersions = new Counter({
    name: 'charthouse_sync_versions_total',
    help: 'Chart versions changed by syncs: added, updated (incl. re-published) or removed',
    labelNames: ['change'] as const,
    registers: [registry],
  });
  const hostedPushes = new Counter({
    name: 'charthouse_hosted_pushes_total',
    help: 'Chart versions pushed to hosted registries, by how (archive: ChartMuseum API, console, CLI; oci) and outcome',
    labelNames: ['via', 'outcome'] as const,
    registers: [registry],
  });
  const hostedDeletions = new Counter({
    name: 'charthouse_hosted_deletions_total',
    help: 'Chart versions deleted from hosted registries',
    registers: [registry],
  });
  const jobs = registerNodeMetrics(registry, sources);
  return {
    registry,
    requestDuration,
    requests,
    syncDuration,
    syncVersions,
    hostedPushes,
    hostedDeletions,
    jobs,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
