import type { ProfileVersionRow } from '../profiles/profile.repository.js';
import { toAssignmentView } from './assignments.js';
import type { CurrentPlan } from './cluster-plans.js';
import type { AssignmentRow, ClusterRow, LayerStateRow } from './cluster.repository.js';
import type { ClusterView, LayerStateView } from './cluster.schema.js';

/** A cluster without a heartbeat for this long is shown disconnected (SPEC §2; Palette's 10 minutes). */
export const DISCONNECTED_AFTER_MS = 10 * 60_000;

export interface ClusterViewParts {
  cluster: ClusterRow;
  assignments: ReadonlyArray<{ row: AssignmentRow; profile: string; version: ProfileVersionRow | null }>;
  plan: CurrentPlan;
  states: readonly LayerStateRow[];
  now?: number;
}

export function toClusterView(p: ClusterViewParts): ClusterView {
  const { cluster } = p;
  const now = p.now ?? Date.now();
  const beat = cluster.last_heartbeat_at === null ? null : Date.parse(cluster.last_heartbeat_at);
  return {
    name: cluster.name,
    description: cluster.description,
    mode: cluster.mode,
    connection: beat === null ? 'never' : now - beat <= DISCONNECTED_AFTER_MS ? 'connected' : 'disconnected',
    lastHeartbeatAt: cluster.last_heartbeat_at,
    agentVersion: cluster.agent_version,
    server: cluster.server,
    tokenCreatedAt: cluster.token_created_at,
    profiles: p.assignments.map((a) => toAssignmentView(a.row, a.profile, a.version)),
    plan: {
      revision: p.plan.revision,
      deliveredRevision: cluster.delivered_revision,
      deliveredAt: cluster.delivered_at,
    },
    layers: layerStates(p.plan, p.states),
    releaseValues: cluster.release_values,
    createdAt: cluster.created_at,
    updatedAt: cluster.updated_at,
  };
}

/**
 * Every layer of the current plan with what the agent last said about it: a state reported for another
 * version of the profile (or never) is `pending`. States of layers no longer planned are not shown.
 */
function layerStates(plan: CurrentPlan, states: readonly LayerStateRow[]): LayerStateView[] {
  return plan.built.content.profiles.flatMap((profile) =>
    profile.layers.map((layer) => {
      const s = states.find(
        (x) =>
          x.profile_name === profile.profile && x.layer_name === layer.name && x.version === profile.version,
      );
      if (!s) {
        return {
          profile: profile.profile,
          version: profile.version,
          layer: layer.name,
          state: 'pending' as const,
          reason: null,
          digest: null,
          provenance: null,
          release: null,
          planRevision: null,
          reportedAt: null,
        };
      }
      return {
        profile: profile.profile,
        version: profile.version,
        layer: layer.name,
        state: s.state,
        reason: s.reason,
        digest: s.digest,
        provenance: s.provenance,
        release: s.release === null ? null : (JSON.parse(s.release) as LayerStateView['release']),
        planRevision: s.plan_revision,
        reportedAt: s.reported_at,
      };
    }),
  );
}
