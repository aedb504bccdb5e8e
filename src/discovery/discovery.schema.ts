import { Type, type Static } from '@sinclair/typebox';
import { cursorQuery, Page, queryText } from '../http/api-shapes.js';
import { ProfileName, ProfileVersionView } from '../profiles/profile.schema.js';

/*
 * Brownfield discovery over the API (SPEC §2 "Brownfield discovery", §3): discovery runs, the releases
 * a cluster's newest run found with the catalog versions they match, "Sync discovered charts", a profile
 * from a cluster, and the agent's side (`POST /api/v1/agent/releases`).
 */

/** Namespaces one discovery may name; more is "all namespaces". */
export const MAX_DISCOVERY_NAMESPACES = 100;
/** Releases one agent post carries; an agent sends the rest in further posts of the same run. */
export const MAX_RELEASES_PER_POST = 200;
/** Warnings kept per run (a broken cluster must not fill the database); the rest are counted. */
export const MAX_RUN_WARNINGS = 200;

const Namespace = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', maxLength: 63 });

export const DiscoverBody = Type.Object(
  {
    /** Only these namespaces; all namespaces when absent. */
    namespaces: Type.Optional(Type.Array(Namespace, { minItems: 1, maxItems: MAX_DISCOVERY_NAMESPACES })),
  },
  { additionalProperties: false },
);

export const DiscoveryWarningView = Type.Object({
  code: Type.String(),
  message: Type.String(),
  namespace: Type.Optional(Type.String()),
  object: Type.Optional(Type.String()),
});

export const DiscoveryRunView = Type.Object({
  id: Type.String(),
  /** `manual` ("Discover now"), `schedule`, or `agent` (an agent discovering on its own). */
  trigger: Type.String(),
  /** `requested` (an agent cluster's, until its agent answers), `running`, `succeeded`, `failed`. */
  status: Type.String(),
  namespaces: Type.Union([Type.Array(Type.String()), Type.Null()]),
  requestedBy: Type.Union([Type.String(), Type.Null()]),
  requestedAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  /** Release Secrets and ConfigMaps read (every revision). */
  objects: Type.Integer(),
  /** Releases found (the newest revision of each). */
  releases: Type.Integer(),
  helm2: Type.Integer(),
  /** Releases whose chart matched a catalog version (by content or by name and version). */
  matched: Type.Integer(),
  warnings: Type.Array(DiscoveryWarningView),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
});

export const DiscoverReply = Type.Object({ run: DiscoveryRunView });
export const DiscoveryRunList = Page(DiscoveryRunView);

export const RegistryMatch = Type.Object({
  registry: Type.String(),
  scope: Type.Union([Type.Literal('tenant'), Type.Literal('system')]),
  kind: Type.String(),
  /** `content`: Chart.yaml fields and templates are the catalog archive's; `name-version`: only those agree. */
  how: Type.Union([Type.Literal('content'), Type.Literal('name-version')]),
  /** The catalog version was rebuilt from a release by "Sync discovered charts". */
  reconstructed: Type.Boolean(),
});

export const ReleaseSyncView = Type.Object({
  outcome: Type.String(),
  message: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
});

export const DiscoveredReleaseView = Type.Object({
  name: Type.String(),
  namespace: Type.String(),
  revision: Type.Integer(),
  status: Type.String(),
  chart: Type.String(),
  version: Type.String(),
  appVersion: Type.Union([Type.String(), Type.Null()]),
  firstDeployed: Type.Union([Type.String(), Type.Null()]),
  lastDeployed: Type.Union([Type.String(), Type.Null()]),
  driver: Type.Union([Type.Literal('secret'), Type.Literal('configmap')]),
  /** 2: a Tiller release, listed and never synced. */
  helm: Type.Integer(),
  /** Subcharts the chart declares: Helm does not store them in a release. */
  dependencies: Type.Integer(),
  /** The user-supplied values: kept sealed (never shown), omitted by the cluster's setting, or none given. */
  values: Type.Union([Type.Literal('sealed'), Type.Literal('omitted'), Type.Literal('none')]),
  matchedRegistries: Type.Array(RegistryMatch),
  /** Its chart is in the hosted registry as rebuilt from the release. */
  reconstructed: Type.Boolean(),
  sync: Type.Union([ReleaseSyncView, Type.Null()]),
});

export const ReleaseList = Type.Object({
  items: Type.Array(DiscoveredReleaseView),
  nextCursor: Type.Optional(Type.String()),
  /** The run these releases come from (the cluster's newest finished discovery); null before any. */
  run: Type.Union([DiscoveryRunView, Type.Null()]),
});

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 500, default 100' })),
    cursor: Type.Optional(cursorQuery(400)),
  },
  { additionalProperties: false },
);

export const ReleaseListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 500, default 100' })),
    cursor: Type.Optional(cursorQuery(400)),
    namespace: Type.Optional(Namespace),
    q: Type.Optional(queryText(256, 'Part of a release or chart name')),
  },
  { additionalProperties: false },
);

export const SyncedChartView = Type.Object({
  chart: Type.String(),
  version: Type.String(),
  /** The releases running this chart. */
  releases: Type.Array(Type.Object({ name: Type.String(), namespace: Type.String() })),
  /**
   * `created`: rebuilt and published, marked reconstructed; `unchanged`: already published as rebuilt;
   * `matched`: a catalog version has the same content, nothing to do; `conflict`: the hosted registry
   * holds this version with other content (never overwritten); `skipped`: a Helm 2 release;
   * `failed`: the chart could not be rebuilt or published (the message says why).
   */
  outcome: Type.String(),
  registry: Type.Union([Type.String(), Type.Null()]),
  digest: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  warnings: Type.Array(Type.String()),
});

export const SyncReleasesReply = Type.Object({ items: Type.Array(SyncedChartView) });

export const ProfileFromClusterBody = Type.Object(
  {
    cluster: Type.String({ minLength: 1, maxLength: 63 }),
    name: ProfileName,
    description: Type.Optional(Type.String({ maxLength: 2048 })),
    /** Only releases of these namespaces; every release when absent. */
    namespaces: Type.Optional(Type.Array(Namespace, { minItems: 1, maxItems: MAX_DISCOVERY_NAMESPACES })),
  },
  { additionalProperties: false },
);

export const ProfileFromClusterReply = Type.Object({
  profile: ProfileVersionView,
  /** Releases not made into layers, and why (Helm 2, an unknown registry). */
  skipped: Type.Array(
    Type.Object({ release: Type.String(), namespace: Type.String(), reason: Type.String() }),
  ),
});

/** One release as the agent found it: Helm's own payload, decoded and judged by the server. */
export const AgentReleaseIn = Type.Object(
  {
    driver: Type.Union([Type.Literal('secret'), Type.Literal('configmap')]),
    /** 2 for a Tiller ConfigMap (then `labels` carries NAME/VERSION/STATUS). */
    helm: Type.Union([Type.Literal(2), Type.Literal(3)]),
    /** `data.release` after the object's own decoding: base64 of gzip(JSON), as Helm stores it. */
    payload: Type.String({ maxLength: 8 * 1024 * 1024 }),
    labels: Type.Optional(
      Type.Record(Type.String({ maxLength: 316 }), Type.String({ maxLength: 256 }), { maxProperties: 64 }),
    ),
    namespace: Namespace,
    /** The Secret or ConfigMap's name, for warnings. */
    object: Type.String({ maxLength: 253 }),
  },
  { additionalProperties: false },
);

export const AgentReleasesBody = Type.Object(
  {
    /** The run this post belongs to: the one the heartbeat asked for, or the id a first post got back; null starts one. */
    run: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
    releases: Type.Array(AgentReleaseIn, { maxItems: MAX_RELEASES_PER_POST }),
    /** Release objects read so far in this run (the last post's count is kept). */
    objects: Type.Optional(Type.Integer({ minimum: 0 })),
    warnings: Type.Optional(Type.Array(DiscoveryWarningView, { maxItems: MAX_RUN_WARNINGS })),
    /** The last post of the run: the server then finishes it. */
    done: Type.Boolean(),
    /** The discovery failed in the agent (no kubeconfig, the cluster API refused it): the run fails with this. */
    error: Type.Optional(
      Type.Object(
        { code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 2048 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const AgentReleasesReply = Type.Object({
  run: Type.String(),
  accepted: Type.Integer(),
  /** Releases the server refused (their payload did not decode): each became a warning of the run. */
  rejected: Type.Integer(),
});

export type DiscoverBody = Static<typeof DiscoverBody>;
export type DiscoverReply = Static<typeof DiscoverReply>;
export type DiscoveryRunView = Static<typeof DiscoveryRunView>;
export type DiscoveryRunList = Static<typeof DiscoveryRunList>;
export type RegistryMatch = Static<typeof RegistryMatch>;
export type DiscoveredReleaseView = Static<typeof DiscoveredReleaseView>;
export type ReleaseList = Static<typeof ReleaseList>;
export type ReleaseListQuery = Static<typeof ReleaseListQuery>;
export type ListQuery = Static<typeof ListQuery>;
export type SyncedChartView = Static<typeof SyncedChartView>;
export type SyncReleasesReply = Static<typeof SyncReleasesReply>;
export type ProfileFromClusterBody = Static<typeof ProfileFromClusterBody>;
export type ProfileFromClusterReply = Static<typeof ProfileFromClusterReply>;
export type AgentReleaseIn = Static<typeof AgentReleaseIn>;
export type AgentReleasesBody = Static<typeof AgentReleasesBody>;
export type AgentReleasesReply = Static<typeof AgentReleasesReply>;
