import { parseHelmIndex } from '../protocol/helm/index-document.js';
import { findIndexArchive } from '../protocol/helm/index-lookup.js';
import { resolveHelmReference } from '../protocol/registry-endpoint.js';
import { NoChartArchiveError } from './chart-archive-fetch.js';
import { failForStatus, upstreamFetch, type UpstreamPolicy } from './http-client.js';
import type { UpstreamConnection } from './upstream-connection.js';

/** Helm's own ceiling for an index is none; ours is the server's default CHARTHOUSE_MAX_INDEX_BYTES. */
export const DEFAULT_MAX_INDEX_BYTES = 50 * 1024 * 1024;

export interface IndexLookupOptions {
  policy: UpstreamPolicy;
  maxIndexBytes?: number;
}

/**
 * Where a classic repository keeps `chart` at `version`, read from its `<endpoint>/index.yaml` with
 * the connection's credentials and TLS, as `helm pull --repo` does: the archive URL (Helm's relative
 * URL rule, protocol/helm/index-lookup.ts) and the digest the index lists for it, if any. The archive
 * URL may be on another origin; the fetch that follows sends credentials there only with
 * passCredentials (http-client's credentialOrigin rule).
 */
export async function lookupClassicArchive(
  connection: UpstreamConnection,
  chart: string,
  version: string,
  options: IndexLookupOptions,
): Promise<{ url: URL; digest: string | null }> {
  const repositoryUrl = connection.endpoint.baseUrl;
  const indexUrl = resolveHelmReference(repositoryUrl, 'index.yaml');
  const response = await upstreamFetch(indexUrl, {
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
    credentialOrigin: repositoryUrl.origin,
    passCredentials: connection.passCredentials,
    tls: connection.tls,
    policy: options.policy,
    maxBytes: options.maxIndexBytes ?? DEFAULT_MAX_INDEX_BYTES,
  });
  if (response.status !== 200) failForStatus(response.status, response.finalUrl, 'the repository index');
  const found = findIndexArchive(parseHelmIndex(response.body), repositoryUrl, chart, version);
  if (!found.found) throw new NoChartArchiveError(`${capitalize(found.reason)}.`);
  return { url: found.url, digest: found.digest };
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
