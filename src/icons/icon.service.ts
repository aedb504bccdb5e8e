import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { RequestContext } from '../shared/context.js';
import { AppError, DatabaseUnavailableError, NotFoundError } from '../shared/errors.js';
import { SingleFlight } from '../shared/single-flight.js';
import { IconContentError, type IconMediaType } from './icon-content.js';
import type { IconFetcher } from './icon-fetcher.js';
import type { ChartIconRow, IconRepository } from './icon.repository.js';

/** An icon ready to send: its bytes, sniffed type and sha256 (hex), which is also its ETag. */
export interface ServedIcon {
  bytes: Buffer;
  mediaType: IconMediaType;
  digest: string;
}

/** 404: the chart names no icon. */
export class NoChartIconError extends AppError {
  readonly status = 404;
  constructor(what: string) {
    super('chart_icon_not_found', `${what} names no icon (Chart.yaml has no icon field).`);
  }
}

/** 422: the chart names an icon that could not be fetched or is not one; the reason is the chart author's to fix. */
export class IconUnavailableError extends AppError {
  readonly status = 422;
}

export interface IconServiceOptions {
  catalog: CatalogService;
  repository: IconRepository;
  fetcher: IconFetcher;
  logger: Logger;
  /** How long a fetched icon is served before it is fetched again; default a day. */
  freshMs?: number;
  /** How long a failure is remembered (and a stale icon kept after a failed refresh); default 10 minutes. */
  failureMs?: number;
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_FAILURE_MS = 10 * 60 * 1000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Chart icons, fetched by the server and served from its own origin, so the console's CSP stays
 * `img-src 'self'` and a browser never talks to a host a chart author chose.
 *
 * Decisions:
 * - Which URL: the one the catalog holds for the chart's newest version (or the version asked for),
 *   read through CatalogService, so the tenant rules are the catalog's (another tenant's chart, or a
 *   registry the tenant cannot see, is a 404; a protected registry has no catalog and is a 404 before
 *   anything is fetched). Registry credentials are never involved: the icon's host is not the registry.
 * - One cache row per icon URL (its sha256), shared by every tenant: an icon is public content and the
 *   row holds exactly what that URL served, so a tenant's chart naming a URL cannot change what
 *   another tenant's chart naming a different URL shows. Fetched icons are kept a day; failures are
 *   remembered for ten minutes, so a broken URL is not fetched again on every page view; a failed
 *   refresh keeps serving the icon it had (stale beats broken).
 * - Concurrent requests for one URL share one fetch in a process; across processes the worst case is
 *   one fetch each, and the last write wins with equivalent content.
 * - `byContent` serves stored icons by their sha256 without a tenant: 256 bits nobody can guess, handed
 *   out only with a chart the caller may see, so the URL is a capability (Artifact Hub serves logos by
 *   image id the same way). It never fetches anything.
 */
export class IconService {
  private readonly inFlight = new SingleFlight<ServedIcon>();
  private readonly freshMs: number;
  private readonly failureMs: number;
  private readonly now: () => number;

  constructor(private readonly o: IconServiceOptions) {
    this.freshMs = o.freshMs ?? DAY_MS;
    this.failureMs = o.failureMs ?? DEFAULT_FAILURE_MS;
    this.now = o.now ?? Date.now;
  }

  /** The icon of a chart the caller sees: from the cache, or fetched now. */
  async chartIcon(
    ctx: RequestContext,
    registryName: string,
    chartName: string,
    version?: string,
  ): Promise<ServedIcon> {
    const url = await this.o.catalog.iconUrl(ctx, registryName, chartName, version);
    const what = `Chart "${registryName}/${chartName}"${version === undefined ? '' : ` ${version}`}`;
    if (url === null || url.trim() === '') throw new NoChartIconError(what);
    return this.load(url.trim());
  }

  /** A stored icon by the sha256 of its bytes; never fetches. */
  async byContent(digest: string): Promise<ServedIcon> {
    const row = SHA256_HEX.test(digest) ? await this.o.repository.findContent(digest) : undefined;
    const icon = row && servedFrom(row);
    if (!icon) throw new NotFoundError('Icon', digest);
    return icon;
  }

  private async load(url: string): Promise<ServedIcon> {
    const key = createHash('sha256').update(url).digest('hex');
    const row = await this.o.repository.find(key);
    if (row && row.url === url && Date.parse(row.expires_at) > this.now()) {
      const icon = servedFrom(row);
      if (icon) return icon;
      throw new IconUnavailableError(row.error_code ?? 'icon_unavailable', row.error_message ?? '');
    }
    return this.inFlight.run(key, () => this.fetchAndStore(url, key, row));
  }

  private async fetchAndStore(url: string, key: string, previous?: ChartIconRow): Promise<ServedIcon> {
    const fetchedAt = new Date(this.now());
    try {
      const { bytes, mediaType } = await this.o.fetcher.fetch(url);
      const digest = createHash('sha256').update(bytes).digest('hex');
      await this.o.repository.save({
        url_digest: key,
        url,
        content_digest: digest,
        media_type: mediaType,
        content: bytes,
        error_code: null,
        error_message: null,
        fetched_at: fetchedAt.toISOString(),
        expires_at: new Date(fetchedAt.getTime() + this.freshMs).toISOString(),
      });
      return { bytes, mediaType, digest };
    } catch (error) {
      // The database away is this request's failure (503), not a fact about the icon to remember.
      if (error instanceof DatabaseUnavailableError) throw error;
      const failure = this.describe(error, url);
      const until = new Date(fetchedAt.getTime() + this.failureMs).toISOString();
      const stale = previous && previous.url === url ? servedFrom(previous) : undefined;
      if (stale) {
        await this.o.repository.extend(key, until);
        return stale;
      }
      await this.o.repository.save({
        url_digest: key,
        url,
        content_digest: null,
        media_type: null,
        content: null,
        error_code: failure.code,
        error_message: failure.message,
        fetched_at: fetchedAt.toISOString(),
        expires_at: until,
      });
      throw failure;
    }
  }

  private describe(error: unknown, url: string): IconUnavailableError {
    // The URL may carry a token in its query, and a data: URI is the content itself: log the host only.
    const host = URL.canParse(url) && /^https?:/i.test(url) ? new URL(url).host : url.slice(0, 5);
    if (error instanceof IconContentError || error instanceof AppError) {
      this.o.logger.info({ host, code: error.code }, 'chart icon refused');
      return new IconUnavailableError(error.code, `The chart's icon is not shown: ${error.message}`);
    }
    this.o.logger.error({ err: error, host }, 'fetching a chart icon failed unexpectedly');
    return new IconUnavailableError(
      'icon_unavailable',
      "The chart's icon could not be fetched; the server log has the details.",
    );
  }
}

function servedFrom(row: ChartIconRow): ServedIcon | undefined {
  if (row.content === null || row.content_digest === null || row.media_type === null) return undefined;
  return { bytes: row.content, mediaType: row.media_type as IconMediaType, digest: row.content_digest };
}
