import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ProfileFromClusterBody } from '../../../src/client/api-client.js';
import { useApi } from '../app/session';
import { CLUSTER_POLL_MS, clusterKey } from './cluster-queries';
import { isRunActive } from './discovery-model';

/** Under the cluster's own key: deleting or editing the cluster refreshes its discovery too. */
const discoveriesKey = (tenant: string, name: string) =>
  [...clusterKey(tenant, name), 'discoveries'] as const;
const releasesKey = (tenant: string, name: string) => [...clusterKey(tenant, name), 'releases'] as const;

/** How often a requested or running discovery is polled: it finishes in seconds on the server. */
export const DISCOVERY_POLL_MS = 2_000;
export const RELEASES_PAGE_SIZE = 50;

/**
 * The newest discovery runs. Polled fast while the newest is requested or running, and otherwise as
 * the cluster page is, since an agent may discover without anyone in the console asking.
 */
export function useDiscoveries(tenant: string, name: string) {
  const api = useApi();
  return useQuery({
    queryKey: discoveriesKey(tenant, name),
    queryFn: () => api.clusters.discoveries(tenant, name, { limit: 5 }),
    refetchInterval: (query) =>
      isRunActive(query.state.data?.items[0]) ? DISCOVERY_POLL_MS : CLUSTER_POLL_MS,
  });
}

export interface ReleaseFilter {
  namespace: string;
  q: string;
  cursor: string | undefined;
}

/** One page of the releases of the newest finished discovery; the last page stays shown while the next loads. */
export function useReleases(tenant: string, name: string, filter: ReleaseFilter) {
  const api = useApi();
  return useQuery({
    queryKey: [...releasesKey(tenant, name), filter],
    queryFn: () =>
      api.clusters.releases(tenant, name, {
        limit: RELEASES_PAGE_SIZE,
        ...(filter.cursor ? { cursor: filter.cursor } : {}),
        ...(filter.namespace ? { namespace: filter.namespace } : {}),
        ...(filter.q ? { q: filter.q } : {}),
      }),
    placeholderData: keepPreviousData,
  });
}

/** Re-reads the releases: a discovery finished, or a sync changed their outcomes and matches. */
export function useRefreshReleases(tenant: string, name: string) {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: releasesKey(tenant, name) });
}

export function useDiscover(tenant: string, name: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (namespaces: string[]) =>
      api.clusters.discover(tenant, name, namespaces.length > 0 ? { namespaces } : {}),
    onSettled: () => queryClient.invalidateQueries({ queryKey: discoveriesKey(tenant, name) }),
  });
}

export function useSyncReleases(tenant: string, name: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.clusters.syncReleases(tenant, name),
    // Reconstructed charts land in the hosted registry and the catalog: their lists move too.
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: releasesKey(tenant, name) }),
        queryClient.invalidateQueries({ queryKey: ['charts'] }),
        queryClient.invalidateQueries({ queryKey: ['registries'] }),
      ]),
  });
}

export function useProfileFromCluster(tenant: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ProfileFromClusterBody) => api.clusters.profileFromCluster(tenant, body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['profiles', tenant] }),
  });
}
