import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ClusterCreateBody, ClusterPatchBody } from '../../../src/client/api-client.js';
import { useApi } from '../app/session';

/** Every cluster query of a tenant: a write refreshes the list and the cluster at once. */
const clustersKey = (tenant: string) => ['clusters', tenant] as const;
export const clusterKey = (tenant: string, name: string) => [...clustersKey(tenant), 'detail', name] as const;

/**
 * Connection and layer states change without anyone in the console acting (an agent heartbeats and
 * reports), so an open list or cluster refreshes itself now and then.
 */
export const CLUSTER_POLL_MS = 15_000;

export function useClusters(tenant: string) {
  const api = useApi();
  return useQuery({
    queryKey: [...clustersKey(tenant), 'list'],
    queryFn: () => api.clusters.listAll(tenant),
    refetchInterval: CLUSTER_POLL_MS,
  });
}

export function useCluster(tenant: string, name: string) {
  const api = useApi();
  return useQuery({
    queryKey: clusterKey(tenant, name),
    queryFn: () => api.clusters.get(tenant, name),
    refetchInterval: CLUSTER_POLL_MS,
  });
}

export function useCreateCluster(tenant: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ClusterCreateBody) => api.clusters.create(tenant, body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: clustersKey(tenant) }),
  });
}

export function useUpdateCluster(tenant: string, name: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: ClusterPatchBody) => api.clusters.update(tenant, name, patch),
    onSuccess: (view) => queryClient.setQueryData(clusterKey(tenant, name), view),
    onSettled: () => queryClient.invalidateQueries({ queryKey: clustersKey(tenant) }),
  });
}

export function useRotateAgentToken(tenant: string, name: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.clusters.rotateToken(tenant, name),
    onSettled: () => queryClient.invalidateQueries({ queryKey: clustersKey(tenant) }),
  });
}

export function useRemoveCluster(tenant: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.clusters.remove(tenant, name),
    // The deleted cluster's own query would 404 if refetched: drop it, refresh the list.
    onSuccess: (_, name) => queryClient.removeQueries({ queryKey: clusterKey(tenant, name) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [...clustersKey(tenant), 'list'] }),
  });
}
