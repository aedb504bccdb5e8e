import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  DEFAULT_CHART_ARCHIVE_LIMITS,
  readChartFiles,
  type ChartArchiveLimits,
} from '../protocol/helm/chart-archive.js';
import { versionToTag } from '../protocol/oci/reference.js';
import { registryConnection } from '../registries/registry.connection.js';
import type { RegistryRow } from '../registries/registry.repository.js';
import { AppError, DatabaseUnavailableError, UpstreamError } from '../shared/errors.js';
import type { SecretBox } from '../shared/secret-box.js';
import { SingleFlight } from '../shared/single-flight.js';
import {
  fetchClassicArchive,
  fetchOciChart,
  fetchOciChartLayer,
  NoChartArchiveError,
  type ArchiveFetchOptions,
} from '../upstream/chart-archive-fetch.js';
import { archiveFingerprint } from '../protocol/helm/release/chart-fingerprint.js';
import type { UpstreamPolicy } from '../upstream/http-client.js';
import type { OciRetryPolicy } from '../upstream/oci-session.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import type { ChartFilesRepository, ChartFilesRow } from './chart-files.repository.js';
import type { ChartVersionRow } from './chart-version.repository.js';

/**
 * values.yaml, README.md and values.schema.json of a chart version, read from its archive on the first
 * request and cached by the archive's sha256 (SPEC §3 version detail; issue 4 item 6).
 *
 * Decisions:
 * - The archive is fetched as Helm would pull it (upstream/chart-archive-fetch.ts): classic,
 *   `GET chart_url` with the registry's credentials only on its own origin unless passCredentials
 *   (http-client enforces it on every hop), bytes as served (no Content-Encoding decoding: the digest is over the .tgz); OCI, the chart layer
 *   blob by its digest (the row's digest IS the layer's, so the manifest is only read when a row has
 *   none), through the same Basic/Bearer session as the sync.
 * - The bytes must hash to the row's digest, or nothing is served: a mirror swapping archives cannot
 *   put other values in front of a user than the ones the catalog names. A row without a (valid sha256)
 *   digest has nothing to check against: its files are read and cached under the computed digest, but
 *   every request for it fetches again, as only the download tells which digest it is.
 * - The archive is read in memory with the SPEC §2 rules (protocol/helm/chart-archive.ts); 10 MiB
 *   compressed at most, counted as the bytes arrive.
 * - Failures never fail the version detail: the metadata is answered with `files.status = unavailable`
 *   and the reason, because metadata from the catalog is still true when an upstream is down. Failures
 *   are remembered for a minute, so a page reloaded against a broken upstream does not hammer it; only
 *   successes are stored.
 * - Concurrent first requests for one archive share one fetch (an in-process promise map); across
 *   processes the worst case is one fetch each, and the insert ignores the duplicate.
 * - The fetch has its own, shorter deadline than a sync's: a user is waiting for the page.
 * - Protected registries are never contacted (the catalog refuses them before this; checked again).
 * - The same read stores the archive's content fingerprint (protocol/helm/release/chart-fingerprint.ts),
 *   which brownfield discovery compares with the charts stored in releases. A row cached before
 *   fingerprints existed has none: asking for its fingerprint reads the archive again, by the same rules.
 */
export interface ChartFilesView {
  valuesYaml: string | null;
  readme: string | null;
  valuesSchema: string | null;
  files: { status: 'available' } | { status: 'unavailable'; code: string; reason: string };
}

export interface ChartFilesServiceOptions {
  repository: ChartFilesRepository;
  secrets: SecretBox;
  policy: UpstreamPolicy;
  logger: Logger;
  limits?: ChartArchiveLimits;
  /** Deadline of one archive fetch; default 20 s (or the policy's, if shorter). */
  timeoutMs?: number;
  ociRetry?: OciRetryPolicy;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const FAILURE_MEMORY_MS = 60_000;
const MAX_REMEMBERED_FAILURES = 1_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

type Unavailable = Extract<ChartFilesView['files'], { status: 'unavailable' }>;

/** Thrown when an archive's bytes do not hash to the catalog's digest. */
class DigestMismatchError extends AppError {
  readonly status = 422;
  constructor(expected: string, actual: string) {
    super(
      'digest_mismatch',
      `The chart archive's sha256 is ${actual}, but the catalog records ${expected}: the upstream serves ` +
        'different content than it listed, so its files are not shown. A sync may pick up the change.',
    );
  }
}

export class ChartFilesService {
  private readonly inFlight = new SingleFlight<ChartFilesRow>();
  private readonly failures = new Map<string, { until: number; files: Unavailable }>();
  private readonly limits: ChartArchiveLimits;
  private readonly policy: UpstreamPolicy;

  constructor(private readonly o: ChartFilesServiceOptions) {
    this.limits = o.limits ?? DEFAULT_CHART_ARCHIVE_LIMITS;
    const timeoutMs = Math.min(o.policy.timeoutMs, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.policy = { ...o.policy, timeoutMs };
  }

  /** The files of one catalog version; never rejects for upstream or archive trouble (see above). */
  async filesFor(registry: RegistryRow, row: ChartVersionRow): Promise<ChartFilesView> {
    const loaded = await this.load(registry, row, false);
    return 'status' in loaded ? unavailable(loaded) : available(loaded);
  }

  /**
   * The content fingerprint of one catalog version's archive, read (and stored) when the cache has none;
   * null when the archive is not available (the reason is logged and remembered as for filesFor).
   */
  async fingerprintFor(registry: RegistryRow, row: ChartVersionRow): Promise<string | null> {
    const loaded = await this.load(registry, row, true);
    return 'status' in loaded ? null : loaded.fingerprint;
  }

  /** The cached row (one with a fingerprint, when `needFingerprint`), else a fetch, else why not. */
  private async load(
    registry: RegistryRow,
    row: ChartVersionRow,
    needFingerprint: boolean,
  ): Promise<ChartFilesRow | Unavailable> {
    const digest = normalizeDigest(row.digest);
    if (digest !== null) {
      const cached = await this.o.repository.find(digest);
      if (cached && (!needFingerprint || cached.fingerprint !== null)) return cached;
    }
    const key = digest ?? `url:${registry.id}:${row.chart_url ?? ''}:${row.version}`;
    const remembered = this.failures.get(key);
    if (remembered && remembered.until > Date.now()) return remembered.files;
    try {
      return await this.inFlight.run(key, () => this.fetchAndStore(registry, row, digest));
    } catch (error) {
      // The database away is the request's failure (503, retry), not a fact about the chart to remember.
      if (error instanceof DatabaseUnavailableError) throw error;
      const files = this.describeFailure(error, registry, row);
      this.rememberFailure(key, files);
      return files;
    }
  }

  private async fetchAndStore(
    registry: RegistryRow,
    row: ChartVersionRow,
    digest: string | null,
  ): Promise<ChartFilesRow> {
    if (registry.protected === 1) {
      throw new NoChartArchiveError('The registry is protected: Charthouse never contacts it.');
    }
    if (row.chart_url === null)
      throw new NoChartArchiveError('The catalog has no archive URL for this version.');
    const connection = registryConnection(registry, this.o.secrets);
    const tgz =
      registry.kind === 'oci'
        ? await this.fetchOci(connection, row.chart_url, row.version, digest)
        : await this.fetchClassic(connection, row.chart_url);
    const actual = createHash('sha256').update(tgz).digest('hex');
    if (digest !== null && actual !== digest) throw new DigestMismatchError(digest, actual);
    const files = await readChartFiles(tgz, this.limits);
    const stored: ChartFilesRow = {
      digest: actual,
      values_yaml: files.valuesYaml,
      readme: files.readme,
      values_schema: files.valuesSchema,
      created_at: new Date().toISOString(),
      fingerprint: archiveFingerprint(files),
    };
    await this.o.repository.save(stored);
    return stored;
  }

  private fetchClassic(connection: UpstreamConnection, chartUrl: string): Promise<Buffer> {
    let url: URL;
    try {
      url = new URL(chartUrl);
    } catch {
      throw new NoChartArchiveError('The catalog holds an archive URL that is not a URL.');
    }
    return fetchClassicArchive(connection, url, this.fetchOptions());
  }

  /**
   * The chart layer blob. `chart_url` is `oci://host[:port]/<repository>` as the sync wrote it; its host
   * must be the registry's own, so a catalog row can never steer credentials elsewhere.
   */
  private async fetchOci(
    connection: UpstreamConnection,
    chartUrl: string,
    version: string,
    digest: string | null,
  ): Promise<Buffer> {
    const prefix = `oci://${connection.endpoint.baseUrl.host}/`;
    if (!chartUrl.startsWith(prefix) || chartUrl.length === prefix.length) {
      throw new NoChartArchiveError("The catalog's OCI reference does not point at this registry.");
    }
    const repository = chartUrl.slice(prefix.length);
    // The row's digest IS the chart layer's, so the manifest is only read when a row has none.
    if (digest !== null) {
      return fetchOciChartLayer(connection, repository, `sha256:${digest}`, this.fetchOptions());
    }
    return (await fetchOciChart(connection, repository, versionToTag(version), this.fetchOptions())).archive;
  }

  private fetchOptions(): ArchiveFetchOptions {
    return {
      policy: this.policy,
      maxBytes: this.limits.maxCompressedBytes,
      ...(this.o.ociRetry ? { ociRetry: this.o.ociRetry } : {}),
    };
  }

  private describeFailure(error: unknown, registry: RegistryRow, row: ChartVersionRow): Unavailable {
    if (error instanceof AppError) {
      if (error instanceof UpstreamError || error instanceof DigestMismatchError) {
        this.o.logger.warn(
          { registry: registry.id, chart: row.chart_name, version: row.version, code: error.code },
          'chart archive not available',
        );
      }
      return { status: 'unavailable', code: error.code, reason: error.message };
    }
    this.o.logger.error(
      { err: error, registry: registry.id, chart: row.chart_name, version: row.version },
      'reading a chart archive failed unexpectedly',
    );
    return {
      status: 'unavailable',
      code: 'internal_error',
      reason: "The chart's files could not be read; the server log has the details.",
    };
  }

  private rememberFailure(key: string, files: Unavailable): void {
    // Bounded: the oldest entry goes first (a Map iterates in insertion order).
    if (this.failures.size >= MAX_REMEMBERED_FAILURES) {
      const oldest = this.failures.keys().next();
      if (!oldest.done) this.failures.delete(oldest.value);
    }
    this.failures.delete(key);
    this.failures.set(key, { until: Date.now() + FAILURE_MEMORY_MS, files });
  }
}

/** The row's digest as 64 lowercase hex (a `sha256:` prefix allowed), or null when it is not one. */
function normalizeDigest(digest: string | null): string | null {
  if (digest === null) return null;
  const hex = digest
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  return SHA256_HEX.test(hex) ? hex : null;
}

function available(row: ChartFilesRow): ChartFilesView {
  return {
    valuesYaml: row.values_yaml,
    readme: row.readme,
    valuesSchema: row.values_schema,
    files: { status: 'available' },
  };
}

function unavailable(files: Unavailable): ChartFilesView {
  return { valuesYaml: null, readme: null, valuesSchema: null, files };
}
