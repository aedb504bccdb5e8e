/*
 * A catalog chart version as the protocol code makes it (chart-version.ts normalizes index entries into
 * it; entry-fields.ts reads its fields, content-hash.ts hashes it), and the warnings a normalization gives.
 */

export type ChartApiVersion = 'v1' | 'v2' | 'v3';

export interface ChartMaintainer {
  name: string;
  email?: string;
  url?: string;
}

/** A dependency's `import-values` item: a child values path, or an explicit child → parent mapping. */
export type ChartImportValue = string | { child: string; parent: string };

export interface ChartDependency {
  name: string;
  version?: string;
  repository?: string;
  condition?: string;
  tags?: string[];
  alias?: string;
  enabled?: boolean;
  importValues?: ChartImportValue[];
}

export interface ChartVersionRecord {
  name: string;
  version: string;
  appVersion: string | null;
  apiVersion: ChartApiVersion;
  type: string | null;
  description: string | null;
  icon: string | null;
  home: string | null;
  sources: string[];
  keywords: string[];
  maintainers: ChartMaintainer[];
  kubeVersion: string | null;
  deprecated: boolean;
  created: string | null;
  /** 64 lowercase hex characters, any `sha256:` prefix removed; null when absent or not a SHA-256. */
  digest: string | null;
  /** As written in the index. */
  urls: string[];
  /** `urls[0]` resolved against the repository URL as Helm does; null when there is none usable. */
  chartUrl: string | null;
  dependencies: ChartDependency[];
  annotations: Record<string, string>;
  /** Byte-wise ascending order = SemVer precedence ascending (semver-sort.ts). */
  sortKey: string;
  /** sha256 hex of everything above except sortKey: equal when the entry is unchanged. */
  contentHash: string;
}

export interface SyncWarning {
  chart?: string;
  version?: string;
  message: string;
}
