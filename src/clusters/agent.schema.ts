import { Type, type Static } from '@sinclair/typebox';
import { PlanLayer } from '../profiles/profile.schema.js';

/*
 * The agent's side of the API (SPEC §2 "Clusters and the agent", §3 `/api/v1/agent/*`): its plan, its
 * per-layer reports and its heartbeat. Every route takes the cluster's agent token, and the token alone
 * says which cluster: no tenant or cluster name is ever in the path.
 */

/** How the agent gets one layer's archive. */
export const AgentPull = Type.Union([
  /**
   * From Charthouse (hosted and synced registries): `GET <path>` on this server with the agent token.
   * The server fetches a synced chart from its registry with the registry's own credentials, which
   * never leave the server, and checks the catalog's digest on the way.
   */
  Type.Object({ via: Type.Literal('charthouse'), path: Type.String() }),
  /**
   * Straight from a protected registry, which only the agent can reach: `registry` names an entry of
   * the plan's `registries`. Classic: read `<endpoint>/index.yaml`, then the archive it lists for
   * chart and version. OCI: `reference` is `oci://host/repo/chart:tag` (or `@sha256:` once verified).
   */
  Type.Object({ via: Type.Literal('registry'), registry: Type.String(), reference: Type.String() }),
]);

export const AgentPlanLayer = Type.Composite([
  Type.Omit(PlanLayer, ['upstream']),
  Type.Object({
    pull: AgentPull,
    /** Where a `.prov` for the archive is fetched the same way (same `via`), or null when none is known. */
    provenance: Type.Union([Type.String(), Type.Null()]),
  }),
]);

/** A protected registry as its agent needs it: endpoint, kind, credentials, TLS. Only in its own cluster's plan. */
export const AgentRegistry = Type.Object({
  name: Type.String(),
  kind: Type.Union([Type.Literal('helm'), Type.Literal('oci')]),
  /** The registry's URL as added: `https://host/path` for classic, `oci://host/path` for OCI. */
  endpoint: Type.String(),
  /** OCI over plain HTTP (Helm's --plain-http). */
  plainHttp: Type.Boolean(),
  username: Type.Union([Type.String(), Type.Null()]),
  password: Type.Union([Type.String(), Type.Null()]),
  caCert: Type.Union([Type.String(), Type.Null()]),
  insecureSkipVerify: Type.Boolean(),
  passCredentials: Type.Boolean(),
});

export const AgentPlanProfile = Type.Object({
  profile: Type.String(),
  version: Type.String(),
  /** In install order: dependencies first. */
  layers: Type.Array(AgentPlanLayer),
});

/** The cluster's whole desired state. The same state gives the same bytes and the same strong ETag. */
export const AgentPlan = Type.Object({
  tenant: Type.String(),
  cluster: Type.String(),
  /** Bumped whenever the plan's content changes; reports say which revision they are for. */
  revision: Type.Integer(),
  profiles: Type.Array(AgentPlanProfile),
  /** Protected registries the plan's layers pull from, by name. */
  registries: Type.Record(Type.String(), AgentRegistry),
});

export const LayerReportState = Type.Union([
  Type.Literal('pulled'),
  Type.Literal('verified'),
  Type.Literal('installed'),
  Type.Literal('failed'),
]);

export const ProvenanceResult = Type.Union([
  /** Signed by a key of the keyring, and the signed sha256 is the archive's. */
  Type.Literal('verified'),
  /** No `.prov` was found for the archive. */
  Type.Literal('unsigned'),
  /** A `.prov` exists but the agent has no keyring to check it with. */
  Type.Literal('unchecked'),
  Type.Literal('failed'),
]);

export const LayerReport = Type.Object(
  {
    profile: Type.String({ minLength: 1, maxLength: 63 }),
    layer: Type.String({ minLength: 1, maxLength: 256 }),
    state: LayerReportState,
    /** Why it failed, or what the agent noted. */
    reason: Type.Optional(Type.String({ maxLength: 4096 })),
    /** The reference pulled (never with credentials). */
    reference: Type.Optional(Type.String({ maxLength: 2048 })),
    digest: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })),
    /** Name and version read from the archive's Chart.yaml. */
    chart: Type.Optional(
      Type.Object(
        { name: Type.String({ maxLength: 512 }), version: Type.String({ maxLength: 512 }) },
        { additionalProperties: false },
      ),
    ),
    provenance: Type.Optional(
      Type.Object(
        {
          result: ProvenanceResult,
          signer: Type.Optional(Type.String({ maxLength: 1024 })),
          reason: Type.Optional(Type.String({ maxLength: 4096 })),
        },
        { additionalProperties: false },
      ),
    ),
    release: Type.Optional(
      Type.Object(
        {
          name: Type.String({ maxLength: 253 }),
          namespace: Type.String({ maxLength: 253 }),
          revision: Type.Integer({ minimum: 0 }),
          status: Type.String({ maxLength: 64 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The agent may report one layer at a time or a whole run. */
export const MAX_REPORTED_LAYERS = 1000;
export const AgentReportBody = Type.Object(
  {
    planRevision: Type.Integer({ minimum: 1 }),
    layers: Type.Array(LayerReport, { minItems: 1, maxItems: MAX_REPORTED_LAYERS }),
  },
  { additionalProperties: false },
);

export const AgentReportAccepted = Type.Object({
  /** True when the report was for an older plan revision: recorded, but the cluster's state stays. */
  stale: Type.Boolean(),
  /** The cluster's current plan revision. */
  planRevision: Type.Integer(),
  layers: Type.Array(Type.Object({ profile: Type.String(), layer: Type.String(), state: Type.String() })),
});

/** What the server asks of the agent beside its plan: a discovery of the cluster's Helm releases. */
export const AgentHeartbeatReply = Type.Object({
  discovery: Type.Union([
    Type.Object({
      /** The run to post the releases to (`POST /api/v1/agent/releases`). */
      run: Type.String(),
      /** Only these namespaces; all when null. */
      namespaces: Type.Union([Type.Array(Type.String()), Type.Null()]),
    }),
    Type.Null(),
  ]),
});

export const AgentHeartbeatBody = Type.Object(
  {
    agentVersion: Type.Optional(Type.String({ maxLength: 64 })),
    /** The plan revision the agent works on now, if any. */
    planRevision: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export type AgentPull = Static<typeof AgentPull>;
export type AgentPlanLayer = Static<typeof AgentPlanLayer>;
export type AgentRegistry = Static<typeof AgentRegistry>;
export type AgentPlanProfile = Static<typeof AgentPlanProfile>;
export type AgentPlan = Static<typeof AgentPlan>;
export type LayerReport = Static<typeof LayerReport>;
export type AgentReportBody = Static<typeof AgentReportBody>;
export type AgentReportAccepted = Static<typeof AgentReportAccepted>;
export type AgentHeartbeatBody = Static<typeof AgentHeartbeatBody>;
export type AgentHeartbeatReply = Static<typeof AgentHeartbeatReply>;
