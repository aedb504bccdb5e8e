/*
 * A Helm release as brownfield discovery reads it from Helm's own storage (research/kubernetes.md §3,
 * SPEC §2 "Brownfield discovery"). Pure data: decoding lives in release-payload.ts (Helm 3, JSON) and
 * helm2-release.ts (Tiller, protobuf); the Kubernetes side that finds the payloads in
 * src/upstream/kube/.
 */

/** Where Helm kept the release: its Secret driver (the default) or its ConfigMap driver. */
export type ReleaseDriver = 'secret' | 'configmap';

/** What is recorded per release, whatever the Helm major version. */
export interface ReleaseSummary {
  name: string;
  namespace: string;
  /** The release revision (`version` in Helm's JSON), newest found. */
  revision: number;
  /** Helm's status: deployed, failed, superseded, uninstalled, pending-install, ... (Helm 2: DEPLOYED...). */
  status: string;
  chartName: string;
  chartVersion: string;
  appVersion: string | null;
  /** RFC 3339, as Helm wrote them; null when the release does not say. */
  firstDeployed: string | null;
  lastDeployed: string | null;
  driver: ReleaseDriver;
  /** 2 for Tiller releases (listed, never synced), 3 for Helm 3 and 4 (same storage format). */
  helmMajor: 2 | 3;
}

/** One file of the chart stored inside a release: its path from the chart root and its bytes. */
export interface ReleaseChartFile {
  name: string;
  data: Buffer;
}

/**
 * The chart as Helm 3 stores it inside a release: Chart.yaml's metadata (Helm's JSON field names,
 * `dependencies` included), the templates, the merged default values (no comments), the schema and the
 * other files. Subcharts are NOT there (Helm does not serialize them), so a chart rebuilt from this can
 * never equal the original archive.
 */
export interface ReleaseChart {
  metadata: Record<string, unknown>;
  templates: ReleaseChartFile[];
  values: Record<string, unknown>;
  /** values.schema.json's bytes, or null. */
  schema: Buffer | null;
  files: ReleaseChartFile[];
}

/** A decoded release: Helm 3 ones carry their chart and the user-supplied values (`config`). */
export interface DecodedRelease {
  summary: ReleaseSummary;
  /** Null for Helm 2 releases (not rebuilt: a different chart format). */
  chart: ReleaseChart | null;
  /** The values the user supplied at install/upgrade (Helm's `config`); {} when none. */
  config: Record<string, unknown>;
}

/** A problem met while discovering, reported beside the releases found (the rest goes on). */
export interface DiscoveryWarning {
  /** Machine-readable: `forbidden`, `invalid_release`, `release_too_large`, `not_helm_release`, ... */
  code: string;
  message: string;
  namespace?: string;
  /** The storage object (Secret/ConfigMap name) or the release concerned. */
  object?: string;
}
