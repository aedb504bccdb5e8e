import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  RegistryCreateBody,
  RegistryPatchBody,
  RegistryScope,
  RegistryView,
} from '../../../src/client/api-client.js';
import { useApi } from '../app/session';
import { SYNC_POLL_MS } from '../sync/sync-queries';

const scopeKey = (scope: RegistryScope): string => (scope === 'system' ? 'system' : `tenant:${scope.tenant}`);

/** Every registry list: a change to a system registry shows in every tenant's list too. */
const allRegistries = ['registries'] as const;
export const registriesQueryKey = (scope: RegistryScope) => [...allRegistries, scopeKey(scope)] as const;

/**
 * The whole list, every page (a scope has tens of registries, not thousands): the table sorts,
 * filters and pages it in the browser without a request per keystroke.
 */
export function useRegistries(scope: RegistryScope) {
  const api = useApi();
  return useQuery({
    queryKey: registriesQueryKey(scope),
    queryFn: () => api.registries.listAll(scope),
    // Last Synced and Status update live while any sync runs, and polling stops once none does.
    refetchInterval: (query) =>
      query.state.data?.some((r) => r.syncStatus === 'syncing') ? SYNC_POLL_MS : false,
  });
}

// Invalidation lives in the hook's own options: it runs even when the dialog that started the request
// was closed meanwhile, so the table never shows a stale list.

export function useCreateRegistry(scope: RegistryScope) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: RegistryCreateBody) => api.registries.create(scope, body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: allRegistries }),
  });
}

export function useUpdateRegistry(scope: RegistryScope) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, patch }: { name: string; patch: RegistryPatchBody }) =>
      api.registries.update(scope, name, patch),
    onSettled: () => queryClient.invalidateQueries({ queryKey: allRegistries }),
  });
}

export function useDeleteRegistry(scope: RegistryScope) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (registry: RegistryView) => api.registries.remove(scope, registry.name),
    onSettled: () => queryClient.invalidateQueries({ queryKey: allRegistries }),
  });
}
