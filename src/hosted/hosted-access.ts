import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthService } from '../identity/auth.service.js';
import { SYSTEM_SCOPE_KEY, type Principal } from '../shared/context.js';
import { AuthenticationError, NotFoundError, PermissionError, RateLimitedError } from '../shared/errors.js';
import { TtlCache } from '../shared/ttl-cache.js';
import type { TenantRepository } from '../tenants/tenant.repository.js';
import type { TenantService } from '../tenants/tenant.service.js';
import type { HostedRegistryState, HostedRepository } from './hosted.repository.js';

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

/** How long an OCI bearer token from the token endpoint lives (distribution's default is 300 s). */
export const OCI_TOKEN_SECONDS = 300;
/** A verified Basic credential is trusted this long: bcrypt-class hashing on every pull would cap throughput. */
const CREDENTIAL_CACHE_MS = 5_000;
/** How long before its expiry a cached credential is re-checked in the background. */
const CREDENTIAL_REFRESH_MS = 1_000;
/** Registry state (id, public read, revision) is re-read this often; local writes drop it at once. */
const STATE_CACHE_MS = 1_000;
const API_TOKEN = /^ch[sp]_[A-Za-z0-9_-]{43}$/;
const OCI_TOKEN = /^cho_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

const ALL: ReadonlySet<HostedAction> = new Set(['pull', 'push', 'delete']);
const MEMBER: ReadonlySet<HostedAction> = new Set(['pull', 'push']);
const READER: ReadonlySet<HostedAction> = new Set(['pull']);
const NOTHING: ReadonlySet<HostedAction> = new Set();

/**
 * Who may do what to a hosted registry, for the Helm and OCI protocols (SPEC §3): credentials are
 * Basic (username + password, or username + API token), a Charthouse bearer token (console, CLI,
 * `helm cm-push --access-token`), or an OCI bearer token issued by the token endpoint. Members read and
 * push, tenant admins also delete and force; the system's registry is read by every signed-in user and
 * written by system admins; anonymous callers read only where public read is on. A registry the caller
 * may not see is "not found", exactly like one that does not exist.
 */
export class HostedAccess {
  private readonly credentials = new TtlCache<{ principal: Principal; checkedAt: number }>(
    CREDENTIAL_CACHE_MS,
  );
  private readonly checking = new Map<string, Promise<Principal | null>>();
  private readonly states = new TtlCache<HostedRegistryState>(STATE_CACHE_MS);
  private readonly tokenKey: Buffer;
  private readonly failures: FailureLimiter;

  constructor(
    private readonly auth: AuthService,
    private readonly tenants: TenantService,
    private readonly tenantRows: TenantRepository,
    private readonly hosted: HostedRepository,
    secretKey: Buffer,
    failuresPerMinute: number,
  ) {
    this.failures = new FailureLimiter(failuresPerMinute);
    this.tokenKey = createHmac('sha256', secretKey).update('charthouse/oci-token/v1').digest();
  }

  /** The caller named by an Authorization header; null when there is none. Bad credentials are 401. */
  async caller(authorization: string | undefined, clientIp: string): Promise<Principal | null> {
    if (authorization === undefined || authorization === '') return null;
    const [scheme = '', value = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme.toLowerCase() === 'basic') {
      // Basic is a password check like the login route: failures are limited per client the same way.
      this.failures.check(clientIp);
      try {
        return await this.basic(value);
      } catch (err) {
        if (err instanceof AuthenticationError) this.failures.record(clientIp);
        throw err;
      }
    }
    if (scheme.toLowerCase() === 'bearer') {
      if (OCI_TOKEN.test(value)) return this.verifyToken(value);
      return this.auth.authenticate(value);
    }
    throw new AuthenticationError('Send "Authorization: Basic" or "Authorization: Bearer" credentials.');
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

  /** An OCI bearer token for `principal` (null: anonymous), valid {@link OCI_TOKEN_SECONDS}. */
  issueToken(
    principal: Principal | null,
    now = Date.now(),
  ): { token: string; expiresIn: number; issuedAt: string } {
    const payload = Buffer.from(
      JSON.stringify({
        u: principal?.userId ?? null,
        n: principal?.username ?? null,
        a: principal?.isSystemAdmin ? 1 : 0,
        e: Math.floor(now / 1000) + OCI_TOKEN_SECONDS,
      }),
    ).toString('base64url');
    return {
      token: `cho_${payload}.${this.sign(payload)}`,
      expiresIn: OCI_TOKEN_SECONDS,
      issuedAt: new Date(now).toISOString(),
    };
  }

  private async basic(value: string): Promise<Principal> {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      throw new AuthenticationError('Basic credentials must be "username:password", base64-encoded.');
    const username = decoded.slice(0, colon).toLowerCase();
    const secret = decoded.slice(colon + 1);
    const key = createHash('sha256').update(`${username}\u0000${secret}`).digest('base64');
    const cached = this.credentials.get(key);
    if (cached) {
      // Re-checked shortly before it expires, in the background: a steady stream of pulls never
      // waits for a password hash, and all of them never wait for one at the same moment.
      if (Date.now() - cached.checkedAt > CREDENTIAL_CACHE_MS - CREDENTIAL_REFRESH_MS) {
        this.check(key, username, secret).catch(() => undefined);
      }
      return cached.principal;
    }
    const principal = await this.check(key, username, secret);
    if (principal === null)
      throw new AuthenticationError('The username, password or token is wrong.', 'invalid_credentials');
    return principal;
  }

  /** One check per credential at a time: concurrent requests with the same credential share it. */
  private check(key: string, username: string, secret: string): Promise<Principal | null> {
    const pending = this.checking.get(key);
    if (pending) return pending;
    const checking = (async () => {
      let principal: Principal | null;
      if (API_TOKEN.test(secret)) {
        // An API token in the password field (docker/helm login with a token): it must be the user's own.
        // Only a token that does not check out is "wrong credentials"; a database outage is a 503 and
        // must not count as a failed sign-in.
        const owner = await this.auth.authenticate(secret).catch((err: unknown) => {
          if (err instanceof AuthenticationError) return null;
          throw err;
        });
        principal = owner !== null && owner.username === username ? owner : null;
      } else {
        principal = await this.auth.verifyCredentials(username, secret);
      }
      if (principal === null) this.credentials.delete(key);
      else this.credentials.set(key, { principal, checkedAt: Date.now() });
      return principal;
    })().finally(() => this.checking.delete(key));
    this.checking.set(key, checking);
    return checking;
  }

  private verifyToken(token: string): Principal | null {
    const [, payload = '', signature = ''] = OCI_TOKEN.exec(token) ?? [];
    const expected = Buffer.from(this.sign(payload), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AuthenticationError('The registry token is not valid: log in again.', 'invalid_token');
    }
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      u: string | null;
      n: string | null;
      a: number;
      e: number;
    };
    if (claims.e * 1000 <= Date.now())
      throw new AuthenticationError('The registry token has expired: ask for a new one.', 'invalid_token');
    if (claims.u === null || claims.n === null) return null;
    return { userId: claims.u, username: claims.n, isSystemAdmin: claims.a === 1 };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.tokenKey).update(payload).digest('base64url');
  }

  private async state(slug: string): Promise<HostedRegistryState | null> {
    const cached = this.states.get(slug);
    if (cached) return cached;
    let scope: string;
    if (slug === SYSTEM_SCOPE_KEY) scope = SYSTEM_SCOPE_KEY;
    else {
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

function unknownRegistry(slug: string): HostedRegistryState {
  return { id: '', scope: '', name: slug, publicRead: false, revision: 0, lastWrite: null };
}

/** Failed credential checks per client address in a one-minute window; past the limit, 429. */
class FailureLimiter {
  private readonly windows = new Map<string, { count: number; until: number }>();

  constructor(private readonly perMinute: number) {}

  check(client: string, now = Date.now()): void {
    const window = this.windows.get(client);
    if (window === undefined || window.until <= now) return;
    if (window.count >= this.perMinute) {
      const seconds = Math.ceil((window.until - now) / 1000);
      throw new RateLimitedError(
        `Too many failed sign-ins: wait ${seconds} s and check the credentials.`,
        seconds,
      );
    }
  }

  record(client: string, now = Date.now()): void {
    const window = this.windows.get(client);
    if (window === undefined || window.until <= now) {
      // Expired windows go as new failures arrive, so the map stays as small as the attackers.
      if (this.windows.size >= 10_000) this.windows.clear();
      this.windows.set(client, { count: 1, until: now + 60_000 });
    } else window.count += 1;
  }
}
