import { parseHelmIndex } from '../protocol/helm/index-document.js';
import { parseWwwAuthenticateAll } from '../protocol/oci/www-authenticate.js';
import type { AuthChallenge } from '../protocol/oci/www-authenticate.js';
import { isValidOciRepositoryPath, resolveHelmReference } from '../protocol/registry-endpoint.js';
import type { ParsedEndpoint } from '../protocol/registry-endpoint.js';
import { InvalidRequestError, UpstreamError } from '../shared/errors.js';
import type { UpstreamFailure } from '../shared/errors.js';
import { displayUrl, failForStatus, headerValue, upstreamFetch } from './http-client.js';
import type { UpstreamCredentials, UpstreamPolicy, UpstreamResponse, UpstreamTls } from './http-client.js';

/**
 * The validation done before an unprotected registry is saved (SPEC §2): reachable, credentials
 * accepted, and really a Helm repository (a parseable index.yaml) or an OCI registry whose chart
 * repositories can be read. Every failure is an UpstreamError whose message names the cause.
 */
export interface ProbeTarget {
  endpoint: ParsedEndpoint;
  credentials?: UpstreamCredentials;
  passCredentials: boolean;
  tls: UpstreamTls;
  /** OCI only: chart repositories to check, relative to the endpoint's path (a full path is accepted too). */
  ociRepositories: string[];
}

export interface ProbeLimits {
  maxIndexBytes: number;
}

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

export async function probeRegistry(
  target: ProbeTarget,
  policy: UpstreamPolicy,
  limits: ProbeLimits,
): Promise<ProbeResult> {
  return target.endpoint.kind === 'helm'
    ? probeHelm(target, policy, limits)
    : probeOci(target, policy, limits);
}

async function probeHelm(
  target: ProbeTarget,
  policy: UpstreamPolicy,
  limits: ProbeLimits,
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
  const index = parseHelmIndex(response.body);
  const warnings = [...index.warnings];
  if (index.chartCount === 0) warnings.push(EMPTY_HELM_WARNING);
  return { warnings, chartCount: index.chartCount, versionCount: index.versionCount };
}

// ---- OCI ------------------------------------------------------------------------------------------

function pickChallenge(response: UpstreamResponse): AuthChallenge | undefined {
  const raw = response.headers['www-authenticate'];
  const challenges = parseWwwAuthenticateAll(Array.isArray(raw) ? raw.join(', ') : (raw ?? ''));
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

function needsCredentials(what: string): UpstreamError {
  return new UpstreamError(
    'unauthorized',
    `This registry requires a username and password to read ${what}: choose Basic authentication.`,
  );
}

/** Talks to one OCI registry, answering Basic and Bearer (token) challenges as oras/docker do. */
class OciSession {
  /** The scheme of the last challenge answered: a public Bearer registry may still 401 an anonymous /v2/. */
  challengeScheme: 'none' | 'basic' | 'bearer' = 'none';
  private useBasic = false;
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly target: ProbeTarget,
    private readonly policy: UpstreamPolicy,
  ) {}

  get hasCredentials(): boolean {
    return this.target.credentials !== undefined;
  }

  url(path: string): URL {
    return new URL(path, this.target.endpoint.baseUrl);
  }

  private fetch(url: URL, maxBytes: number, bearerToken: string | undefined): Promise<UpstreamResponse> {
    const { target } = this;
    const sendBasic = this.useBasic && bearerToken === undefined && target.credentials !== undefined;
    return upstreamFetch(url, {
      ...(sendBasic ? { credentials: target.credentials } : {}),
      ...(bearerToken === undefined ? {} : { bearerToken }),
      credentialOrigin: target.endpoint.baseUrl.origin,
      passCredentials: target.passCredentials,
      tls: target.tls,
      policy: this.policy,
      maxBytes,
      accept: 'application/json',
    });
  }

  /** GET with the auth learnt so far; on a 401 challenge, authenticate once and retry. */
  async get(url: URL, scope: string, maxBytes: number, what: string): Promise<UpstreamResponse> {
    const response = await this.fetch(url, maxBytes, this.tokens.get(scope));
    if (response.status !== 401) return response;
    const challenge = pickChallenge(response);
    if (challenge?.scheme === 'bearer') {
      this.challengeScheme = 'bearer';
      const tokenScope = challenge.params['scope'] ?? scope;
      const token = await this.fetchToken(challenge, tokenScope, what);
      this.tokens.set(scope, token);
      return this.fetch(url, maxBytes, token);
    }
    if (this.useBasic) return response;
    // Basic, or a 401 with no usable challenge (some registries omit it): send Basic credentials.
    if (this.target.credentials === undefined) throw needsCredentials(what);
    this.challengeScheme = 'basic';
    this.useBasic = true;
    return this.fetch(url, maxBytes, undefined);
  }

  /**
   * Docker-style token request to the realm the registry named. The realm often lives on another host
   * (auth.docker.io for Docker Hub, a separate auth service for Harbor/GitLab), and docker, oras and
   * helm all send the registry's credentials there: the registry itself told us where to authenticate.
   * We do the same, but never over plain http unless the registry itself is plain http, so a
   * downgrading challenge cannot read the password off the wire.
   */
  private async fetchToken(challenge: AuthChallenge, scope: string, what: string): Promise<string> {
    const { target } = this;
    const realm = challenge.params['realm'];
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm ?? '');
    } catch {
      throw new UpstreamError(
        'not_an_oci_registry',
        'The registry sent a Bearer challenge without a valid token realm.',
      );
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw new UpstreamError(
        'not_an_oci_registry',
        'The registry sent a Bearer challenge whose realm is not an http(s) URL.',
      );
    }
    const credentials = target.credentials;
    if (credentials && realmUrl.protocol === 'http:' && target.endpoint.baseUrl.protocol === 'https:') {
      throw new UpstreamError(
        'endpoint_not_allowed',
        `The registry's token service ${displayUrl(realmUrl)} is plain http; Charthouse does not send credentials over http.`,
      );
    }
    const service = challenge.params['service'];
    if (service !== undefined) realmUrl.searchParams.append('service', service);
    for (const part of scope.split(' ').filter((s) => s !== '')) realmUrl.searchParams.append('scope', part);
    const response = await upstreamFetch(realmUrl, {
      ...(credentials ? { credentials } : {}),
      credentialOrigin: realmUrl.origin,
      passCredentials: target.passCredentials,
      tls: target.tls,
      policy: this.policy,
      maxBytes: SMALL_BODY_BYTES,
      accept: 'application/json',
    });
    if (response.status === 401 || response.status === 403) {
      if (!credentials) throw needsCredentials(what);
      throw new UpstreamError(
        'unauthorized',
        `The registry's token service ${displayUrl(realmUrl)} rejected the credentials: check the username and password.`,
      );
    }
    if (response.status !== 200)
      failForStatus(response.status, response.finalUrl, "the registry's token service");
    const token = readToken(response.body);
    if (token === undefined) {
      throw new UpstreamError(
        'not_an_oci_registry',
        `The token service ${displayUrl(realmUrl)} answered without a token or access_token.`,
      );
    }
    return token;
  }
}

function readToken(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object') return undefined;
    const { token, access_token: accessToken } = parsed as Record<string, unknown>;
    // oras prefers access_token when both are present.
    const value = typeof accessToken === 'string' && accessToken !== '' ? accessToken : token;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

async function probeOci(
  target: ProbeTarget,
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
async function checkApiVersion(session: OciSession, target: ProbeTarget): Promise<void> {
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

function fullRepositoryName(target: ProbeTarget, repository: string): string {
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

interface CatalogListing {
  repositories: string[];
  /** False when more pages were left unread. */
  complete: boolean;
}

const CATALOG_CLOSED: Partial<Record<number, UpstreamFailure>> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
};

function nextCatalogPage(response: UpstreamResponse, current: URL): URL | undefined {
  const link = headerValue(response.headers, 'link');
  const target = link === undefined ? undefined : /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link)?.[1];
  return target === undefined ? undefined : new URL(target, current);
}

function readCatalog(body: Buffer, url: URL): string[] {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const list = (parsed as { repositories?: unknown } | null)?.repositories;
    if (list === null || list === undefined) return [];
    if (Array.isArray(list)) return list.filter((name): name is string => typeof name === 'string');
  } catch {
    // fall through
  }
  throw new UpstreamError(
    'not_an_oci_registry',
    `${displayUrl(url)} did not answer with an OCI catalog (JSON).`,
  );
}

/** `GET /v2/_catalog`, paged, filtered to the endpoint's path prefix. */
async function listCatalog(
  session: OciSession,
  prefix: string,
  limits: ProbeLimits,
): Promise<CatalogListing> {
  const repositories: string[] = [];
  let url: URL | undefined = session.url('/v2/_catalog?n=100');
  for (let page = 0; url !== undefined && page < MAX_CATALOG_PAGES; page++) {
    const response = await session.get(url, 'registry:catalog:*', limits.maxIndexBytes, 'the catalog');
    const closed = CATALOG_CLOSED[response.status];
    if (closed !== undefined) {
      throw new UpstreamError(
        closed,
        `The registry does not let Charthouse list its catalog (HTTP ${response.status}): list the chart ` +
          'repositories in ociRepositories.',
      );
    }
    if (response.status !== 200) failForStatus(response.status, url, 'the catalog');
    for (const name of readCatalog(response.body, url)) {
      if (prefix === '' || name.startsWith(`${prefix}/`) || name === prefix) repositories.push(name);
    }
    url = nextCatalogPage(response, url);
  }
  return { repositories, complete: url === undefined };
}
