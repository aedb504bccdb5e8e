import type { AccessChanges } from '../identity/access-changes.js';
import type { Principal, Scope, TenantRole } from '../shared/context.js';
import { SYSTEM_SCOPE_KEY } from '../shared/context.js';
import { ConflictError, InvalidRequestError, NotFoundError, PermissionError } from '../shared/errors.js';
import { newId, nowIso } from '../shared/ids.js';
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

const view = (t: TenantRow): TenantView => ({
  id: t.id,
  name: t.name,
  displayName: t.display_name,
  createdAt: t.created_at,
});

/** How long a resolved tenant scope is reused (see TenantService.scopes). */
const SCOPE_CACHE_MS = 5_000;

/** Tenants, and the one place that decides whether a caller may enter a tenant (members: member.service.ts). */
export class TenantService {
  /**
   * Scopes already resolved, by user and tenant name: every tenant request resolves one, and a role
   * changes rarely. Only memberships found are kept (a user just added is never refused from the
   * cache); a changed or removed membership is forgotten at once ({@link AccessChanges}).
   */
  private readonly scopes = new TtlCache<Scope & { kind: 'tenant' }>(SCOPE_CACHE_MS);
  /** Called once a tenant exists (the hosted registry is created here; wired in app.ts). */
  onCreated: (tenant: { id: string; name: string }) => Promise<void> = async () => undefined;
  /** Bumped by every membership change: a scope resolved across one is not cached. */
  private generation = 0;

  constructor(
    private readonly tenants: TenantRepository,
    changes: AccessChanges,
  ) {
    changes.subscribe((change) => {
      if (change.kind === 'tokens-revoked') return;
      this.generation += 1;
      if (change.kind === 'everything') return this.scopes.clear();
      const prefix = `${change.userId}\u0000`;
      this.scopes.deleteWhere((key, scope) => key.startsWith(prefix) && scope.tenantId === change.tenantId);
    });
  }

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
    const generation = this.generation;
    const scope = await this.resolveScope(principal, tenantName);
    if (generation === this.generation) this.scopes.set(key, scope);
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

  membershipsOf(userId: string): Promise<Array<{ name: string; display_name: string; role: TenantRole }>> {
    return this.tenants.membershipsOf(userId);
  }
}

export function requireSystemAdmin(principal: Principal): void {
  if (!principal.isSystemAdmin) throw new PermissionError('Only the system administrator can do this.');
}
