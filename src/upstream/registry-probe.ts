import { summarizeHelmIndex, type IndexSummary } from '../protocol/helm/index-summary.js';
import { isValidOciRepositoryPath, resolveHelmReference } from '../protocol/registry-endpoint.js';
import { InvalidRequestError, UpstreamError } from '../shared/errors.js';
import { displayUrl, failForStatus, upstreamFetch } from './http-client.js';
import type { UpstreamPolicy } from './http-client.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { needsCredentials, OciSession } from './oci-session.js';

export interface ProbeLimits {
  maxIndexBytes: number;
}

/**
 * Reads a fetched index.yaml into its counts and warnings. The server gives one that works in its index
 * worker threads (IndexWorkerPool.summarize): a 24 MB index takes a few hundred ms of CPU to read.
 */
export type IndexReader = (body: Buffer) => Promise<IndexSummary>;

const readHere: IndexReader = (body) => Promise.resolve(summarizeHelmIndex(body));

export interface ProbeResult {
  warnings: string[];
  /** Charts (helm) or chart repositories (OCI); null when the probe cannot know. */
  chartCount: number | null;
  versionCount: number | null;
}

const SMALL_BODY_BYTES = 1024 * 1024;
const MAX_CATALOG_PAGES = 10;
const EMPTY_HELM_WARNING = 'The repository has no charts yet.';
const EMPTY_OCI_WARNING = 'The registry holds no chart repositories yet.';

/**
 * The validation done before an unprotected registry is saved (SPEC §2): reachable, credentials
 * accepted, and really a Helm repository (a parseable index.yaml) or an OCI registry whose chart
 * repositories can be read. Every failure is an UpstreamError whose message names the cause.
 */
export async function probeRegistry(
  target: UpstreamConnection,
  policy: UpstreamPolicy,
  limits: ProbeLimits,
  readIndex: IndexReader = readHere,
): Promise<ProbeResult> {
  return target.endpoint.kind === 'helm'
    ? probeHelm(target, policy, limits, readIndex)
    : probeOci(target, policy, limits);
}

async function probeHelm(
  target: UpstreamConnection,
  policy: UpstreamPolicy,
  limits: ProbeLimits,
  readIndex: IndexReader,
): Promise<ProbeResult> {
  const { baseUrl } = target.endpoint;
  const indexUrl = resolveHelmReference(baseUrl, 'index.yaml');
  const response = await upstreamFetch(indexUrl, {
    ...(target.credentials ? { credentials: target.credentials } : {}),
    credentialOrigin: baseUrl.origin,
    passCredentials: target.passCredentials,
    tls: target.tls,
    policy,
    maxBytes: limits.maxIndexBytes,
  });
  // Helm accepts exactly 200 for an index (pkg/repo/chartrepo.go).
  if (response.status !== 200) failForStatus(response.status, response.finalUrl, 'the repository index');
  const index = await readIndex(response.body);
  const warnings = [...index.warnings];
  if (index.chartCount === 0) warnings.push(EMPTY_HELM_WARNING);
  return { warnings, chartCount: index.chartCount, versionCount: index.versionCount };
}

// ---- OCI ------------------------------------------------------------------------------------------

async function probeOci(
  target: UpstreamConnection,
  policy: UpstreamPolicy,
  limits: ProbeLimits,
): Promise<ProbeResult> {
  const session = new OciSession(target, policy);
  await checkApiVersion(session, target);
  if (target.ociRepositories.length > 0) {
    for (const repository of target.ociRepositories) {
      await checkRepositoryReadable(session, fullRepositoryName(target, repository), limits);
    }
    return { warnings: [], chartCount: target.ociRepositories.length, versionCount: null };
  }
  const listing = await listCatalog(session, target.endpoint.ociPathPrefix, limits);
  const warnings = listing.repositories.length === 0 ? [EMPTY_OCI_WARNING] : [];
  return { warnings, chartCount: listing.complete ? listing.repositories.length : null, versionCount: null };
}

/** `GET /v2/`: the API version check every OCI client starts with; it also settles the auth scheme. */
async function checkApiVersion(session: OciSession, target: UpstreamConnection): Promise<void> {
  const url = session.url('/v2/');
  const what = 'the OCI API (/v2/)';
  const response = await session.get(url, '', SMALL_BODY_BYTES, what);
  if (response.status === 404) {
    throw new UpstreamError(
      'not_an_oci_registry',
      `${displayUrl(url)} answered 404: ${target.endpoint.host} does not serve the OCI distribution API.`,
    );
  }
  if (response.status === 401 && !target.credentials) {
    // Anonymous pulls can still work per repository; the repository or catalog check decides.
    if (session.challengeScheme === 'bearer') return;
    throw needsCredentials(what);
  }
  if (response.status < 200 || response.status > 299) failForStatus(response.status, url, what);
}

function fullRepositoryName(target: UpstreamConnection, repository: string): string {
  const prefix = target.endpoint.ociPathPrefix;
  const name = repository.replace(/^\/+|\/+$/g, '');
  if (!isValidOciRepositoryPath(name)) {
    const message = `"${repository}" is not a valid OCI repository name.`;
    throw new InvalidRequestError(message, [{ field: 'ociRepositories', message }]);
  }
  if (prefix === '' || name === prefix || name.startsWith(`${prefix}/`)) return name;
  return `${prefix}/${name}`;
}

async function checkRepositoryReadable(
  session: OciSession,
  repository: string,
  limits: ProbeLimits,
): Promise<void> {
  const url = session.url(`/v2/${repository}/tags/list`);
  const what = `the repository "${repository}"`;
  const response = await session.get(url, `repository:${repository}:pull`, limits.maxIndexBytes, what);
  if (response.status === 200) return;
  if (response.status === 404) {
    throw new UpstreamError(
      'not_found',
      `The repository "${repository}" does not exist in the registry (404): check ociRepositories and the endpoint path.`,
    );
  }
  if (response.status === 401 && !session.hasCredentials) throw needsCredentials(what);
  failForStatus(response.status, url, what);
}

/** `GET /v2/_catalog`, paged, filtered to the endpoint's path prefix. */
async function listCatalog(
  session: OciSession,
  prefix: string,
  limits: ProbeLimits,
): Promise<{ repositories: string[]; complete: boolean }> {
  const listing = await session.listCatalog(prefix, limits.maxIndexBytes, MAX_CATALOG_PAGES);
  return { repositories: listing.items, complete: listing.complete };
}
