import { Type, type Static } from '@sinclair/typebox';
import { cursorQuery, Page } from '../http/api-shapes.js';

/*
 * Cluster profiles over the API (SPEC §2 "Cluster profiles", §3). The schemas check shape and sizes
 * only: names, versions, constraints, values and the catalog are the service's to judge, so that every
 * problem of a whole version comes back in one 422 naming the layer and field (a schema failure is a
 * 400 that stops at the shape).
 */

export const PROFILE_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
export const MAX_LAYERS = 200;
export const MAX_VARIABLES = 100;
/** The API's limit on a layer's values text, in characters; the service counts bytes (1 MiB) and names the layer. */
const MAX_VALUES_CHARS = 16 * 1024 * 1024;

export const ProfileName = Type.String({
  pattern: PROFILE_NAME_PATTERN,
  minLength: 1,
  maxLength: 63,
  description: 'A DNS label: lowercase letters, digits and "-", at most 63 characters.',
});

const Description = Type.String({ maxLength: 2048 });
const ProfileVersionText = Type.String({
  minLength: 1,
  maxLength: 256,
  description: 'A SemVer 2 version such as 1.0.0.',
});

export const VariableValue = Type.Union([Type.String({ maxLength: 65536 }), Type.Number(), Type.Boolean()]);

export const VariableIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    type: Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('boolean')]),
    description: Type.Optional(Description),
    required: Type.Optional(Type.Boolean({ default: false })),
    default: Type.Optional(VariableValue),
    sensitive: Type.Optional(Type.Boolean({ default: false })),
    /**
     * Sensitive defaults are never returned; an edit that sends a sensitive variable without `default`
     * keeps the stored one unless this is true.
     */
    clearDefault: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const LayerIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    registry: Type.String({ minLength: 1, maxLength: 256 }),
    chart: Type.String({ minLength: 1, maxLength: 512 }),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    versionConstraint: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    releaseName: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    createNamespace: Type.Optional(Type.Boolean()),
    values: Type.Optional(Type.String({ maxLength: MAX_VALUES_CHARS })),
    dependsOn: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: MAX_LAYERS }),
    ),
  },
  { additionalProperties: false },
);

const SpecFields = {
  description: Type.Optional(Type.Union([Description, Type.Null()])),
  variables: Type.Optional(Type.Array(VariableIn, { maxItems: MAX_VARIABLES })),
  layers: Type.Optional(Type.Array(LayerIn, { maxItems: MAX_LAYERS })),
};

/** `PUT .../versions/{v}`: the draft's whole content, replacing what it held. */
export const VersionSpecBody = Type.Object(SpecFields, { additionalProperties: false });

export const ProfileCreateBody = Type.Object(
  {
    name: ProfileName,
    ...SpecFields,
    version: Type.Optional(ProfileVersionText),
  },
  { additionalProperties: false },
);

/** `POST .../versions`: a clone of `from` (any version), or a fresh draft with the content given. */
export const VersionCreateBody = Type.Object(
  { version: ProfileVersionText, from: Type.Optional(ProfileVersionText), ...SpecFields },
  { additionalProperties: false },
);

export const VariableView = Type.Object({
  name: Type.String(),
  type: Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('boolean')]),
  description: Type.Union([Type.String(), Type.Null()]),
  required: Type.Boolean(),
  sensitive: Type.Boolean(),
  /** Absent when there is none, and always for a sensitive variable (see hasDefault). */
  default: Type.Optional(VariableValue),
  hasDefault: Type.Boolean(),
});

const Updates = Type.Object({
  /** The newest catalog version within the layer's constraint (within its major for an exact version), when newer than the layer's. */
  withinConstraint: Type.Union([Type.String(), Type.Null()]),
  /** The newest catalog version overall, when newer than the layer's. */
  latest: Type.Union([Type.String(), Type.Null()]),
});

/** `catalog`: checked against the catalog; `unverified`: a protected registry's, typed by hand (an agent verifies it). */
const Verification = Type.Union([
  Type.Literal('catalog'),
  Type.Literal('unverified'),
  Type.Literal('verified'),
  Type.Literal('failed'),
]);
/** Whether the catalog still lists the resolved version with the same digest (`unknown` for protected registries). */
const UpstreamStatus = Type.Union([
  Type.Literal('present'),
  Type.Literal('gone'),
  Type.Literal('changed'),
  Type.Literal('unknown'),
]);
const RegistryKind = Type.Union([Type.Literal('helm'), Type.Literal('oci'), Type.Literal('hosted')]);
const RegistryScope = Type.Union([Type.Literal('system'), Type.Literal('tenant')]);

export const LayerView = Type.Object({
  name: Type.String(),
  registry: Type.String(),
  registryScope: RegistryScope,
  registryKind: RegistryKind,
  protected: Type.Boolean(),
  chart: Type.String(),
  version: Type.Union([Type.String(), Type.Null()]),
  versionConstraint: Type.Union([Type.String(), Type.Null()]),
  releaseName: Type.String(),
  namespace: Type.String(),
  createNamespace: Type.Boolean(),
  values: Type.String(),
  dependsOn: Type.Array(Type.String()),
  /** The exact version: the lock's for a published version, the newest match today for a draft. */
  resolvedVersion: Type.Union([Type.String(), Type.Null()]),
  /** `sha256:<hex>` of the chart archive where known. */
  digest: Type.Union([Type.String(), Type.Null()]),
  verification: Verification,
  upstream: UpstreamStatus,
  updates: Updates,
  warnings: Type.Array(Type.String()),
});

const VersionSummaryFields = {
  version: Type.String(),
  status: Type.Union([Type.Literal('draft'), Type.Literal('published')]),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
  publishedAt: Type.Union([Type.String(), Type.Null()]),
  publishedBy: Type.Union([Type.String(), Type.Null()]),
  layerCount: Type.Integer(),
  /** Layers with a newer catalog version within their constraint: in a profile's own answer, not in the list. */
  updatesAvailable: Type.Optional(Type.Integer()),
};

export const VersionSummary = Type.Object(VersionSummaryFields);

export const ProfileVersionView = Type.Object({
  profile: Type.String(),
  ...VersionSummaryFields,
  variables: Type.Array(VariableView),
  layers: Type.Array(LayerView),
  /** Layer names in install order: dependsOn first, then the listed order. */
  installOrder: Type.Array(Type.String()),
  /** How many layers have a newer catalog version within their constraint. */
  updatesAvailable: Type.Integer(),
});

export const ProfileView = Type.Object({
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
  /** The newest version by SemVer, draft or published. */
  latestVersion: Type.Union([Type.String(), Type.Null()]),
  latestPublished: Type.Union([Type.String(), Type.Null()]),
  versions: Type.Array(VersionSummary),
});

export const ProfileList = Page(ProfileView);
export const ProfileListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 500, default 100' })),
    cursor: Type.Optional(cursorQuery(200)),
  },
  { additionalProperties: false },
);

/**
 * `version` (default: the newest published), and a value per variable as `var.<NAME>=<value>` (read by
 * the variable's type: `3`, `true`). Other keys are refused by the service, naming them.
 */
export const ResolveQuery = Type.Object(
  { version: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) },
  { additionalProperties: Type.String({ maxLength: 65536 }) },
);

export const DiffQuery = Type.Object(
  { from: Type.String({ minLength: 1, maxLength: 256 }), to: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

const ValuesChange = Type.Object({
  path: Type.String(),
  kind: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
  from: Type.Optional(Type.Unknown()),
  to: Type.Optional(Type.Unknown()),
});

const FieldChange = Type.Object({ field: Type.String(), from: Type.Unknown(), to: Type.Unknown() });

export const ProfileDiff = Type.Object({
  profile: Type.String(),
  from: Type.String(),
  to: Type.String(),
  layers: Type.Object({
    added: Type.Array(Type.String()),
    removed: Type.Array(Type.String()),
    changed: Type.Array(
      Type.Object({ name: Type.String(), fields: Type.Array(FieldChange), values: Type.Array(ValuesChange) }),
    ),
    /** Same layers, another install order. */
    orderChanged: Type.Boolean(),
  }),
  variables: Type.Object({
    added: Type.Array(Type.String()),
    removed: Type.Array(Type.String()),
    changed: Type.Array(Type.String()),
  }),
});

export const PlanLayer = Type.Object({
  name: Type.String(),
  registry: Type.Object({
    name: Type.String(),
    scope: RegistryScope,
    kind: RegistryKind,
    protected: Type.Boolean(),
  }),
  chart: Type.String(),
  version: Type.String(),
  /** What a client pulls: the archive's URL (classic, protected classic), or an `oci://` reference, by digest where known. */
  reference: Type.String(),
  /** For hosted registries, the classic URL of the same archive on this server; null otherwise. */
  chartUrl: Type.Union([Type.String(), Type.Null()]),
  digest: Type.Union([Type.String(), Type.Null()]),
  verification: Verification,
  upstream: UpstreamStatus,
  releaseName: Type.String(),
  namespace: Type.String(),
  createNamespace: Type.Boolean(),
  dependsOn: Type.Array(Type.String()),
  values: Type.Record(Type.String(), Type.Unknown()),
});

export const ProfilePlan = Type.Object({
  profile: Type.String(),
  version: Type.String(),
  publishedAt: Type.String(),
  layers: Type.Array(PlanLayer),
});

export type ProfileCreateBody = Static<typeof ProfileCreateBody>;
export type VersionSpecBody = Static<typeof VersionSpecBody>;
export type VersionCreateBody = Static<typeof VersionCreateBody>;
export type VariableIn = Static<typeof VariableIn>;
export type LayerIn = Static<typeof LayerIn>;
export type VariableView = Static<typeof VariableView>;
export type LayerView = Static<typeof LayerView>;
export type VersionSummary = Static<typeof VersionSummary>;
export type ProfileVersionView = Static<typeof ProfileVersionView>;
export type ProfileView = Static<typeof ProfileView>;
export type ProfileList = Static<typeof ProfileList>;
export type ProfileDiff = Static<typeof ProfileDiff>;
export type PlanLayer = Static<typeof PlanLayer>;
export type ProfilePlan = Static<typeof ProfilePlan>;
export type ProfileListQuery = Static<typeof ProfileListQuery>;
export type ResolveQuery = Static<typeof ResolveQuery>;
