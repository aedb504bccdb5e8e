import type { Static } from '@sinclair/typebox';
import type { ChartDetail, ChartSearchResult, ChartVersionDetail } from '../catalog/catalog.schema.js';
import { agentApi, clusterApi } from './cluster-api.js';
import { profileApi } from './profile-api.js';
import type { ListOptions, Page, Transport } from './transport.js';
import type { HostedView } from '../hosted/hosted.schema.js';
import type { ErrorBody } from '../http/api-shapes.js';
import type { IssuedTokenView, SessionView, TokenList } from '../identity/auth.schema.js';
import type {
  RegistryCreateBody,
  RegistryList,
  RegistryPatchBody,
  RegistryView,
} from '../registries/registry.schema.js';
import type { SyncRunList, SyncRunView } from '../sync/sync.schema.js';
import type {
  InvitationList,
  InvitationView,
  JoinedView,
  MeView,
  MemberBody,
  MemberList,
  MemberView,
  TenantBody,
  TenantList,
  TenantView,
} from '../tenants/tenant.schema.js';

/*
 * The one typed client for the JSON API (SPEC §3), shared by the CLI and the web console: it uses only
 * `fetch`, `URL` and `AbortSignal`, so it must not import anything from node:*. Types come from the
 * server's own schemas, so a schema change breaks the client at compile time rather than at run time.
 */

// The server's shapes the client's callers name, re-exported so they import from one place.
export type * from './api-types.js';
export type HostedUrls = HostedView['urls'];

/** What adding a member did: a system administrator adds at once, a tenant administrator invites. */
export type AddMemberResult =
  { status: 'added'; member: MemberView } | { status: 'invited'; invitation: InvitationView };

export type ErrorDetail = NonNullable<Static<typeof ErrorBody>['error']['details']>[number];

/** Where a registry lives: one tenant's registries (which also lists the system ones) or the system's. */
export type RegistryScope = { tenant: string } | 'system';

export type { ListOptions, Page } from './transport.js';

export interface ApiClientOptions {
  baseUrl: string;
  token?: string;
  fetch?: typeof fetch;
  /** Adding an unprotected registry waits for the server to probe the upstream: allow for that. */
  timeoutMs?: number;
}

/**
 * Any failed call. `status` is the HTTP status, or 0 when no answer arrived (`code` is then
 * `server_unreachable` or `timeout`). The message never contains the token or a password.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** A server that keeps handing out cursors would otherwise make listAll loop for ever. */
const MAX_PAGES = 10_000;

type Query = Record<string, string | number | undefined>;

/** A boolean query parameter as the API reads it; left out when not given (the server's default). */
const flag = (value: boolean | undefined): string | undefined =>
  value === undefined ? undefined : String(value);

export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ApiError(0, 'invalid_base_url', 'The server URL is not a valid http(s) URL.');
    }
    // fetch would refuse it anyway, quoting the URL, password included, in its message.
    if (url.username || url.password) {
      throw new ApiError(0, 'invalid_base_url', 'The server URL must not contain a username or password.');
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  login(username: string, password: string): Promise<SessionView> {
    return this.#call('POST', '/api/v1/auth/login', { body: { username, password }, anonymous: true });
  }

  /** Ends this client's session on the server (its token is refused from then on). */
  async logout(): Promise<void> {
    await this.#call('POST', '/api/v1/auth/logout');
  }

  me(): Promise<MeView> {
    return this.#call('GET', '/api/v1/me');
  }

  /** Personal API tokens: shown once when created, listed without their secret, revoked by id. */
  readonly tokens = {
    /** `expiresInDays`: left out, 90 days; `null`, never. */
    create: (name: string, options: { expiresInDays?: number | null } = {}): Promise<IssuedTokenView> =>
      this.#call('POST', '/api/v1/auth/tokens', { body: { name, ...options } }),
    list: (): Promise<TokenList> => this.#call('GET', '/api/v1/auth/tokens'),
    revoke: (id: string): Promise<void> => this.#call('DELETE', `/api/v1/auth/tokens/${seg(id)}`),
  };

  /** Invitations to join tenants, as their invitee sees them. */
  readonly invitations = {
    list: (): Promise<InvitationList> => this.#call('GET', '/api/v1/invitations'),
    accept: (id: string): Promise<JoinedView> => this.#call('POST', `/api/v1/invitations/${seg(id)}/accept`),
    decline: (id: string): Promise<void> => this.#call('DELETE', `/api/v1/invitations/${seg(id)}`),
  };

  readonly tenants = {
    create: (body: TenantBody): Promise<TenantView> => this.#call('POST', '/api/v1/tenants', { body }),
    list: (options: ListOptions = {}): Promise<TenantList> =>
      this.#call('GET', '/api/v1/tenants', { query: { ...options } }),
    listAll: (): Promise<TenantView[]> => collect((cursor) => this.tenants.list({ cursor })),
  };

  readonly members = {
    /** A system administrator adds at once (201); a tenant administrator's add is an invitation (202). */
    add: async (tenant: string, body: MemberBody): Promise<AddMemberResult> => {
      const answer = await this.#answer<MemberView | InvitationView>(
        'POST',
        `/api/v1/tenants/${seg(tenant)}/members`,
        { body },
      );
      return answer.status === 202
        ? { status: 'invited', invitation: answer.body as InvitationView }
        : { status: 'added', member: answer.body as MemberView };
    },
    list: (tenant: string): Promise<MemberList> =>
      this.#call('GET', `/api/v1/tenants/${seg(tenant)}/members`),
    setRole: (tenant: string, username: string, role: MemberView['role']): Promise<MemberView> =>
      this.#call('PATCH', `/api/v1/tenants/${seg(tenant)}/members/${seg(username)}`, { body: { role } }),
    remove: (tenant: string, username: string): Promise<void> =>
      this.#call('DELETE', `/api/v1/tenants/${seg(tenant)}/members/${seg(username)}`),
    invitations: (tenant: string): Promise<InvitationList> =>
      this.#call('GET', `/api/v1/tenants/${seg(tenant)}/invitations`),
    revokeInvitation: (tenant: string, id: string): Promise<void> =>
      this.#call('DELETE', `/api/v1/tenants/${seg(tenant)}/invitations/${seg(id)}`),
  };

  readonly registries = {
    list: (scope: RegistryScope, options: ListOptions = {}): Promise<RegistryList> =>
      this.#call('GET', registriesPath(scope), { query: { ...options } }),
    listAll: (scope: RegistryScope): Promise<RegistryView[]> =>
      collect((cursor) => this.registries.list(scope, { cursor })),
    get: (scope: RegistryScope, name: string): Promise<RegistryView> =>
      this.#call('GET', `${registriesPath(scope)}/${seg(name)}`),
    create: (scope: RegistryScope, body: RegistryCreateBody): Promise<RegistryView> =>
      this.#call('POST', registriesPath(scope), { body }),
    update: (scope: RegistryScope, name: string, patch: RegistryPatchBody): Promise<RegistryView> =>
      this.#call('PATCH', `${registriesPath(scope)}/${seg(name)}`, { body: patch }),
    remove: (scope: RegistryScope, name: string): Promise<void> =>
      this.#call('DELETE', `${registriesPath(scope)}/${seg(name)}`),
  };

  readonly syncs = {
    /** "Sync now": the run starts in the background; poll {@link syncs.list} for its outcome. */
    start: (scope: RegistryScope, name: string): Promise<{ run: SyncRunView }> =>
      this.#call('POST', `${registriesPath(scope)}/${seg(name)}/sync`),
    list: (scope: RegistryScope, name: string, options: ListOptions = {}): Promise<SyncRunList> =>
      this.#call('GET', `${registriesPath(scope)}/${seg(name)}/syncs`, { query: { ...options } }),
  };

  readonly charts = {
    /**
     * Where a chart's icon loads without a token (`<base>/api/v1/icons/<sha256>`, for an <img>), or null
     * when the chart names no icon or it cannot be shown (the server says why on a GET of the same path).
     * A HEAD request: the server fetches and caches the icon but sends no bytes.
     */
    iconLocation: async (
      scope: RegistryScope,
      registry: string,
      chart: string,
      version?: string,
    ): Promise<string | null> => {
      const path = `${registriesPath(scope)}/${seg(registry)}/charts/${seg(chart)}/icon`;
      try {
        const { res } = await this.#send('HEAD', path, { query: { version }, accept: 'image/*' });
        const location = res.headers.get('content-location');
        return location?.startsWith('/api/v1/icons/') ? this.baseUrl + location : null;
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 422)) return null;
        throw err;
      }
    },
    /**
     * `devel`: the latest version may be a pre-release (`helm search repo --devel`); `deprecated:
     * false` leaves out charts whose latest version is deprecated.
     */
    search: (
      tenant: string,
      options: ListOptions & { q?: string; registry?: string; devel?: boolean; deprecated?: boolean } = {},
    ): Promise<ChartSearchResult> => {
      const { devel, deprecated, ...rest } = options;
      return this.#call('GET', `/api/v1/tenants/${seg(tenant)}/charts`, {
        query: { ...rest, devel: flag(devel), deprecated: flag(deprecated) },
      });
    },
    get: (
      scope: RegistryScope,
      registry: string,
      chart: string,
      options: { devel?: boolean } = {},
    ): Promise<ChartDetail> =>
      this.#call('GET', `${registriesPath(scope)}/${seg(registry)}/charts/${seg(chart)}`, {
        query: { devel: flag(options.devel) },
      }),
    version: (
      scope: RegistryScope,
      registry: string,
      chart: string,
      version: string,
    ): Promise<ChartVersionDetail> =>
      this.#call(
        'GET',
        `${registriesPath(scope)}/${seg(registry)}/charts/${seg(chart)}/versions/${seg(version)}`,
      ),
  };

  /** Cluster profiles of a tenant (SPEC §2): versions are drafts until published, then locks. */
  readonly profiles = profileApi(this.#transport(), collect);

  /**
   * The hosted registry of a tenant (or the system's, shown to tenants as "stable") through its Helm
   * repository endpoints under /helm/{t}: ChartMuseum's upload API, index.yaml and the archives. Their
   * errors are ChartMuseum's `{"error": "..."}`, turned into the same ApiError as the JSON API's.
   */
  readonly hosted = {
    /** Uploads a chart archive as is; `force` overwrites an existing version (tenant administrators). */
    push: async (
      scope: RegistryScope,
      archive: Uint8Array,
      options: { force?: boolean } = {},
    ): Promise<void> => {
      await this.#send('POST', `${hostedPath(scope)}/api/charts${options.force ? '?force' : ''}`, {
        raw: { bytes: archive, type: 'application/gzip' },
      });
    },
    /** The archive of one version, byte for byte. */
    download: async (scope: RegistryScope, name: string, version: string): Promise<Uint8Array> =>
      (
        await this.#send('GET', `${hostedPath(scope)}/charts/${seg(`${name}-${version}.tgz`)}`, {
          accept: 'application/octet-stream',
        })
      ).bytes,
    /** Where helm clients reach a tenant's hosted registry, and what the caller may do there. */
    view: (tenant: string): Promise<HostedView> => this.#call('GET', `/api/v1/tenants/${seg(tenant)}/hosted`),
    /** Lets anonymous clients pull, or stops them (tenant administrators). */
    setPublicRead: (tenant: string, publicRead: boolean): Promise<HostedView> =>
      this.#call('PATCH', `/api/v1/tenants/${seg(tenant)}/hosted`, { body: { publicRead } }),
    /** Removes one version from index, catalog and OCI (tenant administrators). */
    deleteVersion: async (scope: RegistryScope, name: string, version: string): Promise<void> => {
      await this.#send('DELETE', `${hostedPath(scope)}/api/charts/${seg(name)}/${seg(version)}`);
    },
    /** The repository's index.yaml as text; parsing it is the caller's (src/protocol/helm). */
    index: async (scope: RegistryScope): Promise<string> =>
      new TextDecoder().decode(
        (await this.#send('GET', `${hostedPath(scope)}/index.yaml`, { accept: 'application/x-yaml' })).bytes,
      ),
  };

  /** Clusters of a tenant (SPEC §2): the agent token is shown once, on create and on rotation. */
  readonly clusters = clusterApi(this.#transport(), collect);

  /** The agent's side (`/api/v1/agent/*`): this client's token must be a cluster's agent token. */
  readonly agent = agentApi(this.#transport());

  /** What the capability clients in other files (cluster-api.ts) call this client through. */
  #transport(): Transport {
    return {
      call: (method, path, opts) => this.#call(method, path, opts),
      send: (method, path, opts) => this.#send(method, path, opts),
      fail: (code, message) => new ApiError(0, code, message),
    };
  }

  async #call<T>(
    method: string,
    path: string,
    opts: { body?: unknown; query?: Query; anonymous?: boolean } = {},
  ): Promise<T> {
    return (await this.#answer<T>(method, path, opts)).body;
  }

  /** A JSON call, with the status of its success (where 201 and 202 mean different things). */
  async #answer<T>(
    method: string,
    path: string,
    opts: { body?: unknown; query?: Query; anonymous?: boolean } = {},
  ): Promise<{ status: number; body: T }> {
    const { res, bytes } = await this.#send(method, path, opts);
    const text = new TextDecoder().decode(bytes);
    if (text === '') return { status: res.status, body: undefined as T };
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch {
      throw new ApiError(
        res.status,
        'invalid_response',
        `${this.#where()} answered with something that is not JSON.`,
      );
    }
  }

  /** One request; any answer but 2xx becomes an ApiError. `raw` sends bytes instead of a JSON body. */
  async #send(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      raw?: { bytes: Uint8Array; type: string };
      query?: Query;
      anonymous?: boolean;
      accept?: string;
      headers?: Record<string, string>;
      /** A 304 is an answer, not an error (conditional GETs). */
      allowNotModified?: boolean;
    } = {},
  ): Promise<{ res: Response; bytes: Uint8Array }> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...opts.headers, accept: opts.accept ?? 'application/json' };
    if (this.#token && !opts.anonymous) headers.authorization = `Bearer ${this.#token}`;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    } else if (opts.raw !== undefined) {
      headers['content-type'] = opts.raw.type;
      // A copy on its own ArrayBuffer: the DOM's BodyInit refuses a view that may sit on a SharedArrayBuffer.
      init.body = opts.raw.bytes.slice();
    }

    let res: Response;
    let bytes: Uint8Array;
    try {
      res = await this.#fetch(url, init);
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw this.#transportError(err);
    }
    if (res.ok || (res.status === 304 && opts.allowNotModified === true)) return { res, bytes };
    throw errorFromResponse(res, new TextDecoder().decode(bytes), this.#where());
  }

  /** The server's address for messages: without any user:password@ part or query. */
  #where(): string {
    try {
      const u = new URL(this.baseUrl);
      return `the server at ${u.origin}${u.pathname.replace(/\/$/, '')}`;
    } catch {
      return 'the server';
    }
  }

  #transportError(err: unknown): ApiError {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
      return new ApiError(
        0,
        'timeout',
        `${capitalize(this.#where())} did not answer within ${this.#timeoutMs / 1000} s.`,
      );
    }
    return new ApiError(0, 'server_unreachable', `Cannot reach ${this.#where()}: ${networkCause(err)}.`);
  }
}

function errorFromResponse(res: Response, text: string, where: string): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as Partial<Static<typeof ErrorBody>> | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new ApiError(
      res.status,
      error.code,
      error.message,
      Array.isArray(error.details) ? error.details : [],
    );
  }
  // The Helm repository endpoints answer in ChartMuseum's shape, `{"error": "message"}`.
  const plain = (parsed as { error?: unknown } | null | undefined)?.error;
  if (typeof plain === 'string' && plain !== '') return new ApiError(res.status, `http_${res.status}`, plain);
  // Not our error shape: a proxy or load balancer in front of the server answered.
  const reason = res.statusText ? ` ${res.statusText}` : '';
  return new ApiError(
    res.status,
    `http_${res.status}`,
    `${capitalize(where)} answered HTTP ${res.status}${reason}.`,
  );
}

const NETWORK_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is it running, and is the port right?)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name could not be resolved right now',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** undici reports "fetch failed" and hides the reason in `cause` (sometimes an AggregateError). */
function networkCause(err: unknown): string {
  let cause: unknown = err instanceof Error && err.cause !== undefined ? err.cause : err;
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string')
    return NETWORK_CAUSES[code] ?? `${code}${cause instanceof Error ? ` (${cause.message})` : ''}`;
  return cause instanceof Error ? cause.message : String(cause);
}

async function collect<T>(page: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const p = await page(cursor);
    items.push(...p.items);
    if (!p.nextCursor || p.nextCursor === cursor) return items;
    cursor = p.nextCursor;
  }
  return items;
}

/** The hosted Helm repository of a tenant, or the system's (`/helm/system`). */
function hostedPath(scope: RegistryScope): string {
  return `/helm/${scope === 'system' ? 'system' : seg(scope.tenant)}`;
}

function registriesPath(scope: RegistryScope): string {
  return scope === 'system'
    ? '/api/v1/system/registries/helm'
    : `/api/v1/tenants/${seg(scope.tenant)}/registries/helm`;
}

const seg = (s: string): string => encodeURIComponent(s);
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
