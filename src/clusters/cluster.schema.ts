import { Type, type Static } from '@sinclair/typebox';
import { cursorQuery, Page } from '../http/api-shapes.js';
import { ProfileName, VariableValue } from '../profiles/profile.schema.js';

/*
 * Clusters over the API (SPEC §2 "Clusters and the agent", §3). The schemas check shape and sizes;
 * names, kubeconfigs, assignments and variable values are the service's to judge, so every problem of a
 * write comes back in one 422 naming its field.
 */

export const CLUSTER_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
/** Profiles one cluster may be given: a stack, not a catalogue. */
export const MAX_ASSIGNMENTS = 50;
/** A kubeconfig is a few KiB; 256 KiB leaves room for a long CA bundle. */
export const MAX_KUBECONFIG_CHARS = 256 * 1024;

export const ClusterName = Type.String({
  pattern: CLUSTER_NAME_PATTERN,
  minLength: 1,
  maxLength: 63,
  description: 'A DNS label: lowercase letters, digits and "-", at most 63 characters.',
});

export const ClusterMode = Type.Union([Type.Literal('agent'), Type.Literal('kubeconfig')], {
  description:
    '`agent`: reached only through `charthouse agent`, which connects out to Charthouse; `kubeconfig`: the server reaches the cluster API itself.',
});

/** One published profile version given to a cluster, with values for its variables. */
export const AssignmentIn = Type.Object(
  {
    profile: ProfileName,
    version: Type.String({ minLength: 1, maxLength: 256 }),
    /**
     * Values for the version's variables. A sensitive variable left out of an edit keeps its stored
     * value (it is never returned, so the console cannot send it back); `null` clears it.
     */
    variables: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.Union([VariableValue, Type.Null()])),
    ),
  },
  { additionalProperties: false },
);

const Description = Type.String({ maxLength: 2048 });
const Kubeconfig = Type.String({
  maxLength: MAX_KUBECONFIG_CHARS,
  description:
    'A kubeconfig (YAML) with its credentials embedded: exec plugins, auth providers and file references are refused.',
});

/**
 * What discovery does with the values users supplied to each release (Helm's `config`): `sealed` (the
 * default) keeps them encrypted at rest, never returned by the releases API, so "Create profile from
 * cluster" can carry each release's current values and the cluster becomes a managed one without
 * retyping them; `omitted` never stores them, for tenants whose values hold secrets they will not have
 * copied (profiles from the cluster then start with empty values).
 */
export const ReleaseValuesMode = Type.Union([Type.Literal('sealed'), Type.Literal('omitted')], {
  description:
    'What discovery does with the values users gave each release: `sealed` (default) keeps them encrypted and never shows them, `omitted` never stores them.',
});

export const ClusterCreateBody = Type.Object(
  {
    name: ClusterName,
    description: Type.Optional(Description),
    mode: ClusterMode,
    kubeconfig: Type.Optional(Kubeconfig),
    profiles: Type.Optional(Type.Array(AssignmentIn, { maxItems: MAX_ASSIGNMENTS })),
    releaseValues: Type.Optional(ReleaseValuesMode),
  },
  { additionalProperties: false },
);

/** A PATCH: what is sent replaces; `profiles` replaces the whole list (in install order). */
export const ClusterPatchBody = Type.Object(
  {
    description: Type.Optional(Description),
    kubeconfig: Type.Optional(Kubeconfig),
    profiles: Type.Optional(Type.Array(AssignmentIn, { maxItems: MAX_ASSIGNMENTS })),
    releaseValues: Type.Optional(ReleaseValuesMode),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** A variable's value as a cluster shows it: a sensitive one only says whether it is set. */
export const AssignedVariableView = Type.Object({
  name: Type.String(),
  sensitive: Type.Boolean(),
  /** Absent for a sensitive variable, and when no value is given (the version's default then applies). */
  value: Type.Optional(VariableValue),
  set: Type.Boolean(),
});

export const AssignmentView = Type.Object({
  profile: Type.String(),
  version: Type.String(),
  variables: Type.Array(AssignedVariableView),
});

/** What the agent last said about one layer (SPEC §2: pulled, verified, installed or failed). */
export const LayerStateView = Type.Object({
  profile: Type.String(),
  version: Type.String(),
  layer: Type.String(),
  state: Type.Union([
    Type.Literal('pending'),
    Type.Literal('pulled'),
    Type.Literal('verified'),
    Type.Literal('installed'),
    Type.Literal('failed'),
  ]),
  /** Why it failed (or what the agent noted); null when there is nothing to say. */
  reason: Type.Union([Type.String(), Type.Null()]),
  /** `sha256:<hex>` of the archive the agent pulled. */
  digest: Type.Union([Type.String(), Type.Null()]),
  provenance: Type.Union([Type.String(), Type.Null()]),
  release: Type.Union([
    Type.Object({
      name: Type.String(),
      namespace: Type.String(),
      revision: Type.Integer(),
      status: Type.String(),
    }),
    Type.Null(),
  ]),
  /** The plan revision the report was for. */
  planRevision: Type.Union([Type.Integer(), Type.Null()]),
  reportedAt: Type.Union([Type.String(), Type.Null()]),
});

export const ClusterView = Type.Object({
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  mode: ClusterMode,
  /** `connected`: a heartbeat within the last 10 minutes; `never`: no agent has called yet. */
  connection: Type.Union([Type.Literal('connected'), Type.Literal('disconnected'), Type.Literal('never')]),
  lastHeartbeatAt: Type.Union([Type.String(), Type.Null()]),
  agentVersion: Type.Union([Type.String(), Type.Null()]),
  /** Kubeconfig clusters: the API server the kubeconfig names (never its credentials). */
  server: Type.Union([Type.String(), Type.Null()]),
  /** When the current agent token was made; null for kubeconfig clusters. */
  tokenCreatedAt: Type.Union([Type.String(), Type.Null()]),
  profiles: Type.Array(AssignmentView),
  plan: Type.Object({
    revision: Type.Integer(),
    deliveredRevision: Type.Union([Type.Integer(), Type.Null()]),
    deliveredAt: Type.Union([Type.String(), Type.Null()]),
  }),
  layers: Type.Array(LayerStateView),
  releaseValues: ReleaseValuesMode,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/** A new cluster, or a rotated token: the only time the agent token is shown. */
export const ClusterCreated = Type.Object({
  cluster: ClusterView,
  agentToken: Type.Union([Type.String(), Type.Null()]),
});
export const AgentTokenIssued = Type.Object({ agentToken: Type.String(), tokenCreatedAt: Type.String() });

export const ClusterList = Page(ClusterView);
export const ClusterListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 500, default 100' })),
    cursor: Type.Optional(cursorQuery(200)),
  },
  { additionalProperties: false },
);

export type AssignmentIn = Static<typeof AssignmentIn>;
export type ClusterCreateBody = Static<typeof ClusterCreateBody>;
export type ClusterPatchBody = Static<typeof ClusterPatchBody>;
export type ClusterView = Static<typeof ClusterView>;
export type ClusterCreated = Static<typeof ClusterCreated>;
export type AgentTokenIssued = Static<typeof AgentTokenIssued>;
export type LayerStateView = Static<typeof LayerStateView>;
export type AssignmentView = Static<typeof AssignmentView>;
export type ClusterList = Static<typeof ClusterList>;
