import { MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from '../identity/auth.service.js';
import type { UserRepository } from '../identity/user.repository.js';
import type { Principal, Scope, TenantRole } from '../shared/context.js';
import { SYSTEM_SCOPE_KEY } from '../shared/context.js';
import { ConflictError, InvalidRequestError, NotFoundError, PermissionError } from '../shared/errors.js';
import { newId, nowIso } from '../shared/ids.js';
import { hashPassword } from '../shared/password.js';
import { TtlCache } from '../shared/ttl-cache.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { TenantRepository, TenantRow } from './tenant.repository.js';
import { TENANT_NAME_PATTERN } from './tenant.schema.js';

export interface TenantView {
  id: string;
  name: string;
  displayName: string;
  createdAt: string;
}

export interface MemberView {
  username: string;
  role: TenantRole;
  createdAt: string;
}

const view = (t: TenantRow): TenantView => ({
  id: t.id,
  name: t.name,
  displayName: t.display_name,
  createdAt: t.created_at,
});

/** Tenants, memberships, and the one place that decides whether a caller may enter a tenant. */
/** How long a resolved tenant scope is reused (see TenantService.scopes). */
const SCOPE_CACHE_MS = 5_000;

export class TenantService {
  /**
   * Scopes already resolved, by user and tenant name: every tenant request resolves one, and a role
   * changes rarely. Only memberships found are kept (a user just added is never refused from the
   * cache); a role changed here is forgotten at once, one changed through another server process is
   * seen within {@link SCOPE_CACHE_MS}.
   */
  private readonly scopes = new TtlCache<Scope & { kind: 'tenant' }>(SCOPE_CACHE_MS);
  /** Called once a tenant exists (the hosted registry is created here; wired in app.ts). */
  onCreated: (tenant: { id: string; name: string }) => Promise<void> = async () => undefined;

  constructor(
    private readonly tenants: TenantRepository,
    private readonly users: UserRepository,
  ) {}

  async create(principal: Principal, input: { name: string; displayName?: string }): Promise<TenantView> {
    requireSystemAdmin(principal);
    if (input.name === SYSTEM_SCOPE_KEY) {
      throw new InvalidRequestError('"system" is reserved: choose another tenant name.', [
        { field: 'name', message: 'reserved' },
      ]);
    }
    const row: TenantRow = {
      id: newId(),
      name: input.name,
      display_name: input.displayName ?? input.name,
      created_at: nowIso(),
    };
    try {
      await this.tenants.insert(row);
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError('tenant_exists', `A tenant named "${input.name}" already exists.`);
      throw err;
    }
    await this.onCreated(row);
    return view(row);
  }

  async list(
    principal: Principal,
    limit: number,
    after?: string,
  ): Promise<{ items: TenantView[]; nextCursor?: string }> {
    requireSystemAdmin(principal);
    const rows = await this.tenants.list(limit + 1, after);
    const items = rows.slice(0, limit).map(view);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: last.name } : { items };
  }

  /**
   * The scope for a tenant route. A caller who is not a member gets 404, exactly like a tenant that
   * does not exist, so tenant names cannot be probed. System administrators administer every tenant.
   */
  async enter(principal: Principal, tenantName: string): Promise<Scope & { kind: 'tenant' }> {
    const key = `${principal.userId}\u0000${tenantName}`;
    const cached = this.scopes.get(key);
    if (cached) return cached;
    const scope = await this.resolveScope(principal, tenantName);
    this.scopes.set(key, scope);
    return scope;
  }

  private async resolveScope(principal: Principal, tenantName: string): Promise<Scope & { kind: 'tenant' }> {
    const tenant = TENANT_NAME_PATTERN.test(tenantName)
      ? await this.tenants.findByName(tenantName)
      : undefined;
    if (!tenant) throw new NotFoundError('Tenant', tenantName);
    if (principal.isSystemAdmin)
      return { kind: 'tenant', tenantId: tenant.id, tenantName: tenant.name, role: 'admin' };
    const membership = await this.tenants.findMembership(tenant.id, principal.userId);
    if (!membership) throw new NotFoundError('Tenant', tenantName);
    return { kind: 'tenant', tenantId: tenant.id, tenantName: tenant.name, role: membership.role };
  }

  async addMember(
    scope: Scope & { kind: 'tenant' },
    input: { username: string; password?: string; role: TenantRole },
  ): Promise<MemberView> {
    if (scope.role !== 'admin') throw new PermissionError('Only tenant administrators can add members.');
    const username = input.username.toLowerCase();
    if (!USERNAME_PATTERN.test(username)) {
      throw new InvalidRequestError(
        'username may hold lowercase letters, digits, ".", "_", "@" and "-" (at most 64).',
        [{ field: 'username', message: 'invalid' }],
      );
    }
    let user = await this.users.findByUsername(username);
    if (user && input.password !== undefined) {
      // A tenant admin must not be able to reset the password of a user who also belongs elsewhere.
      throw new InvalidRequestError(
        `User "${username}" already exists: leave out the password to add them.`,
        [{ field: 'password', message: 'not allowed for an existing user' }],
      );
    }
    if (!user) {
      if (!input.password || input.password.length < MIN_PASSWORD_LENGTH) {
        throw new InvalidRequestError(
          `A new user needs a password of at least ${MIN_PASSWORD_LENGTH} characters.`,
          [{ field: 'password', message: 'required for a new user' }],
        );
      }
      user = {
        id: newId(),
        username,
        password_hash: await hashPassword(input.password),
        is_system_admin: 0,
        created_at: nowIso(),
      };
      try {
        await this.users.insert(user);
      } catch (err) {
        if (isUniqueViolation(err))
          throw new ConflictError(
            'user_exists',
            `User "${username}" was just created by another request: try again.`,
          );
        throw err;
      }
    }
    const createdAt = nowIso();
    await this.tenants.upsertMembership({
      tenant_id: scope.tenantId,
      user_id: user.id,
      role: input.role,
      created_at: createdAt,
    });
    // Adding an existing member changes their role: their cached scope must go.
    this.scopes.delete(`${user.id}\u0000${scope.tenantName}`);
    return { username, role: input.role, createdAt };
  }

  async listMembers(scope: Scope & { kind: 'tenant' }): Promise<MemberView[]> {
    const rows = await this.tenants.listMembers(scope.tenantId);
    return rows.map((r) => ({ username: r.username, role: r.role, createdAt: r.created_at }));
  }

  membershipsOf(userId: string): Promise<Array<{ name: string; display_name: string; role: TenantRole }>> {
    return this.tenants.membershipsOf(userId);
  }
}

export function requireSystemAdmin(principal: Principal): void {
  if (!principal.isSystemAdmin) throw new PermissionError('Only the system administrator can do this.');
}
