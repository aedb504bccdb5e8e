import { Type, type Static } from '@sinclair/typebox';
import { cursorQuery, Page, queryText } from '../http/api-shapes.js';
import { REGISTRY_NAME_PATTERN } from '../registries/registry.schema.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Text = Nullable(Type.String());

/** Which registry a chart lives in: enough for the caller to build the chart's own URLs. */
export const ChartRegistryRef = Type.Object({
  name: Type.String(),
  scope: Type.Union([Type.Literal('system'), Type.Literal('tenant')]),
  kind: Type.Union([Type.Literal('helm'), Type.Literal('oci'), Type.Literal('hosted')]),
});

/**
 * One chart of one registry, described by its latest version: the newest stable one as `helm search
 * repo` picks it (with `devel=true` the newest of all; the newest pre-release for a chart that has
 * only pre-releases).
 */
export const ChartSummary = Type.Object({
  registry: ChartRegistryRef,
  name: Type.String(),
  latestVersion: Type.String(),
  prerelease: Type.Boolean({ description: 'Whether latestVersion is a SemVer pre-release.' }),
  appVersion: Text,
  description: Text,
  icon: Text,
  deprecated: Type.Boolean(),
  keywords: Type.Array(Type.String()),
  versionCount: Type.Integer(),
});
export type ChartSummary = Static<typeof ChartSummary>;

export const ChartSearchResult = Page(ChartSummary);
export type ChartSearchResult = Static<typeof ChartSearchResult>;

export const ChartVersionItem = Type.Object({
  version: Type.String(),
  prerelease: Type.Boolean(),
  appVersion: Text,
  created: Text,
  digest: Text,
  deprecated: Type.Boolean(),
});
export type ChartVersionItem = Static<typeof ChartVersionItem>;

/** A chart with every version, newest first (all of them: a chart rarely has more than a few hundred). */
export const ChartDetail = Type.Composite([
  ChartSummary,
  Type.Object({ versions: Type.Array(ChartVersionItem) }),
]);
export type ChartDetail = Static<typeof ChartDetail>;

const Maintainer = Type.Object(
  { name: Type.String(), email: Type.Optional(Type.String()), url: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

/*
 * Dependencies and annotations are passed on as the index published them (normalized by the protocol
 * layer): their inner shape is Helm's, not ours to narrow here.
 */
const Dependency = Type.Object(
  {
    name: Type.String(),
    version: Type.Optional(Type.String()),
    repository: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/**
 * Whether the archive's files could be read. `unavailable` keeps the metadata answer useful while the
 * upstream is down or its archive was refused: `code` says why (`digest_mismatch`,
 * `invalid_chart_archive`, `upstream_timeout`, ...) and `reason` in words.
 */
export const ChartFilesStatus = Type.Union([
  Type.Object({ status: Type.Literal('available') }),
  Type.Object({ status: Type.Literal('unavailable'), code: Type.String(), reason: Type.String() }),
]);

/** Every metadata field Charthouse stores for one chart version, and the files of its archive. */
export const ChartVersionDetail = Type.Object({
  registry: ChartRegistryRef,
  name: Type.String(),
  version: Type.String(),
  appVersion: Text,
  apiVersion: Text,
  type: Text,
  description: Text,
  icon: Text,
  home: Text,
  sources: Type.Array(Type.String()),
  keywords: Type.Array(Type.String()),
  maintainers: Type.Array(Maintainer),
  kubeVersion: Text,
  deprecated: Type.Boolean(),
  created: Text,
  digest: Text,
  urls: Type.Array(Type.String()),
  chartUrl: Text,
  dependencies: Type.Array(Dependency),
  annotations: Type.Record(Type.String(), Type.String()),
  republished: Type.Boolean(),
  firstSeenAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  // Read from the chart archive on the first request and cached by digest. Null when the chart has no
  // such file, or when `files.status` is `unavailable`.
  valuesYaml: Type.Optional(Text),
  readme: Type.Optional(Text),
  valuesSchema: Type.Optional(Text),
  files: Type.Optional(ChartFilesStatus),
});
export type ChartVersionDetail = Static<typeof ChartVersionDetail>;

const boolQuery = (description: string) =>
  Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description }));

const DevelQuery = boolQuery(
  'true: the latest version may be a pre-release (helm search repo --devel). Default false: the newest stable version, or the newest pre-release of a chart that has only pre-releases.',
);

export const ChartSearchQuery = Type.Object(
  {
    devel: DevelQuery,
    deprecated: boolQuery(
      'false: leave out charts whose latest version is deprecated. Default true: list them, marked deprecated.',
    ),
    q: Type.Optional(queryText(200, 'matches chart name, description, keywords')),
    registry: Type.Optional(
      Type.String({ pattern: REGISTRY_NAME_PATTERN, maxLength: 63, description: 'one registry by name' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1 to 200, default 50' })),
    cursor: Type.Optional(cursorQuery(2000)),
  },
  { additionalProperties: false },
);
export type ChartSearchQuery = Static<typeof ChartSearchQuery>;

export const ChartDetailQuery = Type.Object({ devel: DevelQuery }, { additionalProperties: false });
export type ChartDetailQuery = Static<typeof ChartDetailQuery>;
