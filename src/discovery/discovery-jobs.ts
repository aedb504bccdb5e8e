import type { DueJob, JobKind } from '../jobs/job-kind.js';
import type { JobLeases } from '../jobs/job-leases.js';
import { nowIso } from '../shared/ids.js';
import type { DiscoveredReleaseRepository } from './discovered-release.repository.js';
import type { DiscoveryRunRepository } from './discovery-run.repository.js';
import type { DiscoveryService } from './discovery.service.js';
import { CLUSTER_DISCOVERY } from './kube-discovery.js';

export interface DiscoveryJobsOptions {
  discovery: DiscoveryService;
  runs: DiscoveryRunRepository;
  releases: DiscoveredReleaseRepository;
  leases: JobLeases;
  /** A kubeconfig cluster is discovered again this long after its last discovery was asked for. */
  intervalMs: number;
}

/** A run younger than this may not hold its lease yet (inserted, then leased): never judged abandoned. */
const LEASE_GRACE_MS = 60_000;

/**
 * Scheduled discovery of kubeconfig clusters as a job kind (src/jobs): a cluster is due when no
 * discovery was asked for within the interval (a new cluster at once, like a registry's first
 * sync), one at a time per process; and a run left `running` by a server that stopped is failed, so
 * the console does not show it running for ever. Agent clusters are discovered when asked: their
 * agent is the one to read them.
 */
export class DiscoveryJobs implements JobKind {
  readonly name = CLUSTER_DISCOVERY;
  /** Discoveries read whole clusters: one at a time per process. */
  readonly concurrency = 1;

  constructor(private readonly o: DiscoveryJobsOptions) {}

  async beforePass(now: Date): Promise<void> {
    const busy = await this.busyClusters();
    const failed = await this.o.runs.failAbandoned(
      busy,
      new Date(now.getTime() - LEASE_GRACE_MS).toISOString(),
      nowIso(),
    );
    for (const run of failed) await this.o.releases.dropRun(run);
  }

  async due(now: Date, limit: number): Promise<DueJob[]> {
    const since = new Date(now.getTime() - this.o.intervalMs).toISOString();
    const ids = await this.o.runs.clustersDue(since, limit, await this.busyClusters());
    return ids.map((id) => ({
      key: `${CLUSTER_DISCOVERY}:${id}`,
      run: () => this.o.discovery.scheduled(id),
    }));
  }

  private async busyClusters(): Promise<Set<string>> {
    const { busy } = await this.o.leases.survey(CLUSTER_DISCOVERY);
    return new Set([...busy].map((key) => key.slice(CLUSTER_DISCOVERY.length + 1)));
  }
}
