import { randomBytes } from 'node:crypto';
import type { Principal } from '../shared/context.js';
import { AuthenticationError, ConflictError, InvalidRequestError, NotFoundError } from '../shared/errors.js';
import { hashToken, newId, newToken, nowIso } from '../shared/ids.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../shared/password.js';
import { TtlCache } from '../shared/ttl-cache.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { AccessChanges } from './access-changes.js';
import { passwordProblem } from './password-policy.js';
import type { SignInLimiter } from './sign-in-limiter.js';
import type { UserRepository, UserRow } from './user.repository.js';

export interface IssuedToken {
  id: string;
  name: string;
  token: string;
  expiresAt: string | null;
  createdAt: string;
}

/** A personal API token as its owner sees it in a list: never the secret, nor its hash. */
export interface TokenView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

/** Usernames are stored lowercase and compared so: `Alice` signs in as `alice` on every protocol. */
export const USERNAME_PATTERN = /^[a-z0-9]([a-z0-9._@-]{0,62}[a-z0-9])?$/;
export const normalizeUsername = (username: string): string => username.toLowerCase();

/** How long a token, once found valid, is trusted without asking the database again. */
const TOKEN_CACHE_MS = 5_000;
/** A personal token lives this long unless its creator chooses another lifetime (or none). */
export const DEFAULT_TOKEN_DAYS = 90;
/** Personal tokens one user may hold at once: enough for every CI system, not a table to fill. */
const MAX_PERSONAL_TOKENS = 100;

/** Sign-in, bearer tokens and the bootstrap administrator. */
export class AuthService {
  /**
   * Tokens found valid, by hash: every API request authenticates, and the answer changes only when
   * the token expires (never kept past its expiry) or is revoked (an {@link AccessChanges} event).
   */
  private readonly valid = new TtlCache<Principal>(TOKEN_CACHE_MS);
  /** Bumped by every revocation: a lookup that started before one does not cache what it found. */
  private revocations = 0;

  constructor(
    private readonly users: UserRepository,
    private readonly sessionTtlMinutes: number,
    /** Counts every password check, on every protocol (the login route, Basic auth, OCI tokens). */
    readonly limiter: SignInLimiter,
    private readonly changes: AccessChanges,
  ) {
    changes.subscribe((change) => {
      if (change.kind === 'membership-changed') return;
      this.revocations += 1;
      if (change.kind === 'everything') this.valid.clear();
      else for (const hash of change.tokenHashes) this.valid.delete(hash);
    });
  }

  /**
   * Exchange a username and password for a session token. The same error for "no such user" and
   * "wrong password"; every attempt counts against the client's address before the password is checked.
   */
  async login(
    username: string,
    password: string,
    client: string,
  ): Promise<{ token: string; expiresAt: string }> {
    const principal = await this.limiter.attempt(client, () => this.verifyCredentials(username, password));
    if (principal === null) {
      throw new AuthenticationError('The username or password is wrong.', 'invalid_credentials');
    }
    const expiresAt = new Date(Date.now() + this.sessionTtlMinutes * 60_000).toISOString();
    const issued = await this.issue(principal.userId, 'session', 'session', expiresAt);
    return { token: issued.token, expiresAt };
  }

  /** Ends the session `token` belongs to: it is refused from now on, by every protocol. */
  async logout(token: string): Promise<void> {
    const principal = await this.authenticate(token);
    if (!token.startsWith('chs_')) {
      // A personal token (CI's CHARTHOUSE_TOKEN) is not ended by a sign-out that may run in a script
      // for other reasons: it is revoked by id, where its owner sees which one goes.
      throw new InvalidRequestError(
        'Sign-out ends a session, and this is a personal API token: revoke it with DELETE /api/v1/auth/tokens/{id} (charthouse token revoke).',
        undefined,
        'not_a_session',
      );
    }
    const hash = hashToken(token);
    await this.users.deleteTokenByHash(hash);
    this.changes.publish({ kind: 'tokens-revoked', userId: principal.userId, tokenHashes: [hash] });
  }

  /**
   * A personal API token, shown once. It expires after {@link DEFAULT_TOKEN_DAYS} days unless the caller
   * asks for another lifetime: a number of days, or `null` for a token that never expires (said
   * explicitly, never by leaving the field out).
   */
  async createPersonalToken(
    principal: Principal,
    name: string,
    expiresInDays?: number | null,
  ): Promise<IssuedToken> {
    const now = nowIso();
    const held = await this.users.listPersonalTokens(principal.userId, now);
    if (held.length >= MAX_PERSONAL_TOKENS) {
      throw new ConflictError(
        'too_many_tokens',
        `You hold ${held.length} API tokens, the most allowed: revoke the ones you no longer use first.`,
      );
    }
    const days = expiresInDays === undefined ? DEFAULT_TOKEN_DAYS : expiresInDays;
    const expiresAt = days === null ? null : new Date(Date.now() + days * 86_400_000).toISOString();
    return this.issue(principal.userId, 'personal', name, expiresAt);
  }

  /** The caller's personal API tokens that have not expired, newest first. */
  async listTokens(principal: Principal): Promise<TokenView[]> {
    const rows = await this.users.listPersonalTokens(principal.userId, nowIso());
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      expiresAt: r.expires_at,
    }));
  }

  /** Revokes one of the caller's personal tokens; another user's is "not found". */
  async revokeToken(principal: Principal, id: string): Promise<void> {
    const hash = await this.users.deleteToken(principal.userId, id, 'personal');
    if (hash === undefined) throw new NotFoundError('API token', id);
    this.changes.publish({ kind: 'tokens-revoked', userId: principal.userId, tokenHashes: [hash] });
  }

  /** Resolve a bearer token to its user, or throw 401. */
  async authenticate(token: string): Promise<Principal> {
    if (!/^ch[sp]_[A-Za-z0-9_-]{43}$/.test(token))
      throw new AuthenticationError('The token is not valid: sign in again.', 'invalid_token');
    const hash = hashToken(token);
    const cached = this.valid.get(hash);
    if (cached) return cached;
    const generation = this.revocations;
    const now = nowIso();
    const found = await this.users.findActiveToken(hash, now);
    if (!found)
      throw new AuthenticationError('The token is not valid or has expired: sign in again.', 'invalid_token');
    // Personal tokens record when they were last used (to the hour), so stale ones can be spotted and
    // revoked; a cached token is at most seconds from its last check.
    if (found.token.kind === 'personal' && (found.token.last_used_at ?? '') < now.slice(0, 13)) {
      await this.users.touchToken(found.token.id, now);
    }
    const principal = toPrincipal(found.user);
    const expires = found.token.expires_at === null ? Infinity : Date.parse(found.token.expires_at);
    if (generation === this.revocations) this.valid.set(hash, principal, expires);
    return principal;
  }

  /**
   * Check a username and password without issuing anything (Basic auth for Helm and OCI clients).
   * Callers count the attempt first ({@link limiter}); the login route does it itself.
   */
  async verifyCredentials(username: string, password: string): Promise<Principal | null> {
    const user = await this.findUser(username);
    const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
    return user && user.password_hash && ok ? toPrincipal(user) : null;
  }

  /**
   * Every stored username matches USERNAME_PATTERN; one that does not (a NUL from a Basic header or a
   * login body, which PostgreSQL refuses) is unknown without a query. The password check still runs.
   */
  private findUser(username: string): Promise<UserRow | undefined> {
    const name = normalizeUsername(username);
    return USERNAME_PATTERN.test(name) ? this.users.findByUsername(name) : Promise.resolve(undefined);
  }

  /** Forget sessions and tokens past their expiry; run at start-up so the table does not only grow. */
  async pruneExpiredTokens(): Promise<void> {
    await this.users.deleteExpiredTokens(nowIso());
  }

  /**
   * Create the first system administrator when there is none. Returns the generated password when
   * one had to be made up, so the caller can print it exactly once.
   */
  async bootstrapAdmin(
    username: string,
    configuredPassword: string | null,
  ): Promise<{ created: boolean; generatedPassword: string | null }> {
    if ((await this.users.countSystemAdmins()) > 0) return { created: false, generatedPassword: null };
    username = normalizeUsername(username);
    if (!USERNAME_PATTERN.test(username))
      throw new InvalidRequestError(`CHARTHOUSE_ADMIN_USERNAME "${username}" is not a valid username.`);
    const weak = configuredPassword === null ? null : passwordProblem(configuredPassword, username);
    if (weak !== null) throw new InvalidRequestError(`CHARTHOUSE_ADMIN_PASSWORD ${weak}.`);
    const password = configuredPassword ?? randomBytes(18).toString('base64url');
    try {
      await this.users.insert({
        id: newId(),
        username,
        password_hash: await hashPassword(password),
        is_system_admin: 1,
        created_at: nowIso(),
      });
    } catch (err) {
      // Several server processes starting together on one database: another one created it first.
      if (isUniqueViolation(err)) return { created: false, generatedPassword: null };
      throw err;
    }
    return { created: true, generatedPassword: configuredPassword ? null : password };
  }

  private async issue(
    userId: string,
    kind: 'session' | 'personal',
    name: string,
    expiresAt: string | null,
  ): Promise<IssuedToken> {
    const token = newToken(kind === 'session' ? 'chs' : 'chp');
    const row = {
      id: newId(),
      user_id: userId,
      name,
      kind,
      token_hash: hashToken(token),
      expires_at: expiresAt,
      last_used_at: null,
      created_at: nowIso(),
    };
    await this.users.insertToken(row);
    return { id: row.id, name, token, expiresAt, createdAt: row.created_at };
  }
}

export function toPrincipal(user: UserRow): Principal {
  return { userId: user.id, username: user.username, isSystemAdmin: user.is_system_admin === 1 };
}
