import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useSession } from '../app/session';
import { readSession } from '../app/session-storage';
import { HostedClient } from './hosted-api';

export const hostedQueryKey = (tenant: string) => ['hosted', tenant] as const;

/**
 * The hosted registry's client for this session. Like the API client, a 401 to a signed-in request
 * ends the session (unless a newer one replaced it meanwhile), and RequireSession asks to sign in.
 */
export function useHostedClient(): HostedClient {
  const { session, signOut } = useSession();
  const token = session?.token;
  return useMemo(
    () =>
      new HostedClient({
        baseUrl: window.location.origin,
        token,
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (response.status === 401 && token) {
            const stored = readSession();
            if (!stored || stored.token === token) signOut('expired');
          }
          return response;
        },
      }),
    [token, signOut],
  );
}

export function useHosted(tenant: string) {
  const client = useHostedClient();
  return useQuery({ queryKey: hostedQueryKey(tenant), queryFn: () => client.get(tenant) });
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

export function useUploadChart(tenant: string) {
  const client = useHostedClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ file, force }: { file: Blob; force: boolean }) => client.upload(tenant, file, { force }),
    onSettled: () => invalidateAfterChange(queryClient, tenant),
  });
}

export function useDeleteChartVersion(tenant: string) {
  const client = useHostedClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ chart, version }: { chart: string; version: string }) =>
      client.deleteVersion(tenant, chart, version),
    onSettled: () => invalidateAfterChange(queryClient, tenant),
  });
}

export function useSetPublicRead(tenant: string) {
  const client = useHostedClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (publicRead: boolean) => client.setPublicRead(tenant, publicRead),
    onSuccess: (view) => queryClient.setQueryData(hostedQueryKey(tenant), view),
    onSettled: () => queryClient.invalidateQueries({ queryKey: hostedQueryKey(tenant) }),
  });
}
