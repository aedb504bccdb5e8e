import { createHash } from 'node:crypto';
import type { AccessChanges } from '../identity/access-changes.js';
import { normalizeUsername, type AuthService } from '../identity/auth.service.js';
import { formatScope, scopeAllows, type ResourceScope } from '../protocol/oci/token-scope.js';
import { SYSTEM_SCOPE_KEY, type Principal } from '../shared/context.js';
import {
  AuthenticationError,
  InsufficientScopeError,
  NotFoundError,
  PermissionError,
} from '../shared/errors.js';
import { TtlCache } from '../shared/ttl-cache.js';
import type { TenantRepository } from '../tenants/tenant.repository.js';
import { TENANT_NAME_PATTERN } from '../tenants/tenant.schema.js';
import type { TenantService } from '../tenants/tenant.service.js';
import type { HostedRegistryState, HostedRepository } from './hosted.repository.js';
import { isOciToken, OciTokenSigner } from './oci-token.js';

/** What a caller may do to a hosted registry: read, push (members), delete and force (admins). */
export type HostedAction = 'pull' | 'push' | 'delete';

/** The hosted registry a request addresses, with who asks and what they may do there. */
export interface HostedTarget {
  /** The tenant slug in the URL, or "system". */
  slug: string;
  registry: HostedRegistryState;
  principal: Principal | null;
  allowed: ReadonlySet<HostedAction>;
}

/** Who calls the OCI API, and what their OCI token (if that is the credential) lets them do. */
export interface OciCaller {
  principal: Principal | null;
  /**
   * The scopes of an OCI bearer token; null for Basic credentials and Charthouse tokens, which carry
   * the user's full rights.
   */
  access: readonly ResourceScope[] | null;
}

/** How long an OCI bearer token from the token endpoint lives (distribution's default is 300 s). */
export const OCI_TOKEN_SECONDS = 300;
/** A verified Basic credential is trusted this long: bcrypt-class hashing on every pull would cap throughput. */
const CREDENTIAL_CACHE_MS = 5_000;
/** How long before its expiry a cached credential is re-checked in the background. */
const CREDENTIAL_REFRESH_MS = 1_000;
/** Registry state (id, public read, revision) is re-read this often; local writes drop it at once. */
const STATE_CACHE_MS = 1_000;
const API_TOKEN = /^ch[sp]_[A-Za-z0-9_-]{43}$/;

const ALL: ReadonlySet<HostedAction> = new Set(['pull', 'push', 'delete']);
const MEMBER: ReadonlySet<HostedAction> = new Set(['pull', 'push']);
const READER: ReadonlySet<HostedAction> = new Set(['pull']);
const NOTHING: ReadonlySet<HostedAction> = new Set();
/**
 * The token actions a hosted action needs, as distribution asks them of a token: writes need pull and
 * push (a push reads too: HEAD before PUT), a delete needs delete.
 */
const TOKEN_ACTIONS: Readonly<Record<HostedAction, readonly string[]>> = {
  pull: ['pull'],
  push: ['pull', 'push'],
  delete: ['delete'],
};
const CATALOG_SCOPE: ResourceScope = { type: 'registry', name: 'catalog', actions: ['*'] };

/**
 * Who may do what to a hosted registry, for the Helm and OCI protocols (SPEC §3): credentials are
 * Basic (username + password, or username + API token), a Charthouse bearer token (console, CLI,
 * `helm cm-push --access-token`), or an OCI bearer token issued by the token endpoint. Members read and
 * push, tenant admins also delete and force; the system's registry is read by every signed-in user and
 * written by system admins; anonymous callers read only where public read is on. A registry the caller
 * may not see is "not found", exactly like one that does not exist. An OCI token narrows the user's
 * rights to the scopes it was granted, on /v2 only; the rights themselves are decided per request.
 */
export class HostedAccess {
  private readonly credentials = new TtlCache<{ principal: Principal; checkedAt: number }>(
    CREDENTIAL_CACHE_MS,
  );
  private readonly checking = new Map<string, Promise<Principal | null>>();
  private readonly states = new TtlCache<HostedRegistryState>(STATE_CACHE_MS);
  private readonly tokens: OciTokenSigner;
  /** Bumped by every revocation: a check that started before one does not cache what it found. */
  private revocations = 0;

  constructor(
    private readonly auth: AuthService,
    private readonly tenants: TenantService,
    private readonly tenantRows: TenantRepository,
    private readonly hosted: HostedRepository,
    secretKey: Buffer,
    changes: AccessChanges,
  ) {
    this.tokens = new OciTokenSigner(secretKey);
    // A revoked token may be cached here as a Basic password: forget every credential of that user
    // (the others are re-checked on their next use, which costs one password check each).
    changes.subscribe((change) => {
      if (change.kind === 'membership-changed') return;
      this.revocations += 1;
      if (change.kind === 'everything') this.credentials.clear();
      else this.credentials.deleteWhere((_key, entry) => entry.principal.userId === change.userId);
    });
  }

  /** The caller named by an Authorization header; null when there is none. Bad credentials are 401. */
  async caller(authorization: string | undefined, clientIp: string): Promise<Principal | null> {
    if (authorization === undefined || authorization === '') return null;
    const [scheme = '', value = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme.toLowerCase() === 'basic') return this.basic(value, clientIp);
    if (scheme.toLowerCase() === 'bearer') {
      // An OCI token is scoped to OCI resources: it opens nothing here (ociCaller reads it for /v2), and
      // the token endpoint does not trade it for a wider one.
      if (isOciToken(value)) {
        throw new AuthenticationError(
          'A registry token from /v2/token only opens the OCI API: send Basic credentials or a Charthouse API token.',
          'invalid_token',
        );
      }
      return this.auth.authenticate(value);
    }
    throw new AuthenticationError('Send "Authorization: Basic" or "Authorization: Bearer" credentials.');
  }

  /** The caller of an OCI request: an OCI token's user and scopes, or any other credential's user. */
  async ociCaller(authorization: string | undefined, clientIp: string): Promise<OciCaller> {
    const [scheme = '', value = ''] = (authorization ?? '').trim().split(/\s+/, 2);
    if (scheme.toLowerCase() === 'bearer' && isOciToken(value)) {
      const claims = this.tokens.verify(value);
      return { principal: claims.principal, access: claims.access };
    }
    return { principal: await this.caller(authorization, clientIp), access: null };
  }

  /**
   * Opens `repository` (`<slug>/...`) for `action`: the user's rights first (401 / 403 / 404, as for
   * every credential), then an OCI token's scope (401 insufficient scope, so the client asks for it).
   */
  async openOci(caller: OciCaller, repository: string, action: HostedAction): Promise<HostedTarget> {
    const target = await this.open(caller.principal, repository.split('/')[0] ?? '', action);
    const needed = TOKEN_ACTIONS[action];
    const { access } = caller;
    if (access !== null && !needed.every((a) => scopeAllows(access, 'repository', repository, a))) {
      throw new InsufficientScopeError(
        `This registry token does not grant ${needed.join(' and ')} on ${repository}: ask the token endpoint for it.`,
        formatScope({ type: 'repository', name: repository, actions: [...needed] }),
      );
    }
    return target;
  }

  /** `/v2/_catalog`: a signed-in caller, whose OCI token (if any) grants `registry:catalog:*`. */
  openCatalog(caller: OciCaller): Principal {
    if (caller.principal === null) throw new AuthenticationError('Sign in to list repositories.');
    const { access } = caller;
    if (access !== null && !scopeAllows(access, CATALOG_SCOPE.type, CATALOG_SCOPE.name, '*')) {
      throw new InsufficientScopeError(
        'This registry token does not grant the catalog: ask the token endpoint for registry:catalog:*.',
        formatScope(CATALOG_SCOPE),
      );
    }
    return caller.principal;
  }

  /**
   * What the token endpoint grants of `requested`: each repository scope cut down to what the caller
   * may do in its tenant now (`*` only for who may do everything), and the catalog to anyone signed
   * in (it lists only what they can see). Anything else is left out, not refused (distribution's rule).
   */
  async grant(principal: Principal | null, requested: readonly ResourceScope[]): Promise<ResourceScope[]> {
    const granted: ResourceScope[] = [];
    for (const scope of requested) {
      if (scope.type === CATALOG_SCOPE.type && scope.name === CATALOG_SCOPE.name) {
        if (principal !== null && scope.actions.includes('*')) granted.push(CATALOG_SCOPE);
        continue;
      }
      if (scope.type !== 'repository') continue;
      const { allowed } = await this.resolve(principal, scope.name.split('/')[0] ?? '');
      const actions = scope.actions.filter((a) =>
        a === '*' ? allowed.has('delete') : isHostedAction(a) && allowed.has(a),
      );
      if (actions.length > 0) granted.push({ ...scope, actions });
    }
    return granted;
  }

  /** Opens the hosted registry of `slug` for `action`, or throws 401 / 403 / 404. */
  async open(principal: Principal | null, slug: string, action: HostedAction): Promise<HostedTarget> {
    const target = await this.resolve(principal, slug);
    if (target.allowed.has(action)) return target;
    if (principal === null) throw new AuthenticationError('Sign in: this registry needs credentials.');
    if (!target.allowed.has('pull')) throw new NotFoundError('Registry', slug);
    throw new PermissionError(
      action === 'push'
        ? `You may read but not push to "${slug}": ${slug === SYSTEM_SCOPE_KEY ? 'only system administrators push to the system registry' : 'ask a tenant administrator for membership'}.`
        : `Only ${slug === SYSTEM_SCOPE_KEY ? 'system' : 'tenant'} administrators may delete or overwrite charts in "${slug}".`,
      'denied',
    );
  }

  /** What `principal` may do to `slug`'s registry (an empty set for one it cannot see). */
  async resolve(principal: Principal | null, slug: string): Promise<HostedTarget> {
    const registry = await this.state(slug);
    if (registry === null) return { slug, registry: unknownRegistry(slug), principal, allowed: NOTHING };
    const allowed = await this.allowedActions(principal, slug, registry);
    return { slug, registry, principal, allowed };
  }

  /** The registries a signed-in caller can list: the system's and every tenant they belong to. */
  async visibleSlugs(principal: Principal): Promise<string[]> {
    if (principal.isSystemAdmin) {
      const all = await this.tenantRows.list(10_000);
      return [SYSTEM_SCOPE_KEY, ...all.map((t) => t.name)];
    }
    const mine = await this.tenantRows.membershipsOf(principal.userId);
    return [SYSTEM_SCOPE_KEY, ...mine.map((m) => m.name)];
  }

  /** Drops the cached state of a registry this process just wrote. */
  forget(slug: string): void {
    this.states.delete(slug);
  }

  /**
   * An OCI bearer token for `principal` (null: anonymous) carrying `access` (what {@link grant}
   * returned), valid {@link OCI_TOKEN_SECONDS}.
   */
  issueToken(
    principal: Principal | null,
    access: readonly ResourceScope[],
    now = Date.now(),
  ): { token: string; expiresIn: number; issuedAt: string } {
    const token = this.tokens.sign({
      principal,
      expires: Math.floor(now / 1000) + OCI_TOKEN_SECONDS,
      access: [...access],
    });
    return { token, expiresIn: OCI_TOKEN_SECONDS, issuedAt: new Date(now).toISOString() };
  }

  private async basic(value: string, clientIp: string): Promise<Principal> {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      throw new AuthenticationError('Basic credentials must be "username:password", base64-encoded.');
    const username = normalizeUsername(decoded.slice(0, colon));
    const secret = decoded.slice(colon + 1);
    const key = createHash('sha256').update(`${username}\u0000${secret}`).digest('base64');
    const cached = this.credentials.get(key);
    if (cached) {
      // Re-checked shortly before it expires, in the background: a steady stream of pulls never
      // waits for a password hash, and all of them never wait for one at the same moment.
      if (Date.now() - cached.checkedAt > CREDENTIAL_CACHE_MS - CREDENTIAL_REFRESH_MS) {
        this.check(key, username, secret, clientIp).catch(() => undefined);
      }
      return cached.principal;
    }
    const principal = await this.check(key, username, secret, clientIp);
    if (principal === null)
      throw new AuthenticationError('The username, password or token is wrong.', 'invalid_credentials');
    return principal;
  }

  /**
   * One check per credential at a time: concurrent requests with the same credential share it, and
   * count once against the client's sign-in limit (taken before the password is hashed, so a burst of
   * wrong credentials is refused with 429 instead of costing a hash each).
   */
  private check(key: string, username: string, secret: string, clientIp: string): Promise<Principal | null> {
    const pending = this.checking.get(key);
    if (pending) return pending;
    const generation = this.revocations;
    const checking = this.auth.limiter
      .attempt(clientIp, async () => {
        if (API_TOKEN.test(secret)) {
          // An API token in the password field (docker/helm login with a token): it must be the user's own.
          // Only a token that does not check out is "wrong credentials"; a database outage is a 503 and
          // must not count as a failed sign-in.
          const owner = await this.auth.authenticate(secret).catch((err: unknown) => {
            if (err instanceof AuthenticationError) return null;
            throw err;
          });
          return owner !== null && owner.username === username ? owner : null;
        }
        return this.auth.verifyCredentials(username, secret);
      })
      .then((principal) => {
        if (principal === null || generation !== this.revocations) this.credentials.delete(key);
        else this.credentials.set(key, { principal, checkedAt: Date.now() });
        return principal;
      })
      .finally(() => this.checking.delete(key));
    this.checking.set(key, checking);
    return checking;
  }

  private async state(slug: string): Promise<HostedRegistryState | null> {
    const cached = this.states.get(slug);
    if (cached) return cached;
    let scope: string;
    if (slug === SYSTEM_SCOPE_KEY) scope = SYSTEM_SCOPE_KEY;
    else {
      // Slugs also come from token scopes and forms, not only checked paths: one that cannot exist
      // (a NUL, which PostgreSQL refuses) names no registry and is never looked up.
      if (!TENANT_NAME_PATTERN.test(slug)) return null;
      const tenant = await this.tenantRows.findByName(slug);
      if (!tenant) return null;
      scope = tenant.id;
    }
    const state = await this.hosted.findRegistry(scope);
    if (!state) return null;
    this.states.set(slug, state);
    return state;
  }

  private async allowedActions(
    principal: Principal | null,
    slug: string,
    registry: HostedRegistryState,
  ): Promise<ReadonlySet<HostedAction>> {
    if (principal === null) return registry.publicRead ? READER : NOTHING;
    if (slug === SYSTEM_SCOPE_KEY) return principal.isSystemAdmin ? ALL : READER;
    try {
      const scope = await this.tenants.enter(principal, slug);
      return scope.role === 'admin' ? ALL : MEMBER;
    } catch (err) {
      if (err instanceof NotFoundError) return registry.publicRead ? READER : NOTHING;
      throw err;
    }
  }
}

const isHostedAction = (action: string): action is HostedAction => Object.hasOwn(TOKEN_ACTIONS, action);

function unknownRegistry(slug: string): HostedRegistryState {
  return { id: '', scope: '', name: slug, publicRead: false, revision: 0, lastWrite: null };
}
