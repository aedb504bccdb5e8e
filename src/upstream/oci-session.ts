import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DOCKER_MANIFEST_LIST_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
} from '../protocol/oci/media-types.js';
import { parseWwwAuthenticateAll } from '../protocol/oci/www-authenticate.js';
import type { AuthChallenge } from '../protocol/oci/www-authenticate.js';
import { UpstreamError } from '../shared/errors.js';
import type { UpstreamFailure } from '../shared/errors.js';
import { displayUrl, failForStatus, headerValue, upstreamFetch } from './http-client.js';
import type { UpstreamPolicy, UpstreamResponse } from './http-client.js';
import type { UpstreamConnection } from './upstream-connection.js';

export interface OciRetryPolicy {
  /** Retries of one request after 429/503; then the request fails. */
  maxRetries: number;
  /** Longest wait honoured per answer; a registry asking for longer makes the request fail at once. */
  maxWaitMs: number;
  /** Wait when the answer names none (doubled on each retry). */
  defaultWaitMs: number;
}

export const DEFAULT_OCI_RETRY: OciRetryPolicy = { maxRetries: 3, maxWaitMs: 10_000, defaultWaitMs: 500 };

// Defined with the rest of the protocol (protocol/oci/media-types.ts); re-exported for existing importers.
export {
  DOCKER_MANIFEST_LIST_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
};
/**
 * What we ask manifests for: helm's own list (b.5), so the registry answers with what it stores rather
 * than converting (distribution rewrites an OCI manifest to schema 1 for a client that accepts neither).
 */
export const MANIFEST_ACCEPT = [
  OCI_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  DOCKER_MANIFEST_LIST_MEDIA_TYPE,
].join(', ');

const SMALL_BODY_BYTES = 1024 * 1024;
/** distribution refuses manifests over 4 MiB; a HEAD's Content-Length is checked against this. */
const MAX_MANIFEST_HEAD_BYTES = 4 * 1024 * 1024;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const RETRY_STATUSES = new Set([429, 503]);

function pickChallenge(response: UpstreamResponse): AuthChallenge | undefined {
  const raw = response.headers['www-authenticate'];
  const challenges = parseWwwAuthenticateAll(Array.isArray(raw) ? raw.join(', ') : (raw ?? ''));
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

export function needsCredentials(what: string): UpstreamError {
  return new UpstreamError(
    'unauthorized',
    `This registry requires a username and password to read ${what}: choose Basic authentication.`,
  );
}

/** The `rel="next"` target of an RFC 5988 `Link` header, resolved against the page it came with. */
export function parseLinkNext(link: string | undefined, current: URL): URL | undefined {
  if (link === undefined) return undefined;
  // Several links may be comma-separated; the URL itself may contain commas, so match whole links.
  for (const match of link.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = match[2] ?? '';
    if (/;\s*rel\s*=\s*"?(?:[^";,]*\s)?next(?:\s[^";,]*)?"?/i.test(params)) {
      try {
        return new URL(match[1] ?? '', current);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Milliseconds a `Retry-After` header (seconds or an HTTP date) asks for; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its weekday and month; Date.parse alone would read "-1" as a year.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface RequestInit {
  method?: 'GET' | 'HEAD';
  accept?: string;
}

export interface ManifestHead {
  /** `Docker-Content-Digest`, when the registry sent a sha256 one. */
  digest: string | null;
  mediaType: string | null;
}

export interface FetchedManifest {
  bytes: Buffer;
  /** sha256 of the bytes as served (what a pull by digest names). */
  digest: string;
  /** Content-Type without parameters, or null. */
  mediaType: string | null;
}

/** A listing read page by page; `complete` is false when the page limit stopped it. */
export interface PagedListing {
  items: string[];
  complete: boolean;
}

const CATALOG_CLOSED: Partial<Record<number, UpstreamFailure>> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
};

/**
 * One conversation with an OCI registry (research/protocols.md c.1–c.4), shared by registry validation
 * (registry-probe.ts) and the OCI sync: Basic and Bearer challenges answered as oras/docker do, tokens
 * cached per scope, paged listings, manifests and size-limited, digest-verified blobs, and 429/503
 * answered politely (Retry-After honoured, but bounded so a sync never hangs on a busy registry).
 */
export class OciSession {
  /** The scheme of the last challenge answered: a public Bearer registry may still 401 an anonymous /v2/. */
  challengeScheme: 'none' | 'basic' | 'bearer' = 'none';
  private useBasic = false;
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly target: UpstreamConnection,
    private readonly policy: UpstreamPolicy,
    private readonly retry: OciRetryPolicy = DEFAULT_OCI_RETRY,
  ) {}

  get hasCredentials(): boolean {
    return this.target.credentials !== undefined;
  }

  url(path: string): URL {
    return new URL(path, this.target.endpoint.baseUrl);
  }

  private fetchOnce(
    url: URL,
    maxBytes: number,
    bearerToken: string | undefined,
    init: RequestInit,
  ): Promise<UpstreamResponse> {
    const { target } = this;
    const sendBasic = this.useBasic && bearerToken === undefined && target.credentials !== undefined;
    return upstreamFetch(url, {
      method: init.method ?? 'GET',
      ...(sendBasic ? { credentials: target.credentials } : {}),
      ...(bearerToken === undefined ? {} : { bearerToken }),
      credentialOrigin: target.endpoint.baseUrl.origin,
      passCredentials: target.passCredentials,
      tls: target.tls,
      policy: this.policy,
      maxBytes,
      accept: init.accept ?? 'application/json',
    });
  }

  /**
   * One request, repeated after 429 (too many requests) and 503 (busy) as the registry asks: Docker Hub
   * and GHCR rate-limit pulls, and hammering them only prolongs the block. Bounded, so a registry that
   * keeps refusing fails the sync with a clear message and the engine's backoff takes over.
   */
  private async fetch(
    url: URL,
    maxBytes: number,
    bearerToken: string | undefined,
    init: RequestInit,
  ): Promise<UpstreamResponse> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.fetchOnce(url, maxBytes, bearerToken, init);
      if (!RETRY_STATUSES.has(response.status)) return response;
      const asked = retryAfterMs(headerValue(response.headers, 'retry-after'));
      const why = response.status === 429 ? 'is rate-limiting Charthouse (HTTP 429)' : 'is busy (HTTP 503)';
      if (asked !== undefined && asked > this.retry.maxWaitMs) {
        throw new UpstreamError(
          'bad_status',
          `The registry ${why} at ${displayUrl(url)} and asks to wait ${Math.ceil(asked / 1000)} s, longer ` +
            `than a sync waits (${this.retry.maxWaitMs / 1000} s): the sync will be retried later.`,
        );
      }
      if (attempt >= this.retry.maxRetries) {
        throw new UpstreamError(
          'bad_status',
          `The registry ${why} at ${displayUrl(url)} and still refused after ${this.retry.maxRetries} ` +
            'retries: the sync will be retried later.',
        );
      }
      await sleep(Math.min(asked ?? this.retry.defaultWaitMs * 2 ** attempt, this.retry.maxWaitMs));
    }
  }

  /** A request with the auth learnt so far; on a 401 challenge, authenticate once and retry. */
  async get(
    url: URL,
    scope: string,
    maxBytes: number,
    what: string,
    init: RequestInit = {},
  ): Promise<UpstreamResponse> {
    const response = await this.fetch(url, maxBytes, this.tokens.get(scope), init);
    if (response.status !== 401) return response;
    const challenge = pickChallenge(response);
    if (challenge?.scheme === 'bearer') {
      this.challengeScheme = 'bearer';
      const tokenScope = challenge.params['scope'] ?? scope;
      const token = await this.fetchToken(challenge, tokenScope, what);
      this.tokens.set(scope, token);
      return this.fetch(url, maxBytes, token, init);
    }
    if (this.useBasic) return response;
    // Basic, or a 401 with no usable challenge (some registries omit it): send Basic credentials.
    if (this.target.credentials === undefined) throw needsCredentials(what);
    this.challengeScheme = 'basic';
    this.useBasic = true;
    return this.fetch(url, maxBytes, undefined, init);
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

  /**
   * `GET /v2/_catalog`, paged (`n`, then the `Link` header), filtered to the endpoint's path prefix.
   * A closed catalog (401/403/404) fails with a message pointing at ociRepositories.
   */
  async listCatalog(
    prefix: string,
    maxBytes: number,
    maxPages: number,
    pageSize = 100,
  ): Promise<PagedListing> {
    const repositories: string[] = [];
    let url: URL | undefined = this.url(`/v2/_catalog?n=${pageSize}`);
    for (let page = 0; url !== undefined && page < maxPages; page++) {
      const response = await this.get(url, 'registry:catalog:*', maxBytes, 'the catalog');
      const closed = CATALOG_CLOSED[response.status];
      if (closed !== undefined) {
        throw new UpstreamError(
          closed,
          `The registry does not let Charthouse list its catalog (HTTP ${response.status}): list the chart ` +
            'repositories in ociRepositories.',
        );
      }
      if (response.status !== 200) failForStatus(response.status, url, 'the catalog');
      for (const name of readStringList(response.body, 'repositories', url, 'an OCI catalog')) {
        if (prefix === '' || name.startsWith(`${prefix}/`) || name === prefix) repositories.push(name);
      }
      url = parseLinkNext(headerValue(response.headers, 'link'), url);
    }
    return { items: repositories, complete: url === undefined };
  }

  /** `GET /v2/<repository>/tags/list`, paged like the catalog. */
  async listTags(
    repository: string,
    maxBytes: number,
    maxPages: number,
    pageSize = 1000,
  ): Promise<PagedListing> {
    const tags: string[] = [];
    const what = `the tags of "${repository}"`;
    let url: URL | undefined = this.url(`/v2/${repository}/tags/list?n=${pageSize}`);
    for (let page = 0; url !== undefined && page < maxPages; page++) {
      const response = await this.get(url, pullScope(repository), maxBytes, what);
      if (response.status === 404) {
        throw new UpstreamError(
          'not_found',
          `The repository "${repository}" does not exist in the registry (404): check ociRepositories and the endpoint path.`,
        );
      }
      if (response.status === 401 && !this.hasCredentials) throw needsCredentials(what);
      if (response.status !== 200) failForStatus(response.status, url, what);
      tags.push(...readStringList(response.body, 'tags', url, 'a tag list'));
      url = parseLinkNext(headerValue(response.headers, 'link'), url);
    }
    return { items: tags, complete: url === undefined };
  }

  /** `HEAD` a manifest: its digest without its body. null when the tag is gone (deleted meanwhile). */
  async headManifest(repository: string, reference: string): Promise<ManifestHead | null> {
    const url = this.url(`/v2/${repository}/manifests/${reference}`);
    const what = `the manifest ${repository}:${reference}`;
    const response = await this.get(url, pullScope(repository), MAX_MANIFEST_HEAD_BYTES, what, {
      method: 'HEAD',
      accept: MANIFEST_ACCEPT,
    });
    if (response.status === 404) return null;
    if (response.status !== 200) failForStatus(response.status, url, what);
    const digest = headerValue(response.headers, 'docker-content-digest');
    return {
      digest: digest !== undefined && SHA256_DIGEST.test(digest) ? digest : null,
      mediaType: mediaTypeOf(response),
    };
  }

  /** `GET` a manifest; the digest is computed over the bytes and checked against the registry's. */
  async getManifest(
    repository: string,
    reference: string,
    maxBytes: number,
  ): Promise<FetchedManifest | null> {
    const url = this.url(`/v2/${repository}/manifests/${reference}`);
    const what = `the manifest ${repository}:${reference}`;
    const response = await this.get(url, pullScope(repository), maxBytes, what, { accept: MANIFEST_ACCEPT });
    if (response.status === 404) return null;
    if (response.status !== 200) failForStatus(response.status, url, what);
    const digest = `sha256:${createHash('sha256').update(response.body).digest('hex')}`;
    const claimed = headerValue(response.headers, 'docker-content-digest');
    if (claimed !== undefined && SHA256_DIGEST.test(claimed) && claimed !== digest) {
      throw new UpstreamError(
        'bad_status',
        `The registry sent ${what} with digest ${claimed}, but its bytes hash to ${digest}.`,
      );
    }
    return { bytes: response.body, digest, mediaType: mediaTypeOf(response) };
  }

  /** `GET` a blob (a config), at most `maxBytes`, verified against its sha256 digest. */
  async getBlob(repository: string, digest: string, maxBytes: number): Promise<Buffer> {
    if (!SHA256_DIGEST.test(digest)) {
      throw new UpstreamError(
        'bad_status',
        `The blob digest ${JSON.stringify(digest)} is not a sha256 digest.`,
      );
    }
    const url = this.url(`/v2/${repository}/blobs/${digest}`);
    const what = `the blob ${digest} of "${repository}"`;
    const response = await this.get(url, pullScope(repository), maxBytes, what, {
      accept: 'application/octet-stream, application/json, */*',
    });
    if (response.status !== 200) failForStatus(response.status, url, what);
    const actual = `sha256:${createHash('sha256').update(response.body).digest('hex')}`;
    if (actual !== digest) {
      throw new UpstreamError('bad_status', `The registry sent ${what}, but its bytes hash to ${actual}.`);
    }
    return response.body;
  }
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function mediaTypeOf(response: UpstreamResponse): string | null {
  const type = headerValue(response.headers, 'content-type');
  if (type === undefined) return null;
  const bare = type.split(';')[0]?.trim().toLowerCase() ?? '';
  return bare === '' ? null : bare;
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

/** The string items of `key` in a JSON object body; null/absent is an empty list (distribution sends null). */
function readStringList(body: Buffer, key: string, url: URL, what: string): string[] {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const list = (parsed as Record<string, unknown> | null)?.[key];
    if (list === null || list === undefined) return [];
    if (Array.isArray(list)) return list.filter((item): item is string => typeof item === 'string');
  } catch {
    // fall through
  }
  throw new UpstreamError('not_an_oci_registry', `${displayUrl(url)} did not answer with ${what} (JSON).`);
}
