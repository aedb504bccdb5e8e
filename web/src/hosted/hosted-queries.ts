import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useApi } from '../app/session';

export const hostedQueryKey = (tenant: string) => ['hosted', tenant] as const;

export function useHosted(tenant: string, enabled = true) {
  const api = useApi();
  return useQuery({ queryKey: hostedQueryKey(tenant), queryFn: () => api.hosted.view(tenant), enabled });
}

/**
 * After a push or a deletion: the chart lists and pages (['charts', ...]), the registry tables (chart
 * count, last push) and this page's registry facts all changed.
 */
function invalidateAfterChange(queryClient: QueryClient, tenant: string): Promise<unknown> {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: ['charts'] }),
    queryClient.invalidateQueries({ queryKey: ['registries'] }),
    queryClient.invalidateQueries({ queryKey: hostedQueryKey(tenant) }),
  ]);
}

/** Uploads the archive's bytes as they are, to the ChartMuseum API `helm cm-push` uses. */
export function useUploadChart(tenant: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ file, force }: { file: Blob; force: boolean }) =>
      api.hosted.push({ tenant }, new Uint8Array(await file.arrayBuffer()), { force }),
    onSettled: () => invalidateAfterChange(queryClient, tenant),
  });
}

export function useDeleteChartVersion(tenant: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ chart, version }: { chart: string; version: string }) =>
      api.hosted.deleteVersion({ tenant }, chart, version),
    onSettled: () => invalidateAfterChange(queryClient, tenant),
  });
}

export function useSetPublicRead(tenant: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (publicRead: boolean) => api.hosted.setPublicRead(tenant, publicRead),
    onSuccess: (view) => queryClient.setQueryData(hostedQueryKey(tenant), view),
    onSettled: () => queryClient.invalidateQueries({ queryKey: hostedQueryKey(tenant) }),
  });
}
