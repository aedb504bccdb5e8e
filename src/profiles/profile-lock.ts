import type { RegistryRow } from '../registries/registry.repository.js';

/*
 * What publishing a version resolved (`profile_versions.lock`): per layer the registry it came from (by
 * id, so a later registry of the same name cannot stand in), the exact version and the archive's digest
 * as the catalog listed them at that moment. A published version is this lock: its plan never moves,
 * whatever the catalog does afterwards (a version removed upstream is reported, not re-resolved).
 */

export interface LockedLayer {
  name: string;
  registryId: string;
  registryName: string;
  registryScope: 'system' | 'tenant';
  registryKind: RegistryRow['kind'];
  protected: boolean;
  /** The registry's endpoint when published: a protected registry's charts are pulled relative to it. */
  endpoint: string;
  chart: string;
  version: string;
  /** `sha256:<hex>` of the chart archive; null for a protected registry (until an agent reports it). */
  digest: string | null;
  /** The catalog's archive location: an absolute URL (classic) or `oci://host/repository` (OCI). */
  chartUrl: string | null;
  /** The OCI manifest's digest where the catalog knows it, for a pull by digest. */
  manifestDigest: string | null;
  /** What publishing noticed without refusing (an unusable chart schema). */
  warnings: string[];
}

export interface ProfileLock {
  layers: LockedLayer[];
}

export const parseLock = (text: string): ProfileLock => JSON.parse(text) as ProfileLock;

/** The catalog's digests are hex; the API and plans name them `sha256:<hex>`. */
export function digestOf(catalogDigest: string | null): string | null {
  if (catalogDigest === null) return null;
  return /^[0-9a-f]{64}$/.test(catalogDigest) ? `sha256:${catalogDigest}` : catalogDigest;
}
