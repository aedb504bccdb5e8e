import { PermissionError } from './errors.js';

/** Who is calling. Resolved once per request from the bearer token, then passed explicitly. */
export interface Principal {
  userId: string;
  username: string;
  isSystemAdmin: boolean;
}

export type TenantRole = 'admin' | 'member';

/** The scope a registry call works in: the system's registries or one tenant's. */
export type Scope =
  { kind: 'system' } | { kind: 'tenant'; tenantId: string; tenantName: string; role: TenantRole };

/** Every domain call takes this explicitly; nothing reads tenancy from a global. */
export interface RequestContext {
  principal: Principal;
  scope: Scope;
}

export const SYSTEM_SCOPE_KEY = 'system';

/** The value stored in `helm_registries.scope`. */
export const scopeKey = (scope: Scope): string =>
  scope.kind === 'system' ? SYSTEM_SCOPE_KEY : scope.tenantId;

/** Tenant administrators write (profiles, clusters): what is installed is theirs to decide. Members read. */
export function requireTenantAdmin(scope: Scope, what: string): void {
  if (scope.kind === 'tenant' && scope.role !== 'admin') {
    throw new PermissionError(`Only tenant administrators can ${what}.`);
  }
}
