import { createHash } from 'node:crypto';
import { resolveHelmReference } from '../protocol/registry-endpoint.js';
import { failForStatus, headerValue, upstreamFetch, type UpstreamPolicy } from '../upstream/http-client.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';

/** What the last successful sync saw, so an unchanged upstream costs one request and no writes. */
export interface IndexValidators {
  etag: string | null;
  lastModified: string | null;
  /** sha256 of the index bytes: catches servers that send no validators, or change them needlessly. */
  contentDigest: string | null;
}

export type IndexFetchResult =
  | { kind: 'not_modified'; validators: IndexValidators }
  | { kind: 'unchanged'; validators: IndexValidators }
  | { kind: 'changed'; body: Buffer; validators: IndexValidators };

/**
 * Fetch a classic repository's index.yaml with a conditional GET. A 304, or a 200 whose bytes hash to
 * the digest recorded last time, both mean "nothing to do".
 */
export async function fetchIndex(
  source: UpstreamConnection,
  previous: IndexValidators,
  policy: UpstreamPolicy,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<IndexFetchResult> {
  const url = resolveHelmReference(source.endpoint.baseUrl, 'index.yaml');
  const headers: Record<string, string> = {};
  if (previous.etag) headers['if-none-match'] = previous.etag;
  if (previous.lastModified) headers['if-modified-since'] = previous.lastModified;
  const response = await upstreamFetch(url, {
    headers,
    ...(source.credentials ? { credentials: source.credentials } : {}),
    credentialOrigin: source.endpoint.baseUrl.origin,
    passCredentials: source.passCredentials,
    tls: source.tls,
    policy,
    maxBytes,
    ...(signal ? { signal } : {}),
  });
  if (response.status === 304 && previous.contentDigest !== null) {
    return { kind: 'not_modified', validators: previous };
  }
  if (response.status !== 200) failForStatus(response.status, response.finalUrl, 'the repository index');
  const validators: IndexValidators = {
    etag: headerValue(response.headers, 'etag') ?? null,
    lastModified: headerValue(response.headers, 'last-modified') ?? null,
    contentDigest: createHash('sha256').update(response.body).digest('hex'),
  };
  if (validators.contentDigest === previous.contentDigest) return { kind: 'unchanged', validators };
  return { kind: 'changed', body: response.body, validators };
}
