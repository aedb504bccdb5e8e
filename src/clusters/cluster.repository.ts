import type { Kysely, Selectable } from 'kysely';
import type {
  ClusterAssignmentsTable,
  ClusterLayerStatesTable,
  ClusterReportsTable,
  ClustersTable,
  Database,
  ProfileLayerVerificationsTable,
} from '../storage/schema.js';

export type ClusterRow = Selectable<ClustersTable>;
export type AssignmentRow = Selectable<ClusterAssignmentsTable>;
export type LayerStateRow = Selectable<ClusterLayerStatesTable>;
export type ReportRow = Selectable<ClusterReportsTable>;
export type VerificationRow = Selectable<ProfileLayerVerificationsTable>;

/** Reports kept per cluster: enough to see what the agent said lately, never a table that grows for ever. */
const REPORTS_KEPT = 50;

/**
 * Storage of clusters: the cluster row, its assignments, its layer states and report history are one
 * aggregate with one writer. Tenant-facing lookups take the tenant; the agent's lookups go by token
 * hash or cluster id, which the token already named.
 */
export class ClusterRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(tenantId: string, name: string): Promise<ClusterRow | undefined> {
    return this.db
      .selectFrom('clusters')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async findById(id: string): Promise<ClusterRow | undefined> {
    return this.db.selectFrom('clusters').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByTokenHash(hash: string): Promise<ClusterRow | undefined> {
    return this.db.selectFrom('clusters').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  }

  async list(tenantId: string, limit: number, afterName?: string): Promise<ClusterRow[]> {
    let q = this.db.selectFrom('clusters').selectAll().where('tenant_id', '=', tenantId);
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    return q.orderBy('name').limit(limit).execute();
  }

  /** A cluster and its assignments, together or not at all. Throws the unique violation of a taken name. */
  async insert(cluster: ClusterRow, assignments: readonly AssignmentRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('clusters').values(cluster).execute();
      if (assignments.length > 0)
        await trx
          .insertInto('cluster_assignments')
          .values([...assignments])
          .execute();
    });
  }

  /** Changes a cluster's own columns and, when given, replaces its assignments; false when it is gone. */
  async update(
    id: string,
    changes: Partial<
      Pick<ClusterRow, 'description' | 'kubeconfig_enc' | 'server' | 'updated_at' | 'release_values'>
    >,
    assignments?: readonly AssignmentRow[],
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.updateTable('clusters').set(changes).where('id', '=', id).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      if (assignments !== undefined) {
        await trx.deleteFrom('cluster_assignments').where('cluster_id', '=', id).execute();
        if (assignments.length > 0)
          await trx
            .insertInto('cluster_assignments')
            .values([...assignments])
            .execute();
      }
      return true;
    });
  }

  /**
   * An agent cluster's pending discovery (JSON {run, namespaces}), or null. Clearing names the run, so
   * a newer request made meanwhile is not cleared by the end of an older one.
   */
  async setDiscoveryRequest(id: string, request: string | null, clearingRun?: string): Promise<void> {
    let q = this.db.updateTable('clusters').set({ discovery_request: request }).where('id', '=', id);
    if (clearingRun !== undefined) q = q.where('discovery_request', 'like', `{"run":"${clearingRun}"%`);
    await q.execute();
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('clusters')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  async setToken(id: string, hash: string, at: string): Promise<boolean> {
    const res = await this.db
      .updateTable('clusters')
      .set({ token_hash: hash, token_created_at: at, updated_at: at })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async heartbeat(id: string, at: string, agentVersion: string | null): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set({ last_heartbeat_at: at, ...(agentVersion === null ? {} : { agent_version: agentVersion }) })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Records a new plan content: the revision goes up by one, only if the content is still `from` (of
   * two processes noticing the same change, one bumps, the other re-reads).
   */
  async bumpPlan(id: string, from: string | null, to: string): Promise<boolean> {
    let q = this.db
      .updateTable('clusters')
      .set((eb) => ({ plan_hash: to, plan_revision: eb('plan_revision', '+', 1) }))
      .where('id', '=', id);
    q = from === null ? q.where('plan_hash', 'is', null) : q.where('plan_hash', '=', from);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async markDelivered(id: string, revision: number, at: string): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set({ delivered_revision: revision, delivered_at: at })
      .where('id', '=', id)
      .execute();
  }

  async assignments(clusterIds: readonly string[]): Promise<AssignmentRow[]> {
    if (clusterIds.length === 0) return [];
    return this.db
      .selectFrom('cluster_assignments')
      .selectAll()
      .where('cluster_id', 'in', clusterIds)
      .orderBy('cluster_id')
      .orderBy('position')
      .execute();
  }

  /** Names of the tenant's clusters a profile is assigned to. */
  async namesUsingProfile(tenantId: string, profileId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('cluster_assignments')
      .innerJoin('clusters', 'clusters.id', 'cluster_assignments.cluster_id')
      .select('clusters.name')
      .distinct()
      .where('clusters.tenant_id', '=', tenantId)
      .where('cluster_assignments.profile_id', '=', profileId)
      .orderBy('clusters.name')
      .execute();
    return rows.map((r) => r.name);
  }

  async layerStates(clusterIds: readonly string[]): Promise<LayerStateRow[]> {
    if (clusterIds.length === 0) return [];
    return this.db
      .selectFrom('cluster_layer_states')
      .selectAll()
      .where('cluster_id', 'in', clusterIds)
      .orderBy('cluster_id')
      .execute();
  }

  /**
   * One report: kept in the history, and when current, its layer states written, all in one
   * transaction; the history is trimmed to the last {@link REPORTS_KEPT}.
   */
  async recordReport(report: ReportRow, states: readonly LayerStateRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('cluster_reports').values(report).execute();
      for (const s of states) {
        const { cluster_id: _c, profile_name: _p, layer_name: _l, ...rest } = s;
        await trx
          .insertInto('cluster_layer_states')
          .values(s)
          .onConflict((oc) => oc.columns(['cluster_id', 'profile_name', 'layer_name']).doUpdateSet(rest))
          .execute();
      }
      const keep = await trx
        .selectFrom('cluster_reports')
        .select('id')
        .where('cluster_id', '=', report.cluster_id)
        .orderBy('id', 'desc')
        .offset(REPORTS_KEPT)
        .limit(1)
        .executeTakeFirst();
      if (keep) {
        await trx
          .deleteFrom('cluster_reports')
          .where('cluster_id', '=', report.cluster_id)
          .where('id', '<=', keep.id)
          .execute();
      }
    });
  }

  async reports(clusterId: string, limit: number): Promise<ReportRow[]> {
    return this.db
      .selectFrom('cluster_reports')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  async verifications(versionIds: readonly string[]): Promise<VerificationRow[]> {
    if (versionIds.length === 0) return [];
    return this.db
      .selectFrom('profile_layer_verifications')
      .selectAll()
      .where('version_id', 'in', versionIds)
      .execute();
  }

  /** Records a protected layer's verified digest unless one is recorded already; returns the one that stands. */
  async verify(row: VerificationRow): Promise<VerificationRow> {
    await this.db
      .insertInto('profile_layer_verifications')
      .values(row)
      .onConflict((oc) => oc.columns(['version_id', 'layer_name']).doNothing())
      .execute();
    const stands = await this.db
      .selectFrom('profile_layer_verifications')
      .selectAll()
      .where('version_id', '=', row.version_id)
      .where('layer_name', '=', row.layer_name)
      .executeTakeFirst();
    return stands ?? row;
  }
}
