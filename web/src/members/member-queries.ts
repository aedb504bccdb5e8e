import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { MemberView } from '../../../src/client/api-client.js';
import { meQueryKey } from '../app/me';
import { useApi } from '../app/session';

export const membersQueryKey = (tenant: string) => ['members', tenant] as const;
export const invitationsQueryKey = (tenant: string) => ['invitations', tenant] as const;

/** Members and invitations of a tenant change together; the signed-in user's own roles may too. */
function useRefreshTenant(tenant: string) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: membersQueryKey(tenant) }),
      queryClient.invalidateQueries({ queryKey: invitationsQueryKey(tenant) }),
      queryClient.invalidateQueries({ queryKey: meQueryKey }),
    ]);
}

export function useSetRole(tenant: string) {
  const api = useApi();
  const refresh = useRefreshTenant(tenant);
  return useMutation({
    mutationFn: ({ username, role }: { username: string; role: MemberView['role'] }) =>
      api.members.setRole(tenant, username, role),
    onSettled: refresh,
  });
}

export function useRemoveMember(tenant: string) {
  const api = useApi();
  const refresh = useRefreshTenant(tenant);
  return useMutation({
    mutationFn: (username: string) => api.members.remove(tenant, username),
    onSettled: refresh,
  });
}

export function useWithdrawInvitation(tenant: string) {
  const api = useApi();
  const refresh = useRefreshTenant(tenant);
  return useMutation({
    mutationFn: (id: string) => api.members.revokeInvitation(tenant, id),
    onSettled: refresh,
  });
}

export function useAddMember(tenant: string) {
  const api = useApi();
  const refresh = useRefreshTenant(tenant);
  return useMutation({
    mutationFn: (body: Parameters<typeof api.members.add>[1]) => api.members.add(tenant, body),
    onSettled: refresh,
  });
}
