import type { ChartVersionRow } from '../catalog/chart-version.repository.js';
import { RECONSTRUCTED_ANNOTATION } from '../protocol/helm/release/release-chart.js';
import type { RegistryRow } from '../registries/registry.repository.js';
import { SYSTEM_SCOPE_KEY } from '../shared/context.js';
import type {
  CatalogCandidate,
  DiscoveredReleaseRepository,
  DiscoveredReleaseRow,
} from './discovered-release.repository.js';
import type { RegistryMatch } from './discovery.schema.js';

export interface ReleaseMatcherDeps {
  releases: DiscoveredReleaseRepository;
  /** The registries whose catalogs a tenant sees (its own and the system's, minus names it shadows). */
  visibleRegistries: (tenantId: string) => Promise<readonly { id: string }[]>;
  registriesByIds: (ids: readonly string[]) => Promise<RegistryRow[]>;
  /** A catalog archive's fingerprint, fetched and cached through the catalog's chart-files path; null when unavailable. */
  fingerprintOf: (registry: RegistryRow, version: ChartVersionRow) => Promise<string | null>;
}

/** Archives fetched at once while warming: an upstream is not hammered, and a run stays bounded. */
const WARM_CONCURRENCY = 4;

/**
 * Which catalog versions a discovered release's chart is (SPEC §2, Palette's `matchedRegistries`): a
 * version of the same chart name and version in a registry the tenant sees matches by `name-version`,
 * and by `content` when its archive's fingerprint (Chart.yaml fields, templates, default values) is the
 * release's. Matching is computed when releases are read, so it follows the catalog (a chart synced
 * or pushed later matches at once); what it needs from upstream (archive fingerprints) is fetched
 * during the discovery run (warm) and cached with the catalog's chart files.
 */
export class ReleaseMatcher {
  constructor(private readonly d: ReleaseMatcherDeps) {}

  async matches(
    tenantId: string,
    releases: readonly DiscoveredReleaseRow[],
  ): Promise<Map<string, RegistryMatch[]>> {
    const candidates = await this.candidates(tenantId, releases);
    const out = new Map<string, RegistryMatch[]>();
    for (const release of releases) {
      const found = candidates.get(pairKey(release.chart_name, release.chart_version)) ?? [];
      const list = found.map((c) => toMatch(c, release));
      // Content matches first, then the tenant's own registries before the system's, then by name.
      list.sort(
        (a, b) =>
          Number(b.how === 'content') - Number(a.how === 'content') ||
          Number(b.scope === 'tenant') - Number(a.scope === 'tenant') ||
          a.registry.localeCompare(b.registry),
      );
      out.set(release.id, list);
    }
    return out;
  }

  /**
   * Fetches the fingerprints of the catalog archives the releases could match and that are not known
   * yet (first matching of a chart). Returns how many releases match something. Failures leave a
   * match by name and version; they never fail the discovery.
   */
  async warm(tenantId: string, releases: readonly DiscoveredReleaseRow[], deadline: number): Promise<number> {
    const candidates = await this.candidates(tenantId, releases);
    const unknown = [...candidates.values()].flat().filter((c) => c.fingerprint === null);
    if (unknown.length > 0) {
      const registries = new Map(
        (await this.d.registriesByIds([...new Set(unknown.map((c) => c.registry_id))])).map((r) => [r.id, r]),
      );
      const rows = new Map(
        (await this.d.releases.versionRows(unknown.map((c) => c.version_id))).map((r) => [r.id, r]),
      );
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < unknown.length && Date.now() < deadline) {
          const c = unknown[next++]!;
          const registry = registries.get(c.registry_id);
          const row = rows.get(c.version_id);
          if (!registry || !row || registry.protected === 1) continue;
          c.fingerprint = await this.d.fingerprintOf(registry, row).catch(() => null);
        }
      };
      await Promise.all(Array.from({ length: WARM_CONCURRENCY }, worker));
    }
    return releases.filter((r) => candidates.has(pairKey(r.chart_name, r.chart_version))).length;
  }

  private async candidates(
    tenantId: string,
    releases: readonly DiscoveredReleaseRow[],
  ): Promise<Map<string, CatalogCandidate[]>> {
    const registries = await this.d.visibleRegistries(tenantId);
    const pairs = uniquePairs(releases);
    const found = await this.d.releases.candidates(
      registries.map((r) => r.id),
      pairs,
    );
    const byPair = new Map<string, CatalogCandidate[]>();
    for (const c of found) {
      const key = pairKey(c.chart_name, c.version);
      const list = byPair.get(key);
      if (list) list.push(c);
      else byPair.set(key, [c]);
    }
    return byPair;
  }
}

function toMatch(c: CatalogCandidate, release: DiscoveredReleaseRow): RegistryMatch {
  const content =
    c.fingerprint !== null && release.fingerprint !== null && c.fingerprint === release.fingerprint;
  return {
    registry: c.registry_name,
    scope: c.registry_scope === SYSTEM_SCOPE_KEY ? 'system' : 'tenant',
    kind: c.registry_kind,
    how: content ? 'content' : 'name-version',
    reconstructed: isReconstructed(c.annotations),
  };
}

export function isReconstructed(annotationsJson: string): boolean {
  try {
    const annotations = JSON.parse(annotationsJson) as Record<string, unknown> | null;
    return annotations !== null && annotations[RECONSTRUCTED_ANNOTATION] === 'true';
  } catch {
    return false;
  }
}

const pairKey = (chart: string, version: string): string => `${chart}\u0000${version}`;

function uniquePairs(releases: readonly DiscoveredReleaseRow[]): { chart: string; version: string }[] {
  const seen = new Map<string, { chart: string; version: string }>();
  for (const r of releases) {
    seen.set(pairKey(r.chart_name, r.chart_version), { chart: r.chart_name, version: r.chart_version });
  }
  return [...seen.values()];
}
