import type {
  CatalogRegistryRow,
  RegistryRepository,
  RegistryRow,
} from '../registries/registry.repository.js';
import type { RegistryService } from '../registries/registry.service.js';
import { SYSTEM_SCOPE_KEY, type RequestContext } from '../shared/context.js';
import { AppError, InvalidRequestError, NotFoundError } from '../shared/errors.js';
import {
  buildRegistryCatalog,
  CatalogCache,
  searchCatalogs,
  type RegistryCatalog,
  type SearchPosition,
} from './catalog.index.js';
import { isPrereleaseKey, latestVersion } from '../protocol/helm/latest-version.js';
import type { CatalogRepository } from './catalog.repository.js';
import type {
  ChartDetail,
  ChartSearchQuery,
  ChartSearchResult,
  ChartSummary,
  ChartVersionDetail,
  ChartVersionItem,
} from './catalog.schema.js';
import type { ChartFilesService } from './chart-files.js';
import type { ChartVersionRow } from './chart-version.repository.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

/** 404: protected registries are never contacted, so Charthouse holds no catalog for them. */
export class ProtectedCatalogError extends AppError {
  readonly status = 404;
  constructor(name: string) {
    super(
      'registry_protected',
      `"${name}" is protected: Charthouse never contacts it, so it has no chart catalog. Charts of protected registries are typed by hand.`,
    );
  }
}

/**
 * The chart catalog as a caller sees it (SPEC §3): search over every registry visible to the caller's
 * scope, and chart and version detail by registry name.
 */
export class CatalogService {
  constructor(
    private readonly registries: RegistryService,
    private readonly registryRows: RegistryRepository,
    private readonly catalog: CatalogRepository,
    /** Reads values.yaml, README.md and values.schema.json from archives; without it they are left out. */
    private readonly chartFiles?: ChartFilesService,
  ) {}

  private readonly cache = new CatalogCache();

  /**
   * `registry` names one visible registry; an unknown name is a 404 like every other unknown registry,
   * so a typo is reported rather than answered with a silently empty list.
   */
  async search(ctx: RequestContext, query: ChartSearchQuery): Promise<ChartSearchResult> {
    const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidRequestError(`limit must be between 1 and ${MAX_LIMIT}.`, [
        { field: 'limit', message: 'out of range' },
      ]);
    }
    const after = query.cursor === undefined ? undefined : decodeSearchCursor(query.cursor);
    const rows =
      query.registry === undefined
        ? await this.registries.visibleForCatalog(ctx.scope.kind === 'tenant' ? ctx.scope.tenantId : null)
        : [await this.registries.findVisible(ctx.scope, query.registry)];
    // Protected registries are never synced: they have no catalog to search.
    const devel = query.devel === 'true';
    const catalogs = await Promise.all(
      rows.filter((r) => r.protected !== 1).map((r) => this.catalogOf(r, devel)),
    );
    const hits = searchCatalogs(catalogs, query.q ?? '', limit + 1, after, {
      deprecated: query.deprecated !== 'false',
    });
    const page = hits.slice(0, limit);
    const last = page[page.length - 1];
    const result: ChartSearchResult = { items: page.map((h) => h.summary) };
    if (hits.length > limit && last) result.nextCursor = encodeSearchCursor(last.position);
    return result;
  }

  /**
   * A registry's searchable catalog, from the cache while its stamp holds. Every catalog commit sets
   * `last_synced_at` (and the counts) in the same transaction, so the stamp moves with the catalog; the
   * name and kind are in it because the summaries show them.
   */
  private catalogOf(r: CatalogRegistryRow, devel: boolean): Promise<RegistryCatalog> {
    const stamp = [r.last_synced_at, r.version_count, r.chart_count, r.name, r.kind].join('|');
    // The two views of one registry are cached apart: most callers never ask for pre-releases.
    return this.cache.get(devel ? `${r.id}|devel` : r.id, stamp, async () =>
      buildRegistryCatalog(
        r.id,
        registryRef(r.name, r.scope, r.kind),
        await this.catalog.latest(r.id, { devel }),
      ),
    );
  }

  async chart(
    ctx: RequestContext,
    registryName: string,
    chartName: string,
    options: { devel: boolean } = { devel: false },
  ): Promise<ChartDetail> {
    const registry = await this.catalogRegistry(ctx, registryName);
    const rows = await this.catalog.chart(registry.id, chartName);
    // The same choice as the search's SQL (catalog.repository.ts `latest`), so both show one version.
    const latest = latestVersion(
      rows.map((row) => ({ row, version: row.version, sortKey: row.sort_key })),
      options,
    )?.row;
    if (!latest) throw new NotFoundError('Chart', `${registryName}/${chartName}`);
    return {
      registry: registryRef(registry.name, registry.scope, registry.kind),
      name: latest.chart_name,
      latestVersion: latest.version,
      prerelease: isPrereleaseKey(latest.sort_key),
      appVersion: latest.app_version,
      description: latest.description,
      icon: latest.icon,
      deprecated: latest.deprecated === 1,
      keywords: json<string[]>(latest.keywords),
      versionCount: rows.length,
      versions: rows.map(toVersionItem),
    };
  }

  async version(
    ctx: RequestContext,
    registryName: string,
    chartName: string,
    version: string,
  ): Promise<ChartVersionDetail> {
    const registry = await this.catalogRegistry(ctx, registryName);
    const row = await this.catalog.version(registry.id, chartName, version);
    if (!row) throw new NotFoundError('Chart version', `${registryName}/${chartName} ${version}`);
    const detail = toVersionDetail(row, registry);
    // Never rejects for upstream or archive trouble: the metadata is answered with the reason instead.
    return this.chartFiles ? { ...detail, ...(await this.chartFiles.filesFor(registry, row)) } : detail;
  }

  /**
   * The icon URL (Chart.yaml `icon`) of a chart's newest version as `chart` picks it, or of `version`;
   * null when it names none. Protected registries are a 404 here like everywhere in the catalog.
   */
  async iconUrl(
    ctx: RequestContext,
    registryName: string,
    chartName: string,
    version?: string,
  ): Promise<string | null> {
    if (version === undefined) return (await this.chart(ctx, registryName, chartName)).icon;
    const registry = await this.catalogRegistry(ctx, registryName);
    const row = await this.catalog.version(registry.id, chartName, version);
    if (!row) throw new NotFoundError('Chart version', `${registryName}/${chartName} ${version}`);
    return row.icon;
  }

  private async catalogRegistry(ctx: RequestContext, name: string): Promise<RegistryRow> {
    const registry = await this.registries.findVisible(ctx.scope, name);
    if (registry.protected === 1) throw new ProtectedCatalogError(name);
    return registry;
  }
}

const registryRef = (name: string, scope: string, kind: RegistryRow['kind']): ChartSummary['registry'] => ({
  name,
  scope: scope === SYSTEM_SCOPE_KEY ? 'system' : 'tenant',
  kind,
});

/** JSON columns are written by the sync engine from validated records: parse, never re-validate. */
const json = <T>(text: string): T => JSON.parse(text) as T;

function toVersionItem(row: ChartVersionRow): ChartVersionItem {
  return {
    version: row.version,
    prerelease: isPrereleaseKey(row.sort_key),
    appVersion: row.app_version,
    created: row.created,
    digest: row.digest,
    deprecated: row.deprecated === 1,
  };
}

function toVersionDetail(row: ChartVersionRow, registry: RegistryRow): ChartVersionDetail {
  return {
    registry: registryRef(registry.name, registry.scope, registry.kind),
    name: row.chart_name,
    version: row.version,
    appVersion: row.app_version,
    apiVersion: row.api_version,
    type: row.type,
    description: row.description,
    icon: row.icon,
    home: row.home,
    sources: json(row.sources),
    keywords: json(row.keywords),
    maintainers: json(row.maintainers),
    kubeVersion: row.kube_version,
    deprecated: row.deprecated === 1,
    created: row.created,
    digest: row.digest,
    urls: json(row.urls),
    chartUrl: row.chart_url,
    dependencies: json(row.dependencies),
    annotations: json(row.annotations),
    republished: row.republished === 1,
    firstSeenAt: row.first_seen_at,
    updatedAt: row.updated_at,
  };
}

/** Cursors are opaque to clients: base64url of the last chart's position. */
function encodeSearchCursor(p: SearchPosition): string {
  return Buffer.from(JSON.stringify([p.chart, p.registryName, p.registryId]), 'utf8').toString('base64url');
}

function decodeSearchCursor(cursor: string): SearchPosition {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) {
      const [chart, registryName, registryId] = v as [string, string, string];
      return { chart, registryName, registryId };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError('cursor is not one this server handed out: start again without it.', [
    { field: 'cursor', message: 'invalid' },
  ]);
}
