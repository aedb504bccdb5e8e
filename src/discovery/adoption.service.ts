import type { ClusterRepository, ClusterRow } from '../clusters/cluster.repository.js';
import type { ProfileService } from '../profiles/profile.service.js';
import { requireTenantAdmin } from '../shared/context.js';
import { NotFoundError } from '../shared/errors.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { DiscoveredReleaseRepository, DiscoveredReleaseRow } from './discovered-release.repository.js';
import { nothingDiscovered } from './discovery-errors.js';
import type { DiscoveryRunRepository } from './discovery-run.repository.js';
import type { TenantContext } from './discovery.service.js';
import type {
  ProfileFromClusterBody,
  ProfileFromClusterReply,
  SyncReleasesReply,
} from './discovery.schema.js';
import { layersFromReleases } from './profile-from-cluster.js';
import type { ReleaseMatcher } from './release-matching.js';
import type { ReleaseSync } from './release-sync.js';

export interface AdoptionServiceDeps {
  clusters: ClusterRepository;
  runs: DiscoveryRunRepository;
  releases: DiscoveredReleaseRepository;
  matcher: ReleaseMatcher;
  sync: ReleaseSync;
  profiles: ProfileService;
  secrets: SecretBox;
}

/**
 * What follows a discovery (SPEC §2): "Sync discovered charts" into the hosted registry, and a draft
 * profile made from the cluster's releases, so a brownfield cluster becomes a managed one. Both work
 * on the cluster's current releases (its newest finished discovery).
 */
export class AdoptionService {
  constructor(private readonly d: AdoptionServiceDeps) {}

  async syncReleases(ctx: TenantContext, clusterName: string, baseUrl: string): Promise<SyncReleasesReply> {
    requireTenantAdmin(ctx.scope, 'sync discovered charts');
    const { rows } = await this.current(ctx, clusterName);
    const items = await this.d.sync.sync(
      ctx.principal,
      { id: ctx.scope.tenantId, slug: ctx.scope.tenantName },
      rows,
      baseUrl,
    );
    return { items };
  }

  async profileFromCluster(
    ctx: TenantContext,
    body: ProfileFromClusterBody,
  ): Promise<ProfileFromClusterReply> {
    requireTenantAdmin(ctx.scope, 'create cluster profiles');
    const { cluster, rows } = await this.current(ctx, body.cluster);
    const wanted = body.namespaces ? new Set(body.namespaces) : null;
    const chosen = wanted === null ? rows : rows.filter((r) => wanted.has(r.namespace));
    const matches = await this.d.matcher.matches(ctx.scope.tenantId, chosen);
    const { layers, skipped } = layersFromReleases(cluster.id, chosen, matches, this.d.secrets);
    const profile = await this.d.profiles.create(ctx, {
      name: body.name,
      description: body.description ?? `Made from the Helm releases discovered in cluster "${cluster.name}".`,
      layers,
    });
    return { profile, skipped };
  }

  private async current(
    ctx: TenantContext,
    clusterName: string,
  ): Promise<{ cluster: ClusterRow; rows: DiscoveredReleaseRow[] }> {
    const cluster = await this.d.clusters.find(ctx.scope.tenantId, clusterName);
    if (!cluster) throw new NotFoundError('Cluster', clusterName);
    const run = await this.d.runs.current(cluster.id);
    if (!run) throw nothingDiscovered(cluster.name);
    return { cluster, rows: await this.d.releases.all(run.id) };
  }
}
