import type { ProfileService } from '../profiles/profile.service.js';
import { requireTenantAdmin, type RequestContext, type Scope } from '../shared/context.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { hashToken, newId, nowIso } from '../shared/ids.js';
import { namePage, nextNameCursor } from '../shared/name-pages.js';
import type { SecretBox } from '../shared/secret-box.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { AddressPolicy } from '../upstream/address-policy.js';
import { ProfileInvalidError } from '../profiles/profile-errors.js';
import { newAgentToken } from './agent-token.js';
import { checkAssignments, type CheckedAssignment } from './assignments.js';
import { ClusterInvalidError } from './cluster-errors.js';
import type { ClusterPlans } from './cluster-plans.js';
import { toClusterView } from './cluster-view.js';
import type { AssignmentRow, ClusterRepository, ClusterRow } from './cluster.repository.js';
import type {
  AgentTokenIssued,
  AssignmentIn,
  ClusterCreateBody,
  ClusterCreated,
  ClusterList,
  ClusterPatchBody,
  ClusterView,
} from './cluster.schema.js';
import { checkKubeconfig } from './kubeconfig-check.js';

export type TenantContext = RequestContext & { scope: Scope & { kind: 'tenant' } };

export interface ClusterServiceDeps {
  clusters: ClusterRepository;
  plans: ClusterPlans;
  profiles: ProfileService;
  secrets: SecretBox;
  addressPolicy: AddressPolicy;
  /** Forgets a cluster's agent token at once in this process (rotation, deletion). */
  tokenRevoked: (tokenHash: string) => void;
}

/**
 * Clusters of a tenant (SPEC §2 "Clusters and the agent"): registration in agent or kubeconfig mode,
 * assignments of published profile versions with variable values, the agent token (shown once,
 * rotatable) and the cluster's status as its agent reports it. Members read; tenant administrators
 * write, as for profiles: what a cluster installs is the tenant's to decide.
 */
export class ClusterService {
  constructor(private readonly d: ClusterServiceDeps) {}

  async list(
    ctx: TenantContext,
    query: { limit?: string; cursor?: string },
    baseUrl: string,
  ): Promise<ClusterList> {
    const { limit, after } = namePage(query);
    const rows = await this.d.clusters.list(ctx.scope.tenantId, limit + 1, after);
    const page = rows.slice(0, limit);
    const items: ClusterView[] = [];
    for (const row of page) items.push(await this.view(ctx, row, baseUrl));
    const next = nextNameCursor(rows, limit);
    return { items, ...(next === undefined ? {} : { nextCursor: next }) };
  }

  async get(ctx: TenantContext, name: string, baseUrl: string): Promise<ClusterView> {
    return this.view(ctx, await this.find(ctx, name), baseUrl);
  }

  async create(ctx: TenantContext, body: ClusterCreateBody, baseUrl: string): Promise<ClusterCreated> {
    requireTenantAdmin(ctx.scope, 'register clusters');
    const id = newId();
    const now = nowIso();
    const kube = await this.kubeconfig(body.mode, body.kubeconfig, id, true);
    const assignments = await this.assignments(ctx, id, body.name, body.profiles ?? [], [], baseUrl);
    const token = body.mode === 'agent' ? newAgentToken() : null;
    const row: ClusterRow = {
      id,
      tenant_id: ctx.scope.tenantId,
      name: body.name,
      description: body.description ?? null,
      mode: body.mode,
      token_hash: token === null ? null : hashToken(token),
      token_created_at: token === null ? null : now,
      kubeconfig_enc: kube?.sealed ?? null,
      server: kube?.server ?? null,
      plan_hash: null,
      plan_revision: 0,
      delivered_revision: null,
      delivered_at: null,
      last_heartbeat_at: null,
      agent_version: null,
      release_values: body.releaseValues ?? 'sealed',
      discovery_request: null,
      created_by: ctx.principal.username,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.d.clusters.insert(
        row,
        assignments.map((a) => a.row),
      );
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(
          'cluster_exists',
          `A cluster named "${body.name}" exists already in this tenant.`,
          [{ field: 'name', message: 'taken' }],
        );
      }
      throw err;
    }
    return { cluster: await this.view(ctx, row, baseUrl), agentToken: token };
  }

  async update(
    ctx: TenantContext,
    name: string,
    body: ClusterPatchBody,
    baseUrl: string,
  ): Promise<ClusterView> {
    requireTenantAdmin(ctx.scope, 'change clusters');
    const cluster = await this.find(ctx, name);
    const kube =
      body.kubeconfig === undefined
        ? undefined
        : await this.kubeconfig(cluster.mode, body.kubeconfig, cluster.id, false);
    let rows: AssignmentRow[] | undefined;
    if (body.profiles !== undefined) {
      const previous = await this.d.clusters.assignments([cluster.id]);
      rows = (await this.assignments(ctx, cluster.id, cluster.name, body.profiles, previous, baseUrl)).map(
        (a) => a.row,
      );
    }
    const changed = await this.d.clusters.update(
      cluster.id,
      {
        updated_at: nowIso(),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(kube ? { kubeconfig_enc: kube.sealed, server: kube.server } : {}),
        ...(body.releaseValues === undefined ? {} : { release_values: body.releaseValues }),
      },
      rows,
    );
    if (!changed) throw new NotFoundError('Cluster', name);
    return this.get(ctx, name, baseUrl);
  }

  async remove(ctx: TenantContext, name: string): Promise<void> {
    requireTenantAdmin(ctx.scope, 'delete clusters');
    const cluster = await this.find(ctx, name);
    if (!(await this.d.clusters.delete(ctx.scope.tenantId, cluster.id)))
      throw new NotFoundError('Cluster', name);
    if (cluster.token_hash !== null) this.d.tokenRevoked(cluster.token_hash);
    this.d.plans.forget(cluster.id);
  }

  /** A new agent token; the old one is refused from now on (at once in this process, within seconds in others). */
  async rotateToken(ctx: TenantContext, name: string): Promise<AgentTokenIssued> {
    requireTenantAdmin(ctx.scope, 'rotate agent tokens');
    const cluster = await this.find(ctx, name);
    if (cluster.mode !== 'agent') {
      throw new ConflictError(
        'cluster_not_agent',
        `Cluster "${name}" is reached through its kubeconfig, not an agent: it has no agent token.`,
      );
    }
    const token = newAgentToken();
    const now = nowIso();
    if (!(await this.d.clusters.setToken(cluster.id, hashToken(token), now)))
      throw new NotFoundError('Cluster', name);
    if (cluster.token_hash !== null) this.d.tokenRevoked(cluster.token_hash);
    return { agentToken: token, tokenCreatedAt: now };
  }

  /** Names of the tenant's clusters that use a profile (ProfileService.usage: a profile in use is not deleted). */
  usage(tenantId: string, profileId: string): Promise<string[]> {
    return this.d.clusters.namesUsingProfile(tenantId, profileId);
  }

  // Internals -----------------------------------------------------------------------------------

  private async find(ctx: TenantContext, name: string): Promise<ClusterRow> {
    const row = await this.d.clusters.find(ctx.scope.tenantId, name);
    if (!row) throw new NotFoundError('Cluster', name);
    return row;
  }

  private async view(ctx: TenantContext, cluster: ClusterRow, baseUrl: string): Promise<ClusterView> {
    const rows = await this.d.clusters.assignments([cluster.id]);
    const plan = await this.d.plans.current(ctx.scope, cluster, baseUrl, rows);
    const fresh =
      plan.revision === cluster.plan_revision ? cluster : { ...cluster, plan_revision: plan.revision };
    const assignments = [];
    for (const row of rows) {
      const found = await this.d.profiles.publishedVersion(
        ctx.scope.tenantId,
        { id: row.profile_id },
        row.version,
      );
      assignments.push({
        row,
        profile: typeof found === 'string' ? row.profile_id : found.profile.name,
        version: typeof found === 'string' ? null : found.row,
      });
    }
    return toClusterView({
      cluster: fresh,
      assignments,
      plan,
      states: await this.d.clusters.layerStates([cluster.id]),
    });
  }

  /** The kubeconfig of a write: required in kubeconfig mode, refused in agent mode, checked and sealed. */
  private async kubeconfig(
    mode: ClusterRow['mode'],
    text: string | undefined,
    clusterId: string,
    creating: boolean,
  ): Promise<{ sealed: string; server: string } | undefined> {
    if (mode === 'agent') {
      if (text === undefined) return undefined;
      throw new ClusterInvalidError([
        {
          field: 'kubeconfig',
          message: 'An agent cluster takes no kubeconfig: its agent connects out to Charthouse.',
        },
      ]);
    }
    if (text === undefined) {
      if (!creating) return undefined;
      throw new ClusterInvalidError([
        {
          field: 'kubeconfig',
          message: 'A kubeconfig cluster needs its kubeconfig, with credentials embedded.',
        },
      ]);
    }
    const checked = await checkKubeconfig(text, this.d.addressPolicy);
    if (!checked.ok) throw new ClusterInvalidError(checked.problems);
    return {
      sealed: this.d.secrets.seal(text, `cluster:${clusterId}:kubeconfig`),
      server: checked.value.server,
    };
  }

  /** Assignments checked whole, then rendered once, so a cluster never holds a plan that cannot be built. */
  private async assignments(
    ctx: TenantContext,
    clusterId: string,
    clusterName: string,
    inputs: readonly AssignmentIn[],
    previous: readonly AssignmentRow[],
    baseUrl: string,
  ): Promise<CheckedAssignment[]> {
    const checked = await checkAssignments(
      clusterId,
      inputs,
      previous,
      (ref, version) => this.d.profiles.publishedVersion(ctx.scope.tenantId, ref, version),
      this.d.secrets,
    );
    if (!checked.ok) throw new ClusterInvalidError(checked.problems);
    for (const [i, a] of checked.assignments.entries()) {
      try {
        await this.d.plans.preview(ctx.scope, clusterName, [a.row], baseUrl);
      } catch (err) {
        if (!(err instanceof ProfileInvalidError)) throw err;
        throw new ClusterInvalidError(
          (err.details ?? []).map((d) => ({
            field: `profiles[${i}].variables`,
            message: `${a.profile.name} ${a.row.version}: ${d.message}`,
          })),
        );
      }
    }
    return checked.assignments;
  }
}
