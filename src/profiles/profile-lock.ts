import type { ChartVersionRow } from '../catalog/chart-version.repository.js';
import type { RegistryRow } from '../registries/registry.repository.js';
import { SYSTEM_SCOPE_KEY } from '../shared/context.js';
// The key the OCI sync records each row's manifest digest under, for a pull by digest.
import { MANIFEST_DIGEST_ANNOTATION } from '../sync/oci-sync.js';
import type { CheckedLayer } from './layer-check.js';

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

/** Where a hosted registry's chart version is pulled by digest: its OCI manifest, null while it has none. */
export type HostedManifestLookup = (
  registryId: string,
  chart: string,
  version: string,
) => Promise<string | null>;

/** What publishing pins for one checked layer: the catalog row it resolved to, or the typed version of a protected one. */
export async function lockLayer(l: CheckedLayer, hostedManifest: HostedManifestLookup): Promise<LockedLayer> {
  const { spec, registry, row } = l;
  const base = {
    name: spec.name,
    registryId: registry.id,
    registryName: registry.name,
    registryScope: registry.scope === SYSTEM_SCOPE_KEY ? ('system' as const) : ('tenant' as const),
    registryKind: registry.kind,
    protected: registry.protected === 1,
    endpoint: registry.endpoint,
    chart: spec.chart,
    warnings: l.warnings,
  };
  if (row === null) {
    // A protected layer: typed by hand, its digest unknown until an agent pulls it.
    return { ...base, version: spec.version!, digest: null, chartUrl: null, manifestDigest: null };
  }
  return {
    ...base,
    version: row.version,
    digest: digestOf(row.digest),
    chartUrl: row.chart_url,
    manifestDigest: await manifestDigestOf(registry, row, hostedManifest),
  };
}

async function manifestDigestOf(
  registry: RegistryRow,
  row: ChartVersionRow,
  hostedManifest: HostedManifestLookup,
): Promise<string | null> {
  if (registry.kind === 'hosted') return hostedManifest(registry.id, row.chart_name, row.version);
  if (registry.kind !== 'oci') return null;
  const annotations = JSON.parse(row.annotations) as Record<string, string>;
  return annotations[MANIFEST_DIGEST_ANNOTATION] ?? null;
}
