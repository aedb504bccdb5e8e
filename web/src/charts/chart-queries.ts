import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useApi } from '../app/session';

export const CHART_PAGE_SIZE = 25;

export interface ChartSearchFilters {
  /** The latest version may be a pre-release (helm search repo --devel). */
  devel?: boolean;
  /** Whether charts whose latest version is deprecated are listed. */
  deprecated?: boolean;
}

/** One page of catalog search results; the previous page stays on screen while the next loads. */
export function useChartSearch(
  tenant: string,
  q: string,
  registry: string,
  cursor: string | undefined,
  filters: ChartSearchFilters = {},
) {
  const api = useApi();
  const { devel = false, deprecated = true } = filters;
  return useQuery({
    queryKey: ['charts', 'search', tenant, q, registry, cursor ?? '', devel, deprecated],
    queryFn: () =>
      api.charts.search(tenant, {
        q: q || undefined,
        registry: registry || undefined,
        limit: CHART_PAGE_SIZE,
        cursor,
        devel,
        deprecated,
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
