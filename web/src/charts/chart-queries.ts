import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useApi } from '../app/session';

export const CHART_PAGE_SIZE = 25;

/** One page of catalog search results; the previous page stays on screen while the next loads. */
export function useChartSearch(tenant: string, q: string, registry: string, cursor: string | undefined) {
  const api = useApi();
  return useQuery({
    queryKey: ['charts', 'search', tenant, q, registry, cursor ?? ''],
    queryFn: () =>
      api.charts.search(tenant, {
        q: q || undefined,
        registry: registry || undefined,
        limit: CHART_PAGE_SIZE,
        cursor,
      }),
    placeholderData: keepPreviousData,
  });
}

/* A tenant's registry routes also answer for the system registries it sees, so the tenant scope
   reaches every chart the search can return. */

export function useChart(tenant: string, registry: string, chart: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['charts', 'chart', tenant, registry, chart],
    queryFn: () => api.charts.get({ tenant }, registry, chart),
  });
}

export function useChartVersion(
  tenant: string,
  registry: string,
  chart: string,
  version: string | undefined,
) {
  const api = useApi();
  return useQuery({
    queryKey: ['charts', 'version', tenant, registry, chart, version ?? ''],
    queryFn: () => api.charts.version({ tenant }, registry, chart, version ?? ''),
    enabled: version !== undefined,
  });
}
