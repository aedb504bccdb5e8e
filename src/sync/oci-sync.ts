import { toCatalogRow } from '../catalog/catalog-row.js';
import type { NewChartVersion } from '../catalog/chart-version.repository.js';
import {
  chartVersionContentHash,
  MAX_SYNC_WARNINGS,
  normalizeIndex,
  type SyncWarning,
} from '../protocol/helm/chart-version.js';
import type { HelmIndexDocument } from '../protocol/helm/index-document.js';
import { versionSortKey } from '../protocol/helm/semver-sort.js';
import { isValidOciRepositoryPath } from '../protocol/registry-endpoint.js';
import { InvalidRequestError, UpstreamError } from '../shared/errors.js';
import type { UpstreamPolicy } from '../upstream/http-client.js';
import { classifyManifest } from '../protocol/oci/chart-manifest.js';
import { tagToVersion } from '../protocol/oci/reference.js';
import { OciSession, type OciRetryPolicy } from '../upstream/oci-session.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';

/*
 * Synchronizing an OCI registry (research/protocols.md b.2–b.6): repositories from the catalog or the
 * registry's ociRepositories, their tags, and for each tag that reads as a chart version, the chart's
 * metadata from its Helm config blob. The engine diffs and commits the rows exactly as for a classic
 * repository.
 *
 * Decisions:
 * - Only Helm >= 3.7 artifacts are charts (protocol/oci/chart-manifest.ts): an OCI image manifest whose config is
 *   `application/vnd.cncf.helm.config.v1+json` with a `...chart.content.v1.tar+gzip` layer. Anything else
 *   (images, signatures, image indexes, Docker schema 2, Helm < 3.7's `application/tar+gzip` layer) is
 *   skipped with a warning naming repository:tag, never failing the sync.
 * - Tags that are not a strict SemVer version once `_` is read as `+` are what `helm pull --version`
 *   can never resolve (`latest`, cosign's `sha256-….sig`): skipped with a warning, no manifest fetched.
 * - Rows look like classic ones: metadata from the config (Chart.yaml as JSON) normalized by the same
 *   code as an index entry, `digest` = the chart layer's sha256 hex (the .tgz's), `urls` = [] and
 *   `chartUrl` = `oci://host[:port]/<repository>`, the reference `helm pull ... --version <version>` takes;
 *   `created` from the manifest's `org.opencontainers.image.created`.
 * - A manifest is fetched only when its digest is new: each tag is HEADed (one small request) and the
 *   answer compared with the manifest digest recorded on the stored row, in its annotations under
 *   MANIFEST_DIGEST_ANNOTATION (no schema change; the key is ours, so a chart's own value is replaced).
 *   An equal digest reuses the stored row as is, so the diff sees it unchanged and nothing is written.
 *   Tags skipped as not-a-chart are remembered the same way (manifest digest and reason), in the
 *   registry's `oci_skipped_tags` column (see encodeSkippedTags): without
 *   it every signature or image under a version-like tag would cost a manifest fetch on every sync.
 *   Manifests are content-addressed, so an equal digest means an equal verdict.
 * - ociRepositories, when given, are what is synced (the user chose them); otherwise the catalog. A
 *   listing cut short by the page limits fails the sync rather than removing what was not seen.
 */

export const MANIFEST_DIGEST_ANNOTATION = 'charthouse.io/manifest-digest';
// Moved to protocol/oci/reference.ts; re-exported for existing importers.
export { tagToVersion, versionToTag } from '../protocol/oci/reference.js';

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Helm configs are a few hundred bytes; a large one is not a chart's. */
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_LISTING_BYTES = 16 * 1024 * 1024;
const MAX_CATALOG_PAGES = 100;
const MAX_TAG_PAGES = 100;
/** Tags looked at concurrently within one repository: quick, yet polite to the registry. */
const TAG_CONCURRENCY = 4;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `oci://host[:port]/<repository>`: what `helm pull <ref> --version <version>` takes. */
export function ociChartReference(baseUrl: URL, repository: string): string {
  return `oci://${baseUrl.host}/${repository}`;
}

/** Tags found not to be charts: `repository:tag` → the manifest digest and why it was skipped. */
export type SkippedTags = Map<string, { digest: string; reason: string }>;

const SKIPPED_FORMAT = 'charthouse-oci-skipped/1';
/** Beyond this many the rest are simply fetched again next time. */
const MAX_REMEMBERED_SKIPS = 10_000;

/** The skipped tags as stored in `oci_skipped_tags`; null when there are none. */
export function encodeSkippedTags(skipped: SkippedTags): string | null {
  if (skipped.size === 0) return null;
  const entries = [...skipped].slice(0, MAX_REMEMBERED_SKIPS).map(([key, v]) => [key, v.digest, v.reason]);
  return JSON.stringify({ format: SKIPPED_FORMAT, entries });
}

/** What encodeSkippedTags wrote; anything else (a classic ETag, garbage) is an empty map. */
export function decodeSkippedTags(text: string | null | undefined): SkippedTags {
  const skipped: SkippedTags = new Map();
  if (text === null || text === undefined || !text.startsWith('{')) return skipped;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isRecord(parsed) || parsed['format'] !== SKIPPED_FORMAT || !Array.isArray(parsed['entries'])) {
      return skipped;
    }
    for (const entry of parsed['entries'] as unknown[]) {
      if (!Array.isArray(entry)) continue;
      const [key, digest, reason] = entry as unknown[];
      if (typeof key === 'string' && typeof digest === 'string' && typeof reason === 'string') {
        skipped.set(key, { digest, reason });
      }
    }
  } catch {
    // not ours
  }
  return skipped;
}

/** A stored row of this registry, as the sync would write it again, by chart reference and version. */
export type StoredOciRows = Map<string, NewChartVersion>;

const storedKey = (chartUrl: string, version: string): string => `${chartUrl}\u0000${version}`;

/**
 * The registry's stored rows (ChartVersionRepository.entries) keyed by (chartUrl, version), for reusing
 * unchanged ones.
 */
export function storedOciRows(entries: Iterable<NewChartVersion>): StoredOciRows {
  const stored: StoredOciRows = new Map();
  for (const version of entries) {
    if (version.chart_url !== null) stored.set(storedKey(version.chart_url, version.version), version);
  }
  return stored;
}

function manifestDigestOf(row: NewChartVersion): string | undefined {
  try {
    const annotations: unknown = JSON.parse(row.annotations);
    const value = isRecord(annotations) ? annotations[MANIFEST_DIGEST_ANNOTATION] : undefined;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface OciSyncResult {
  rows: NewChartVersion[];
  warnings: SyncWarning[];
  /** `repository:tag` → manifest digest, for every chart tag seen. */
  tagDigests: Map<string, string>;
  /** Manifests fetched (new or changed digests); an unchanged registry fetches none. */
  manifestsFetched: number;
  /** Tags that are not charts, for the next sync (encodeSkippedTags). */
  skipped: SkippedTags;
}

class Warnings {
  readonly list: SyncWarning[] = [];
  private dropped = 0;
  add(warning: SyncWarning): void {
    if (this.list.length < MAX_SYNC_WARNINGS) this.list.push(warning);
    else this.dropped += 1;
  }
  finish(): SyncWarning[] {
    if (this.dropped > 0) this.list.push({ message: `${this.dropped} more warnings were left out.` });
    return this.list;
  }
}

function fullRepositoryName(prefix: string, repository: string): string {
  const name = repository.replace(/^\/+|\/+$/g, '');
  if (!isValidOciRepositoryPath(name)) {
    const message = `"${repository}" is not a valid OCI repository name.`;
    throw new InvalidRequestError(message, [{ field: 'ociRepositories', message }]);
  }
  if (prefix === '' || name === prefix || name.startsWith(`${prefix}/`)) return name;
  return `${prefix}/${name}`;
}

/** A chart version read from its config, before normalization. */
interface ChartEntry {
  repository: string;
  chartUrl: string;
  tag: string;
  manifestDigest: string;
  entry: Record<string, unknown>;
}

/** Reads every chart version of an OCI registry; never writes. */
export async function readOciRegistry(
  source: UpstreamConnection,
  stored: StoredOciRows,
  skippedBefore: SkippedTags,
  policy: UpstreamPolicy,
  retry?: OciRetryPolicy,
): Promise<OciSyncResult> {
  const session = new OciSession(source, policy, retry);
  const prefix = source.endpoint.ociPathPrefix;
  const warnings = new Warnings();
  let repositories: string[];
  if (source.ociRepositories.length > 0) {
    repositories = source.ociRepositories.map((r) => fullRepositoryName(prefix, r));
  } else {
    const listing = await session.listCatalog(prefix, MAX_LISTING_BYTES, MAX_CATALOG_PAGES, 1000);
    if (!listing.complete) {
      throw new UpstreamError(
        'too_large',
        `The registry's catalog has more than ${MAX_CATALOG_PAGES} pages: list the chart repositories in ociRepositories.`,
      );
    }
    repositories = listing.items;
  }

  const reused: NewChartVersion[] = [];
  const fresh: ChartEntry[] = [];
  const tagDigests = new Map<string, string>();
  const skipped: SkippedTags = new Map();
  let manifestsFetched = 0;

  for (const repository of [...new Set(repositories)]) {
    const tags = await session.listTags(repository, MAX_LISTING_BYTES, MAX_TAG_PAGES);
    if (!tags.complete) {
      throw new UpstreamError(
        'too_large',
        `The repository "${repository}" has more than ${MAX_TAG_PAGES} pages of tags; it was not synced.`,
      );
    }
    const chartUrl = ociChartReference(source.endpoint.baseUrl, repository);
    const work: { tag: string; version: string }[] = [];
    for (const tag of tags.items) {
      const version = tagToVersion(tag);
      if (version === null) {
        warnings.add({
          message: `${repository}:${tag} was skipped: the tag is not a SemVer chart version, so helm cannot install it by version.`,
        });
      } else {
        work.push({ tag, version });
      }
    }

    const handleTag = async ({ tag, version }: { tag: string; version: string }): Promise<void> => {
      const ref = `${repository}:${tag}`;
      const skip = (digest: string, reason: string): void => {
        warnings.add({ message: `${ref} was skipped: ${reason}.` });
        skipped.set(ref, { digest, reason });
      };
      const previous = stored.get(storedKey(chartUrl, version));
      const previousDigest = previous === undefined ? undefined : manifestDigestOf(previous);
      const previousSkip = skippedBefore.get(ref);
      if (previousDigest !== undefined || previousSkip !== undefined) {
        const head = await session.headManifest(repository, tag);
        if (head === null) return; // deleted since the listing: it is gone
        if (previous !== undefined && head.digest === previousDigest) {
          tagDigests.set(ref, head.digest);
          reused.push(previous);
          return;
        }
        if (previousSkip !== undefined && head.digest === previousSkip.digest) {
          skip(head.digest, previousSkip.reason);
          return;
        }
      }
      const manifest = await session.getManifest(repository, tag, MAX_MANIFEST_BYTES);
      manifestsFetched += 1;
      if (manifest === null) return;
      const found = classifyManifest(manifest.bytes, manifest.mediaType);
      if (found.kind === 'skip') {
        skip(manifest.digest, found.reason);
        return;
      }
      if (found.configSize > MAX_CONFIG_BYTES) {
        skip(
          manifest.digest,
          `its Helm config is ${found.configSize} bytes, more than a chart's metadata can be`,
        );
        return;
      }
      const blob = await session.getBlob(repository, found.configDigest, MAX_CONFIG_BYTES);
      let config: unknown;
      try {
        config = JSON.parse(blob.toString('utf8'));
      } catch {
        config = undefined;
      }
      if (!isRecord(config)) {
        skip(manifest.digest, 'its Helm config is not a JSON object');
        return;
      }
      if (config['version'] !== version) {
        skip(
          manifest.digest,
          `its chart says version ${JSON.stringify(config['version'])}, not ${JSON.stringify(version)}, ` +
            'so helm would refuse it',
        );
        return;
      }
      tagDigests.set(ref, manifest.digest);
      const chartAnnotations = isRecord(config['annotations']) ? config['annotations'] : {};
      fresh.push({
        repository,
        chartUrl,
        tag,
        manifestDigest: manifest.digest,
        entry: {
          ...config,
          digest: found.chartDigest,
          created: found.created,
          urls: [chartUrl],
          annotations: { ...chartAnnotations, [MANIFEST_DIGEST_ANNOTATION]: manifest.digest },
        },
      });
    };

    // A small pool: tags are independent, and a registry answers a few requests at a time happily.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length) {
        const item = work[next++];
        if (item !== undefined) await handleTag(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(TAG_CONCURRENCY, work.length) }, worker));
  }

  const rows = [...reused, ...normalizeEntries(fresh, warnings)];
  // The same chart version from two repositories (or reused and fresh): the first one wins, as in an index.
  const seen = new Set<string>();
  const unique: NewChartVersion[] = [];
  for (const row of rows) {
    const key = `${row.chart_name}\u0000${row.version}`;
    if (seen.has(key)) {
      warnings.add({
        chart: row.chart_name,
        version: row.version,
        message: `${row.chart_name} ${row.version} is in more than one repository; ${row.chart_url ?? ''} was ignored.`,
      });
      continue;
    }
    seen.add(key);
    unique.push(row);
  }
  return { rows: unique, warnings: warnings.finish(), tagDigests, manifestsFetched, skipped };
}

/**
 * Config metadata through the classic index normalizer, so OCI rows are checked, trimmed and hashed by
 * the same rules; then `urls` emptied (an OCI chart has no download URL, only its reference).
 */
function normalizeEntries(entries: ChartEntry[], warnings: Warnings): NewChartVersion[] {
  const rows: NewChartVersion[] = [];
  for (const item of entries) {
    const name = item.entry['name'];
    if (typeof name !== 'string' || name === '') {
      warnings.add({
        message: `${item.repository}:${item.tag} was skipped: its Helm config has no chart name.`,
      });
      continue;
    }
    const doc: HelmIndexDocument = {
      apiVersion: 'v1',
      entries: new Map([[name, [item.entry]]]),
      chartCount: 1,
      versionCount: 1,
      warnings: [],
    };
    const normalized = normalizeIndex(doc, new URL(item.chartUrl));
    for (const warning of normalized.warnings) warnings.add(warning);
    for (const record of normalized.versions) {
      const { sortKey: _sortKey, contentHash: _hash, ...body } = record;
      body.urls = [];
      const sortKey = versionSortKey(body.version);
      if (sortKey === null) continue; // normalizeIndex only keeps versions with a sort key
      rows.push(toCatalogRow({ ...body, sortKey, contentHash: chartVersionContentHash(body) }));
    }
  }
  return rows;
}
