import { classifyManifest } from '../protocol/oci/chart-manifest.js';
import { AppError } from '../shared/errors.js';
import { failForStatus, openUpstream, type UpstreamPolicy } from './http-client.js';
import { OciSession, type OciRetryPolicy } from './oci-session.js';
import type { UpstreamConnection } from './upstream-connection.js';

/**
 * A chart archive (and its provenance file) fetched from an upstream registry as Helm would pull it.
 * Used by the catalog's chart files on the server and by the agent for protected registries.
 *
 * - Classic: `GET <archive URL>` with the connection's credentials only on the registry's own origin
 *   unless passCredentials (http-client enforces it on every hop, redirects included); bytes as served,
 *   never Content-Encoding-decoded, as the digest is over the .tgz.
 * - OCI: the chart layer blob by its digest, through the same Basic/Bearer session as the sync; the
 *   manifest is read only when the layer's digest is not known yet, or when the provenance layer
 *   (`application/vnd.cncf.helm.chart.provenance.v1.prov`, what `helm push` adds beside a .prov) is asked for.
 * - Sizes are counted as bytes arrive; the blob's bytes are checked against the digest fetched by.
 */
export interface ArchiveFetchOptions {
  policy: UpstreamPolicy;
  /** The largest archive accepted (compressed). */
  maxBytes: number;
  ociRetry?: OciRetryPolicy;
}

/** 422 `no_chart_archive`: the registry has no archive where one was expected (gone tag, not a chart, no URL). */
export class NoChartArchiveError extends AppError {
  readonly status = 422;
  constructor(message: string) {
    super('no_chart_archive', message);
  }
}

/** distribution refuses manifests over 4 MiB. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** A .prov is a clearsigned Chart.yaml and a digest: a few KiB. */
export const MAX_PROVENANCE_BYTES = 1024 * 1024;

const ARCHIVE_ACCEPT = 'application/gzip, application/octet-stream, */*';

/** `GET` a classic archive URL; any status but 200 is the UpstreamError failForStatus names. */
export async function fetchClassicArchive(
  connection: UpstreamConnection,
  url: URL,
  options: ArchiveFetchOptions,
): Promise<Buffer> {
  const found = await fetchClassicFile(connection, url, options.policy, options.maxBytes, {
    what: 'the chart archive',
    missingIsNull: false,
  });
  // Unreachable: without missingIsNull a 404 throws like any other status.
  if (found === null) failForStatus(404, url, 'the chart archive');
  return found;
}

/**
 * A classic archive's `.prov`, at `<archive URL>.prov` as `helm pull --verify` looks for it; null when
 * the registry answers 404 (the chart is not signed). Other failures throw. `.prov` goes on the path:
 * helm appends it to the whole URL, query included, which no server answers sensibly.
 */
export function fetchClassicProvenance(
  connection: UpstreamConnection,
  archiveUrl: URL,
  policy: UpstreamPolicy,
): Promise<Buffer | null> {
  const url = new URL(archiveUrl.href);
  url.pathname = `${url.pathname}.prov`;
  return fetchClassicFile(connection, url, policy, MAX_PROVENANCE_BYTES, {
    what: 'the provenance file',
    missingIsNull: true,
  });
}

async function fetchClassicFile(
  connection: UpstreamConnection,
  url: URL,
  policy: UpstreamPolicy,
  maxBytes: number,
  { what, missingIsNull }: { what: string; missingIsNull: boolean },
): Promise<Buffer | null> {
  const opened = await openUpstream(url, {
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
    credentialOrigin: connection.endpoint.baseUrl.origin,
    passCredentials: connection.passCredentials,
    tls: connection.tls,
    policy,
    maxBytes,
    decodeContentEncoding: false,
    accept: ARCHIVE_ACCEPT,
  });
  if (opened.status !== 200) {
    opened.body.destroy();
    if (opened.status === 404 && missingIsNull) return null;
    failForStatus(opened.status, opened.finalUrl, what);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of opened.body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The chart layer blob of `repository`, by its digest (`sha256:<hex>`): no manifest needed. */
export function fetchOciChartLayer(
  connection: UpstreamConnection,
  repository: string,
  layerDigest: string,
  options: ArchiveFetchOptions,
): Promise<Buffer> {
  const session = new OciSession(connection, options.policy, options.ociRetry);
  // getBlob checks the bytes against the digest it fetched by, and the size limit as they arrive.
  return session.getBlob(repository, layerDigest, options.maxBytes);
}

export interface OciChart {
  archive: Buffer;
  /** The provenance layer's bytes, or null when the manifest has none (or it was not asked for). */
  provenance: Buffer | null;
  /** sha256 of the manifest as served: what a pull by digest names. */
  manifestDigest: string;
  /** The chart layer's digest (`sha256:<hex>`). */
  chartDigest: string;
}

/**
 * A chart by tag or manifest digest (`sha256:...`): the manifest must be a Helm chart by the sync's
 * rules (classifyManifest), then its chart layer and, with `withProvenance`, its provenance layer.
 * A manifest fetched by digest is checked against it by the session (getManifest compares the digest
 * of the bytes with the registry's; here also with the one asked for).
 */
export async function fetchOciChart(
  connection: UpstreamConnection,
  repository: string,
  reference: string,
  options: ArchiveFetchOptions & { withProvenance?: boolean },
): Promise<OciChart> {
  const session = new OciSession(connection, options.policy, options.ociRetry);
  const manifest = await session.getManifest(repository, reference, MAX_MANIFEST_BYTES);
  const byDigest = reference.startsWith('sha256:');
  if (manifest === null) {
    throw new NoChartArchiveError(
      `The ${byDigest ? 'manifest' : 'tag'} ${reference} is gone from ${repository}.`,
    );
  }
  if (byDigest && manifest.digest !== reference) {
    throw new NoChartArchiveError(
      `The registry answered ${repository}@${reference} with a manifest whose sha256 is ${manifest.digest}.`,
    );
  }
  const found = classifyManifest(manifest.bytes, manifest.mediaType);
  if (found.kind !== 'chart') {
    throw new NoChartArchiveError(`${repository}:${reference} is not a chart: ${found.reason}.`);
  }
  const archive = await session.getBlob(repository, found.chartDigest, options.maxBytes);
  const provenance =
    options.withProvenance === true && found.provenanceDigest !== null
      ? await session.getBlob(repository, found.provenanceDigest, MAX_PROVENANCE_BYTES)
      : null;
  return { archive, provenance, manifestDigest: manifest.digest, chartDigest: found.chartDigest };
}
