import { useQuery } from '@tanstack/react-query';
import type { MeView } from '../../../src/client/api-client.js';
import { useApi } from './session';

export const meQueryKey = ['me'] as const;

/** The signed-in user, their system role and tenant memberships (GET /api/v1/me). */
export function useMe() {
  const api = useApi();
  return useQuery({ queryKey: meQueryKey, queryFn: () => api.me(), staleTime: 60_000 });
}

export type TenantRole = 'admin' | 'member' | null;

/**
 * The user's role in a tenant. System administrators act as administrators of every tenant (the
 * server decides the same way), members of a tenant by their membership.
 */
export function tenantRole(me: MeView | undefined, tenant: string): TenantRole {
  if (!me) return null;
  if (me.systemRole === 'admin') return 'admin';
  const membership = me.tenants.find((t) => t.name === tenant);
  if (!membership) return null;
  return membership.role === 'admin' ? 'admin' : 'member';
}

export const isSystemAdmin = (me: MeView | undefined): boolean => me?.systemRole === 'admin';
