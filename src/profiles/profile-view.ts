import type { CatalogRepository } from '../catalog/catalog.repository.js';
import type { ChartVersionRow } from '../catalog/chart-version.repository.js';
import { newestMatching, parseVersionConstraint } from '../protocol/helm/version-constraint.js';
import type { RegistryRow } from '../registries/registry.repository.js';
import { SYSTEM_SCOPE_KEY, type Scope } from '../shared/context.js';
import { NotFoundError } from '../shared/errors.js';
import type { CheckedLayer, LayerChecker } from './layer-check.js';
import { installOrder, type LayerSpec } from './layer-rules.js';
import { layerUpdates } from './layer-updates.js';
import { digestOf, parseLock, type LockedLayer } from './profile-lock.js';
import type { ProfileRow, ProfileVersionRow } from './profile.repository.js';
import type { LayerView, ProfileVersionView, ProfileView, VersionSummary } from './profile.schema.js';
import { parseSpec, toVariableView, type VersionSpec } from './profile-spec.js';

/**
 * Profiles and versions as the API shows them: per layer the version it resolves to (the lock's once
 * published), whether the catalog still lists it, and the updates available, read from the catalog
 * at the time of asking.
 */
export class ProfileViews {
  constructor(
    private readonly checker: Pick<LayerChecker, 'registry'>,
    private readonly catalog: Pick<CatalogRepository, 'chart'>,
  ) {}

  /** A version as the API shows it; `reads` may be shared by several versions of one answer. */
  async version(
    profile: ProfileRow,
    row: ProfileVersionRow,
    reads: CatalogReads,
  ): Promise<ProfileVersionView> {
    const spec = parseSpec(row.spec);
    const lock = row.lock === null ? null : parseLock(row.lock);
    const layers = await Promise.all(
      spec.layers.map((l, i) =>
        this.layer(
          reads,
          l,
          lock?.layers[i] ?? null,
          lock?.layers[i]?.warnings ?? spec.warnings?.[l.name] ?? [],
        ),
      ),
    );
    return {
      profile: profile.name,
      ...toSummary(row, spec),
      variables: spec.variables.map(toVariableView),
      layers,
      installOrder: installOrder(spec.layers),
      updatesAvailable: layers.filter((l) => l.updates.withinConstraint !== null).length,
    };
  }

  /**
   * A layer as shown: the lock's version and digest once published, else the catalog's answer today;
   * and whether the catalog has something newer. A registry gone since publishing keeps the lock's view.
   */
  private async layer(
    reads: CatalogReads,
    spec: LayerSpec,
    locked: LockedLayer | null,
    checkWarnings: readonly string[],
  ): Promise<LayerView> {
    const visible = await reads.registry(spec.registry);
    // Once locked, only the registry the lock names will do: another of the same name is not it.
    const registry = locked && visible && locked.registryId !== visible.id ? null : visible;
    const isProtected = locked?.protected ?? registry?.protected === 1;
    const view: LayerView = {
      name: spec.name,
      registry: spec.registry,
      registryScope: locked?.registryScope ?? (registry?.scope === SYSTEM_SCOPE_KEY ? 'system' : 'tenant'),
      registryKind: locked?.registryKind ?? registry?.kind ?? 'helm',
      protected: isProtected,
      chart: spec.chart,
      version: spec.version,
      versionConstraint: spec.versionConstraint,
      releaseName: spec.releaseName,
      namespace: spec.namespace,
      createNamespace: spec.createNamespace,
      values: spec.values,
      dependsOn: spec.dependsOn,
      resolvedVersion: locked?.version ?? null,
      digest: locked?.digest ?? null,
      verification: isProtected ? 'unverified' : 'catalog',
      upstream: isProtected ? 'unknown' : 'present',
      updates: { withinConstraint: null, latest: null },
      warnings: [...checkWarnings],
    };
    if (isProtected) {
      view.resolvedVersion = spec.version;
      return view;
    }
    if (!registry) {
      view.upstream = 'gone';
      view.warnings.push(
        `Registry "${spec.registry}" is gone: this layer's chart is no longer in the catalog.`,
      );
      return view;
    }
    const versions = await reads.chart(registry.id, spec.chart);
    const texts = versions.map((v) => v.version);
    if (locked) {
      const now = versions.find((v) => v.version === locked.version);
      view.upstream = !now
        ? 'gone'
        : locked.digest !== null && digestOf(now.digest) !== locked.digest
          ? 'changed'
          : 'present';
      if (view.upstream === 'gone')
        view.warnings.push(
          `${spec.chart} ${locked.version} is gone from the catalog; the lock still pins its digest.`,
        );
      if (view.upstream === 'changed')
        view.warnings.push(
          `${spec.chart} ${locked.version} was re-published upstream with other content; the lock still pins the digest it was published with.`,
        );
    } else {
      const resolved = resolveToday(spec, texts, versions);
      view.resolvedVersion = resolved?.version ?? null;
      view.digest = resolved ? digestOf(resolved.digest) : null;
      if (!resolved) view.upstream = 'gone';
    }
    view.updates = layerUpdates(view.resolvedVersion, spec.versionConstraint, texts);
    return view;
  }

  /** Catalog reads for one answer; `checked` layers bring what their check read already. */
  reads(scope: Scope, checked: readonly CheckedLayer[] = []): CatalogReads {
    const reads = new CatalogReads(
      async (name) => {
        try {
          return await this.checker.registry(scope, name);
        } catch (err) {
          if (err instanceof NotFoundError) return null;
          throw err;
        }
      },
      (registryId, chart) => this.catalog.chart(registryId, chart),
    );
    for (const l of checked) reads.seed(l);
    return reads;
  }
}

/**
 * The registries and chart versions the layers of one answer read, each once: a profile's versions
 * mostly name the same charts, and a write's view reuses what its check has just read.
 */
export class CatalogReads {
  private readonly registries = new Map<string, Promise<RegistryRow | null>>();
  private readonly charts = new Map<string, Promise<ChartVersionRow[]>>();

  constructor(
    private readonly loadRegistry: (name: string) => Promise<RegistryRow | null>,
    private readonly loadChart: (registryId: string, chart: string) => Promise<ChartVersionRow[]>,
  ) {}

  registry(name: string): Promise<RegistryRow | null> {
    let found = this.registries.get(name);
    if (!found) this.registries.set(name, (found = this.loadRegistry(name)));
    return found;
  }

  chart(registryId: string, chart: string): Promise<ChartVersionRow[]> {
    const key = `${registryId}\u0000${chart}`;
    let found = this.charts.get(key);
    if (!found) this.charts.set(key, (found = this.loadChart(registryId, chart)));
    return found;
  }

  seed(layer: CheckedLayer): void {
    this.registries.set(layer.spec.registry, Promise.resolve(layer.registry));
    // A protected layer's check reads no catalog; an unprotected one read every version of its chart.
    if (layer.registry.protected !== 1) {
      this.charts.set(`${layer.registry.id}\u0000${layer.spec.chart}`, Promise.resolve(layer.versions));
    }
  }
}

function resolveToday(spec: LayerSpec, texts: string[], versions: ChartVersionRow[]): ChartVersionRow | null {
  if (spec.version !== null) return versions.find((v) => v.version === spec.version) ?? null;
  const match = newestForConstraint(spec.versionConstraint, texts);
  return match === null ? null : (versions.find((v) => v.version === match) ?? null);
}

function newestForConstraint(constraint: string | null, texts: string[]): string | null {
  if (constraint === null) return null;
  const parsed = parseVersionConstraint(constraint);
  return parsed.ok ? newestMatching(parsed.constraint, texts) : null;
}

/** `spec`: the row's parsed spec where the caller has it already, so it is not parsed twice. */
export function toSummary(row: ProfileVersionRow, spec: VersionSpec = parseSpec(row.spec)): VersionSummary {
  return {
    version: row.version,
    status: row.status,
    description: row.description,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
    publishedBy: row.published_by,
    layerCount: spec.layers.length,
  };
}

export function toProfileView(p: ProfileRow, versions: ProfileVersionRow[]): ProfileView {
  // versions come newest first (sort key descending).
  return {
    name: p.name,
    description: p.description,
    createdAt: p.created_at,
    createdBy: p.created_by,
    updatedAt: p.updated_at,
    latestVersion: versions[0]?.version ?? null,
    latestPublished: versions.find((v) => v.status === 'published')?.version ?? null,
    versions: versions.map((v) => toSummary(v)),
  };
}
