import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type { RegistryScope, SyncRunList } from '../../../src/client/api-client.js';
import { useApi } from '../app/session';

const scopeKey = (scope: RegistryScope): string => (scope === 'system' ? 'system' : `tenant:${scope.tenant}`);

export const syncRunsQueryKey = (scope: RegistryScope, name: string) =>
  ['syncs', scopeKey(scope), name] as const;

const RUNS_PAGE = 20;
/** How often a running sync is polled: fast enough to feel live, slow enough to cost nothing. */
export const SYNC_POLL_MS = 2_000;

/** A registry's runs, newest first, a page at a time; polled while the newest one is still running. */
export function useSyncRuns(scope: RegistryScope, name: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: syncRunsQueryKey(scope, name),
    queryFn: ({ pageParam }) => api.syncs.list(scope, name, { limit: RUNS_PAGE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: SyncRunList) => last.nextCursor,
    refetchInterval: (query) =>
      query.state.data?.pages[0]?.items.some((run) => run.status === 'running') ? SYNC_POLL_MS : false,
  });
}

/**
 * "Sync now". Whatever the answer, the registry lists, the history and the catalog may have moved:
 * invalidating them all lets the table show Syncing… and start polling at once.
 */
export function useSyncNow(scope: RegistryScope) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.syncs.start(scope, name),
    onSettled: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['registries'] }),
        queryClient.invalidateQueries({ queryKey: ['syncs'] }),
        queryClient.invalidateQueries({ queryKey: ['charts'] }),
      ]);
    },
  });
}
