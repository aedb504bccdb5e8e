import type { Logger } from 'pino';
import type { ClusterRow } from '../clusters/cluster.repository.js';
import type { JobLeases, JobOutcome } from '../jobs/job-leases.js';
import type { DecodedRelease, DiscoveryWarning } from '../protocol/helm/release/release-record.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { DiscoveredReleaseRepository } from './discovered-release.repository.js';
import type { DiscoveryRecorder } from './discovery-recorder.js';
import type { DiscoveryRunRow } from './discovery-run.repository.js';
import type { ServerDiscovery } from './discovery.service.js';
import type { ReleaseMatcher } from './release-matching.js';

/** Reads a cluster's Helm releases through a kubeconfig (src/upstream/kube/release-scan.ts). */
export type KubeReleaseScan = (
  kubeconfig: string,
  options: { namespaces: string[] | null; signal: AbortSignal },
  onBatch: (releases: DecodedRelease[]) => Promise<void>,
) => Promise<{ objects: number; warnings: DiscoveryWarning[] }>;

export interface KubeDiscoveryDeps {
  leases: JobLeases;
  recorder: DiscoveryRecorder;
  matcher: ReleaseMatcher;
  releases: DiscoveredReleaseRepository;
  secrets: SecretBox;
  scan: KubeReleaseScan;
  logger: Logger;
  /** The longest one discovery may take, listing and matching included. */
  timeoutMs?: number;
}

export const CLUSTER_DISCOVERY = 'cluster-discovery';
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** Of the run's time, what matching may spend fetching catalog archives it has not fingerprinted yet. */
const WARM_BUDGET_MS = 60_000;

/**
 * The server's discovery of a kubeconfig cluster: one at a time per cluster across every server (the
 * jobs module's lease `cluster-discovery:<id>`), in the background after "Discover now" answered 202,
 * bounded in time; whatever happens, the run ends recorded as succeeded or failed, and a process that
 * dies mid-run leaves it to be failed when the next discovery finds its lease abandoned.
 */
export class KubeDiscovery implements ServerDiscovery {
  private readonly running = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();

  constructor(private readonly d: KubeDiscoveryDeps) {}

  async start(cluster: ClusterRow, run: DiscoveryRunRow): Promise<{ done: Promise<void> } | null> {
    const lease = await this.d.leases.acquire(`${CLUSTER_DISCOVERY}:${cluster.id}`, CLUSTER_DISCOVERY);
    if (!lease) return null;
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(), this.d.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const done = this.run(cluster, run, abort.signal)
      .catch((err: unknown): JobOutcome => {
        this.d.logger.error({ err, run: run.id }, 'a discovery could not record its end');
        return 'failed';
      })
      .then(async (outcome) => {
        clearTimeout(timer);
        this.aborts.delete(abort);
        await this.d.leases.abandon(lease, outcome);
      });
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return { done };
  }

  /** Ends every discovery of this process (shutdown): each records itself failed. */
  async close(): Promise<void> {
    for (const abort of this.aborts) abort.abort();
    await Promise.allSettled([...this.running]);
  }

  /** How many discoveries run in this process now. */
  get runningCount(): number {
    return this.running.size;
  }

  /** Resolves when the discoveries running now have ended (tests, a drain). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run(cluster: ClusterRow, run: DiscoveryRunRow, signal: AbortSignal): Promise<JobOutcome> {
    try {
      if (cluster.kubeconfig_enc === null) throw new Error('The cluster has no kubeconfig to reach it with.');
      const kubeconfig = this.d.secrets.open(cluster.kubeconfig_enc, `cluster:${cluster.id}:kubeconfig`);
      const namespaces = run.namespaces === null ? null : (JSON.parse(run.namespaces) as string[]);
      const result = await this.d.scan(kubeconfig, { namespaces, signal }, (batch) =>
        this.d.recorder.store(cluster, run.id, batch),
      );
      const stored = await this.d.releases.all(run.id);
      const deadline = Math.min(
        Date.now() + WARM_BUDGET_MS,
        Date.now() + (this.d.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      );
      const matched = await this.d.matcher.warm(cluster.tenant_id, stored, deadline);
      await this.d.recorder.succeed(cluster, run, {
        objects: result.objects,
        warnings: result.warnings,
        matched,
      });
      return 'succeeded';
    } catch (err) {
      const code = signal.aborted
        ? 'discovery_timeout'
        : ((err as { code?: unknown }).code ?? 'discovery_failed');
      const message = signal.aborted
        ? 'The discovery took too long and was stopped: the cluster API may be hanging. Try again, or name fewer namespaces.'
        : err instanceof Error
          ? err.message
          : String(err);
      this.d.logger.warn({ run: run.id, code }, 'discovery failed');
      await this.d.recorder.fail(run, {
        code: typeof code === 'string' ? code : 'discovery_failed',
        message,
      });
      return 'failed';
    }
  }
}
