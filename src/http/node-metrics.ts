import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobOutcome, JobRunEvent, LeaseHolding } from '../jobs/job-leases.js';
import type { PoolStats } from '../storage/database.js';

/** What this server's operations metrics are read from; the functions are called at each scrape. */
export interface NodeMetricSources {
  /** This process: its node id (CHARTHOUSE_NODE_ID), the server's version, `sqlite` or `postgres`. */
  node: { id: string; version: string; database: string };
  /** Jobs running in this process now, per kind. */
  jobsRunning(): ReadonlyMap<string, number>;
  /** Every server's leases, from the database (jobs/job-leases.ts `holdings`). */
  leaseHoldings(): Promise<readonly LeaseHolding[]>;
  poolStats(): PoolStats;
  logger: Logger;
}

const OUTCOMES: readonly JobOutcome[] = ['succeeded', 'failed', 'skipped'];

/**
 * A scrape waits this long for the database's lease counts, then answers without them: a Prometheus
 * scrape has its own deadline (10 s by default), and the other metrics matter most when the database
 * is slow.
 */
export const LEASE_COLLECT_TIMEOUT_MS = 2_000;

/**
 * Scale-out metrics: this node's identity, its job runs per kind, every node's job leases, and the
 * database pool. Job runs are counted where every kind's leases are taken and given back
 * (jobs/job-leases.ts), so a new job kind needs no metric code of its own.
 */
export function registerNodeMetrics(registry: Registry, sources: NodeMetricSources) {
  const registers = [registry];
  const kinds = new Set<string>();

  new Gauge({
    name: 'charthouse_node_info',
    help: 'This server process: its node id (CHARTHOUSE_NODE_ID), version and database; always 1',
    labelNames: ['node', 'version', 'database'] as const,
    registers,
  }).set({ node: sources.node.id, version: sources.node.version, database: sources.node.database }, 1);

  const runs = new Counter({
    name: 'charthouse_job_runs_total',
    help: 'Background job runs started by this process (scheduled or asked for), by kind and outcome: succeeded, failed, or skipped (another run held the job, or it was found done already)',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'charthouse_job_duration_seconds',
    help: 'How long the job runs of this process that did work (succeeded or failed) took, by kind',
    labelNames: ['kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  new Gauge({
    name: 'charthouse_jobs_running',
    help: 'Background jobs running in this process now, by kind',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      this.reset();
      const running = sources.jobsRunning();
      for (const kind of new Set([...kinds, ...running.keys()])) this.set({ kind }, running.get(kind) ?? 0);
    },
  });

  let leasesFailing = false;
  let leaseRead: Promise<readonly LeaseHolding[] | null> | undefined;
  /**
   * The leases for the scrape under way: read once, shared by the two metrics that need the answer
   * (prom-client collects every metric at once), null when the database failed or was too slow.
   */
  const readLeases = (): Promise<readonly LeaseHolding[] | null> =>
    (leaseRead ??= withDeadline(sources.leaseHoldings(), LEASE_COLLECT_TIMEOUT_MS)
      .then((holdings) => {
        if (leasesFailing) sources.logger.info('metrics: the job leases can be read again');
        leasesFailing = false;
        return holdings;
      })
      .catch((err: unknown) => {
        collectErrors.inc({ collector: 'job_leases' });
        // Once per outage, not once per scrape.
        if (!leasesFailing)
          sources.logger.warn({ err }, 'metrics: could not read the job leases; answering without them');
        leasesFailing = true;
        return null;
      })
      .finally(() => {
        leaseRead = undefined;
      }));
  const collectErrors = new Counter({
    name: 'charthouse_metrics_collect_errors_total',
    help: 'Scrapes that answered without a metric read from the database (it failed or was too slow), by collector',
    labelNames: ['collector'] as const,
    registers,
    async collect() {
      // Counts this scrape's failure, not only the last one's.
      await readLeases();
    },
  });
  collectErrors.inc({ collector: 'job_leases' }, 0);
  new Gauge({
    name: 'charthouse_job_leases',
    help: 'Job leases in the database (every server), by kind, holding node and whether the holder is alive (live="false": a stopped server\'s, waiting to be taken over)',
    labelNames: ['kind', 'node', 'live'] as const,
    registers,
    async collect() {
      const holdings = await readLeases();
      this.reset();
      for (const h of holdings ?? [])
        this.set({ kind: h.kind, node: h.node, live: String(h.live) }, h.leases);
    },
  });

  const pool = (): PoolStats => sources.poolStats();
  new Gauge({
    name: 'charthouse_db_pool_connections',
    help: "This process's database connections by state (total = idle + in_use); SQLite has one",
    labelNames: ['state'] as const,
    registers,
    collect() {
      const s = pool();
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'in_use' }, s.inUse);
    },
  });
  new Gauge({
    name: 'charthouse_db_pool_max',
    help: 'Database connections this process may open',
    registers,
    collect() {
      this.set(pool().max);
    },
  });
  new Gauge({
    name: 'charthouse_db_pool_waiting',
    help: 'Queries of this process waiting for a database connection',
    registers,
    collect() {
      this.set(pool().waiting);
    },
  });

  return {
    /** Give `names` their series (at 0) before their first run, so rates and alerts see them. */
    declareJobKinds(names: Iterable<string>): void {
      for (const kind of names) {
        kinds.add(kind);
        for (const outcome of OUTCOMES) runs.inc({ kind, outcome }, 0);
        duration.zero({ kind });
      }
    },
    /** One job run's end (JobLeases `observe`). */
    jobRun(e: JobRunEvent): void {
      kinds.add(e.kind);
      runs.inc({ kind: e.kind, outcome: e.outcome });
      if (e.outcome !== 'skipped' && e.seconds !== null) duration.observe({ kind: e.kind }, e.seconds);
    },
  };
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
