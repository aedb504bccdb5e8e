import { createHash } from 'node:crypto';
import { parseLock, type LockedLayer } from '../profiles/profile-lock.js';
import type { ProfilePlanner } from '../profiles/profile-plan.js';
import type { ProfileRow, ProfileVersionRow } from '../profiles/profile.repository.js';
import type { RegistryRow } from '../registries/registry.repository.js';
import { registryConnection } from '../registries/registry.connection.js';
import { SYSTEM_SCOPE_KEY, type Scope } from '../shared/context.js';
import type { SecretBox } from '../shared/secret-box.js';
import { openValues } from './assignments.js';
import type { AgentPlan, AgentPlanLayer, AgentPlanProfile, AgentRegistry } from './agent.schema.js';
import type { AssignmentRow, VerificationRow } from './cluster.repository.js';

/*
 * A cluster's plan for its agent (SPEC §2, §3 `GET /api/v1/agent/plan`): every assigned profile
 * version's layers in install order, values rendered with the cluster's variable values (sensitive
 * ones included: this plan goes to this cluster's agent only), how to pull each chart, and the
 * protected registries it pulls from with their credentials. Built from the versions' locks and the
 * digests agents verified since; the same inputs give the same bytes.
 */

export interface AgentPlanDeps {
  planner: ProfilePlanner;
  published: (
    tenantId: string,
    ref: { id: string },
    version: string,
  ) => Promise<{ profile: ProfileRow; row: ProfileVersionRow } | 'missing' | 'draft'>;
  verifications: (versionIds: readonly string[]) => Promise<VerificationRow[]>;
  registries: (ids: readonly string[]) => Promise<RegistryRow[]>;
  secrets: SecretBox;
}

/** One layer of a built plan with what the server needs to serve and judge it. */
export interface PlannedLayer {
  profile: string;
  /** The profile version's number and row id. */
  profileVersion: string;
  versionId: string;
  layer: AgentPlanLayer;
  locked: LockedLayer;
}

export interface PlanInputs {
  versions: Array<{ assignment: AssignmentRow; profile: ProfileRow; row: ProfileVersionRow }>;
  verifications: VerificationRow[];
  registries: RegistryRow[];
}

export interface BuiltPlan {
  /** The plan without its revision. */
  content: Omit<AgentPlan, 'revision'>;
  /** SHA-256 of the content: a new hash is a new revision. */
  hash: string;
  layers: PlannedLayer[];
}

/** Where the agent downloads a layer's archive (and `.prov`) from this server. */
export const agentChartPath = (profile: string, layer: string): string =>
  `/api/v1/agent/charts/${encodeURIComponent(profile)}/${encodeURIComponent(layer)}`;

export class AgentPlanBuilder {
  constructor(private readonly d: AgentPlanDeps) {}

  /** What a plan is made of besides the cluster's name: read afresh for every plan (a few indexed reads). */
  async inputs(
    scope: Scope & { kind: 'tenant' },
    assignments: readonly AssignmentRow[],
  ): Promise<PlanInputs> {
    const versions: PlanInputs['versions'] = [];
    for (const a of assignments) {
      const found = await this.d.published(scope.tenantId, { id: a.profile_id }, a.version);
      // An assigned version is published and its profile cannot be deleted while assigned.
      if (typeof found === 'string')
        throw new Error(`assigned profile version ${a.profile_id} ${a.version} is ${found}`);
      versions.push({ assignment: a, ...found });
    }
    const verifications = await this.d.verifications(versions.map((v) => v.row.id));
    const protectedIds = new Set<string>();
    for (const v of versions) {
      for (const l of parseLock(v.row.lock!).layers) if (l.protected) protectedIds.add(l.registryId);
    }
    const registries = await this.d.registries([...protectedIds]);
    return { versions, verifications, registries };
  }

  /** A key that changes whenever the inputs do: the plan of equal keys is the same plan. */
  static stamp(inputs: PlanInputs): string {
    return JSON.stringify([
      inputs.versions.map((v) => [v.assignment, v.row.id]),
      inputs.verifications.map((v) => [v.version_id, v.layer_name, v.digest]),
      inputs.registries.map((r) => [r.id, r.updated_at]),
    ]);
  }

  async build(
    scope: Scope & { kind: 'tenant' },
    cluster: string,
    inputs: PlanInputs,
    baseUrl: string,
  ): Promise<BuiltPlan> {
    const verified = new Map(
      inputs.verifications.map((v) => [`${v.version_id}\u0000${v.layer_name}`, v.digest]),
    );
    const profiles: AgentPlanProfile[] = [];
    const planned: PlannedLayer[] = [];
    for (const v of inputs.versions) {
      const given = openValues(v.assignment, this.d.secrets);
      const layers = await this.d.planner.agentLayers(scope, v.row, given, baseUrl);
      const out: AgentPlanLayer[] = [];
      for (const { layer, locked } of layers) {
        const { upstream: _unused, ...plan } = layer;
        const verifiedDigest = verified.get(`${v.row.id}\u0000${layer.name}`);
        let agentLayer: AgentPlanLayer;
        if (locked.protected) {
          agentLayer = {
            ...plan,
            digest: verifiedDigest ?? null,
            verification: verifiedDigest === undefined ? 'unverified' : 'verified',
            pull: {
              via: 'registry',
              registry: registryKey(locked.registryScope === 'system', locked.registryName),
              reference: layer.reference,
            },
            provenance: null,
          };
        } else {
          const path = agentChartPath(v.profile.name, layer.name);
          agentLayer = { ...plan, pull: { via: 'charthouse', path }, provenance: `${path}/provenance` };
        }
        out.push(agentLayer);
        planned.push({
          profile: v.profile.name,
          profileVersion: v.row.version,
          versionId: v.row.id,
          layer: agentLayer,
          locked,
        });
      }
      profiles.push({ profile: v.profile.name, version: v.row.version, layers: out });
    }
    const registries: Record<string, AgentRegistry> = {};
    for (const row of inputs.registries) {
      registries[registryKey(row.scope === SYSTEM_SCOPE_KEY, row.name)] = agentRegistry(row, this.d.secrets);
    }
    const content = { tenant: scope.tenantName, cluster, profiles, registries };
    const hash = createHash('sha256')
      .update(JSON.stringify(hostIndependent(content)))
      .digest('hex');
    return { content, hash, layers: planned };
  }
}

/**
 * The content the revision is judged by. Without a configured public URL, a hosted layer's
 * `reference` and `chartUrl` name the host of the request; the console and an agent (or two agents,
 * through a proxy or an internal name) reach the server by different names, and each would otherwise
 * bump the revision, sending every agent into a re-plan that stops its run. What those fields are
 * made of (registry, chart, version, digest) is hashed anyway.
 */
function hostIndependent(content: BuiltPlan['content']): BuiltPlan['content'] {
  return {
    ...content,
    profiles: content.profiles.map((p) => ({
      ...p,
      layers: p.layers.map((l) =>
        l.registry.kind === 'hosted' ? { ...l, reference: '', chartUrl: null } : l,
      ),
    })),
  };
}

/** The plan's bytes at a revision, and their strong ETag. */
export function renderAgentPlan(built: BuiltPlan, revision: number): { body: string; etag: string } {
  const plan: AgentPlan = {
    tenant: built.content.tenant,
    cluster: built.content.cluster,
    revision,
    profiles: built.content.profiles,
    registries: built.content.registries,
  };
  const body = JSON.stringify(plan);
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

/** A system registry and a tenant's may share a name: the plan keeps them apart. */
const registryKey = (system: boolean, name: string): string => (system ? `system/${name}` : name);

/** A protected registry as its cluster's agent reaches it, password opened (the plan is its only reader). */
function agentRegistry(row: RegistryRow, secrets: SecretBox): AgentRegistry {
  const connection = registryConnection(row, secrets);
  return {
    name: row.name,
    kind: row.kind === 'oci' ? 'oci' : 'helm',
    endpoint: row.endpoint,
    plainHttp: row.plain_http === 1,
    username: connection.credentials?.username ?? null,
    password: connection.credentials?.password ?? null,
    caCert: connection.tls.caCert ?? null,
    insecureSkipVerify: connection.tls.insecureSkipVerify,
    passCredentials: connection.passCredentials,
  };
}
