import type { Logger } from 'pino';
import type { ChartFilesService } from '../catalog/chart-files.js';
import type { ClusterRepository } from '../clusters/cluster.repository.js';
import type { HostedService } from '../hosted/hosted.service.js';
import type { JobLeases } from '../jobs/job-leases.js';
import type { ProfileService } from '../profiles/profile.service.js';
import { packChart } from '../protocol/helm/chart-package.js';
import { releaseChartFingerprint } from '../protocol/helm/release/chart-fingerprint.js';
import { rebuildChart } from '../protocol/helm/release/release-chart.js';
import type { RegistryRepository } from '../registries/registry.repository.js';
import type { SecretBox } from '../shared/secret-box.js';
import { openKubeApi } from '../upstream/kube/kube-connection.js';
import { decodeReleasePayload, scanHelmReleases } from '../upstream/kube/release-scan.js';
import { AdoptionService } from './adoption.service.js';
import { DiscoveredReleaseRepository } from './discovered-release.repository.js';
import { DiscoveryJobs } from './discovery-jobs.js';
import { DiscoveryRecorder } from './discovery-recorder.js';
import { DiscoveryRunRepository } from './discovery-run.repository.js';
import { DiscoveryService } from './discovery.service.js';
import { KubeDiscovery } from './kube-discovery.js';
import { ReleaseMatcher } from './release-matching.js';
import { ReleaseSync } from './release-sync.js';

export interface DiscoveryWiring {
  /** The database, handed on to the capability's repositories (the only code here that queries it). */
  db: ConstructorParameters<typeof DiscoveryRunRepository>[0];
  clusters: ClusterRepository;
  leases: JobLeases;
  secrets: SecretBox;
  registries: RegistryRepository;
  /** The registries a tenant's catalog covers (RegistryService.visibleForCatalog). */
  catalogRegistries: (tenantId: string) => Promise<readonly { id: string }[]>;
  chartFiles: ChartFilesService;
  hosted: HostedService;
  profiles: ProfileService;
  allowPrivateEndpoints: boolean;
  userAgent: string;
  /** Kubeconfig clusters are discovered again this often; 0 (or a process without schedules): only on request. */
  scheduleEveryMs: number;
  logger: Logger;
}

/** The discovery capability put together: what app.ts hands the HTTP ring, and what it closes on shutdown. */
export function discoveryServices(w: DiscoveryWiring): {
  discovery: DiscoveryService;
  adoption: AdoptionService;
  kubeDiscovery: KubeDiscovery;
  /** The scheduled discoveries, for the job scheduler; null when there are none. */
  jobs: DiscoveryJobs | null;
} {
  const runs = new DiscoveryRunRepository(w.db);
  const releases = new DiscoveredReleaseRepository(w.db);
  const recorder = new DiscoveryRecorder({
    runs,
    releases,
    secrets: w.secrets,
    fingerprint: releaseChartFingerprint,
  });
  const matcher = new ReleaseMatcher({
    releases,
    visibleRegistries: w.catalogRegistries,
    registriesByIds: (ids) => w.registries.findByIds(ids),
    fingerprintOf: (registry, version) => w.chartFiles.fingerprintFor(registry, version),
  });
  const kubeDiscovery = new KubeDiscovery({
    leases: w.leases,
    recorder,
    matcher,
    releases,
    secrets: w.secrets,
    logger: w.logger,
    scan: async (kubeconfig, { namespaces, signal }, onBatch) => {
      // The cluster API is held to the registries' address policy (metadata never, private only if allowed).
      const api = await openKubeApi(kubeconfig, {
        policy: { allowPrivateEndpoints: w.allowPrivateEndpoints },
        userAgent: w.userAgent,
      });
      const result = await scanHelmReleases(
        api,
        { ...(namespaces === null ? {} : { namespaces }), signal },
        onBatch,
      );
      return { objects: result.objects, warnings: result.warnings };
    },
  });
  const discovery = new DiscoveryService({
    clusters: w.clusters,
    runs,
    releases,
    recorder,
    matcher,
    server: kubeDiscovery,
    // What an agent posts is judged by the same decoder, with the same limits, as the server's own scan.
    decode: (release) =>
      decodeReleasePayload({
        helm: release.helm,
        driver: release.driver,
        namespace: release.namespace,
        object: release.object,
        revision: 0,
        labels: release.labels ?? {},
        payload: release.payload,
      }),
    logger: w.logger,
  });
  const adoption = new AdoptionService({
    clusters: w.clusters,
    runs,
    releases,
    matcher,
    sync: new ReleaseSync({
      releases,
      matcher,
      rebuild: async (chart) => {
        const rebuilt = rebuildChart(chart);
        const packed = await packChart(rebuilt.files);
        return { archive: packed.archive, warnings: rebuilt.warnings };
      },
      publish: (principal, slug, baseUrl, archive) => w.hosted.publishAs(principal, slug, baseUrl, archive),
    }),
    profiles: w.profiles,
    secrets: w.secrets,
  });
  const jobs =
    w.scheduleEveryMs > 0
      ? new DiscoveryJobs({ discovery, runs, releases, leases: w.leases, intervalMs: w.scheduleEveryMs })
      : null;
  return { discovery, adoption, kubeDiscovery, jobs };
}
