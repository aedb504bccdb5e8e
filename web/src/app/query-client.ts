import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../../../src/client/api-client.js';

/**
 * Retry what may succeed on a second try (no answer, 5xx, 429), twice with TanStack's backoff; a 4xx
 * answer will not change by asking again. Mutations never retry on their own: adding a registry is
 * not idempotent, and the user has a Retry button.
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429)
    return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 15_000 },
      mutations: { retry: false },
    },
  });
}
