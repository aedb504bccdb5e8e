import type { Scope } from '../shared/context.js';
import { nowIso } from '../shared/ids.js';
import { AgentPlanBuilder, renderAgentPlan, type BuiltPlan } from './agent-plan.js';
import type { AssignmentRow, ClusterRepository, ClusterRow } from './cluster.repository.js';

/** A cluster's plan as it stands now: its revision, content and bytes. */
export interface CurrentPlan {
  revision: number;
  built: BuiltPlan;
  body: string;
  etag: string;
}

/**
 * The one place a cluster's plan revision moves. The plan is computed from the cluster's assignments,
 * the versions' locks, verified digests and protected registries; when its content differs from the
 * last one recorded, the revision goes up by one (a conditional update, so of several processes
 * noticing the same change exactly one bumps). Built plans are kept per cluster while their inputs
 * are unchanged, so an agent's poll costs a few indexed reads, not a render.
 */
export class ClusterPlans {
  private readonly cache = new Map<string, { inputs: string; built: BuiltPlan }>();

  constructor(
    private readonly clusters: ClusterRepository,
    private readonly builder: AgentPlanBuilder,
  ) {}

  async current(
    scope: Scope & { kind: 'tenant' },
    cluster: ClusterRow,
    baseUrl: string,
    assignments?: readonly AssignmentRow[],
  ): Promise<CurrentPlan> {
    const rows = assignments ?? (await this.clusters.assignments([cluster.id]));
    const built = await this.build(scope, cluster, rows, baseUrl);
    let row = cluster;
    for (let attempt = 0; row.plan_hash !== built.hash && attempt < 3; attempt++) {
      await this.clusters.bumpPlan(row.id, row.plan_hash, built.hash);
      const fresh = await this.clusters.findById(row.id);
      if (!fresh) break;
      row = fresh;
    }
    const { body, etag } = renderAgentPlan(built, row.plan_revision);
    return { revision: row.plan_revision, built, body, etag };
  }

  /** Checks that assignments render (a required variable without a value, a value a template refuses). */
  async preview(
    scope: Scope & { kind: 'tenant' },
    name: string,
    rows: readonly AssignmentRow[],
    baseUrl: string,
  ): Promise<BuiltPlan> {
    return this.builder.build(scope, name, await this.builder.inputs(scope, rows), baseUrl);
  }

  async markDelivered(cluster: ClusterRow, revision: number): Promise<void> {
    if (cluster.delivered_revision === revision) return;
    await this.clusters.markDelivered(cluster.id, revision, nowIso());
  }

  forget(clusterId: string): void {
    this.cache.delete(clusterId);
  }

  private async build(
    scope: Scope & { kind: 'tenant' },
    cluster: ClusterRow,
    rows: readonly AssignmentRow[],
    baseUrl: string,
  ): Promise<BuiltPlan> {
    const inputs = await this.builder.inputs(scope, rows);
    const key = JSON.stringify([cluster.name, baseUrl, AgentPlanBuilder.stamp(inputs)]);
    const cached = this.cache.get(cluster.id);
    if (cached && cached.inputs === key) return cached.built;
    const built = await this.builder.build(scope, cluster.name, inputs, baseUrl);
    this.cache.delete(cluster.id);
    this.cache.set(cluster.id, { inputs: key, built });
    if (this.cache.size > MAX_CACHED_PLANS) this.cache.delete(this.cache.keys().next().value!);
    return built;
  }
}

const MAX_CACHED_PLANS = 5_000;
