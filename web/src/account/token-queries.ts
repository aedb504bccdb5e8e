import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../app/session';

export const tokensQueryKey = ['tokens'] as const;

export function useTokens() {
  const api = useApi();
  return useQuery({ queryKey: tokensQueryKey, queryFn: () => api.tokens.list() });
}

export function useCreateToken() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, expiresInDays }: { name: string; expiresInDays: number | null }) =>
      api.tokens.create(name, { expiresInDays }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: tokensQueryKey }),
  });
}

export function useRevokeToken() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.tokens.revoke(id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: tokensQueryKey }),
  });
}
