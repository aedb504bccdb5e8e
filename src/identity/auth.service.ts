import { randomBytes } from 'node:crypto';
import type { Principal } from '../shared/context.js';
import { AuthenticationError, InvalidRequestError } from '../shared/errors.js';
import { hashToken, newId, newToken, nowIso } from '../shared/ids.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../shared/password.js';
import { TtlCache } from '../shared/ttl-cache.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { UserRepository, UserRow } from './user.repository.js';

export interface IssuedToken {
  id: string;
  name: string;
  token: string;
  expiresAt: string | null;
  createdAt: string;
}

export const USERNAME_PATTERN = /^[a-z0-9]([a-z0-9._@-]{0,62}[a-z0-9])?$/;
export const MIN_PASSWORD_LENGTH = 8;

/** How long a token, once found valid, is trusted without asking the database again. */
const TOKEN_CACHE_MS = 5_000;

/** Sign-in, bearer tokens and the bootstrap administrator. */
export class AuthService {
  /**
   * Tokens found valid, by hash: every API request authenticates, and the answer changes only when
   * the token expires (never kept past its expiry). A future revocation endpoint must delete here too;
   * other server processes then trust the token for at most TOKEN_CACHE_MS more.
   */
  private readonly valid = new TtlCache<Principal>(TOKEN_CACHE_MS);

  constructor(
    private readonly users: UserRepository,
    private readonly sessionTtlMinutes: number,
  ) {}

  /** Exchange a username and password for a session token. The same error for "no such user" and "wrong password". */
  async login(username: string, password: string): Promise<{ token: string; expiresAt: string }> {
    const user = await this.findUser(username);
    const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
    if (!user || !user.password_hash || !ok) {
      throw new AuthenticationError('The username or password is wrong.', 'invalid_credentials');
    }
    const expiresAt = new Date(Date.now() + this.sessionTtlMinutes * 60_000).toISOString();
    const issued = await this.issue(user.id, 'session', 'session', expiresAt);
    return { token: issued.token, expiresAt };
  }

  async createPersonalToken(
    principal: Principal,
    name: string,
    expiresInDays?: number,
  ): Promise<IssuedToken> {
    const expiresAt =
      expiresInDays === undefined ? null : new Date(Date.now() + expiresInDays * 86_400_000).toISOString();
    return this.issue(principal.userId, 'personal', name, expiresAt);
  }

  /** Resolve a bearer token to its user, or throw 401. */
  async authenticate(token: string): Promise<Principal> {
    if (!/^ch[sp]_[A-Za-z0-9_-]{43}$/.test(token))
      throw new AuthenticationError('The token is not valid: sign in again.', 'invalid_token');
    const hash = hashToken(token);
    const cached = this.valid.get(hash);
    if (cached) return cached;
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
    this.valid.set(hash, principal, expires);
    return principal;
  }

  /** Check a username and password without issuing anything (Basic auth for Helm clients, later). */
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
    return USERNAME_PATTERN.test(username) ? this.users.findByUsername(username) : Promise.resolve(undefined);
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
    if (!USERNAME_PATTERN.test(username))
      throw new InvalidRequestError(`CHARTHOUSE_ADMIN_USERNAME "${username}" is not a valid username.`);
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
