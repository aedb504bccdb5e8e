import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../app/session';
import '../styles/chart-icon.css';

interface ChartIconProps {
  tenant: string;
  registry: string;
  chart: string;
  /** The icon URL the catalog holds; null or undefined (not loaded yet) asks nothing and shows the placeholder. */
  icon: string | null | undefined;
  size?: 'small' | 'large';
}

/**
 * A chart's icon, fetched and checked by the server and loaded from this origin by its content URL,
 * so the console's CSP keeps `img-src 'self'` and the browser never contacts a chart author's host.
 * Decorative (the chart's name is beside it): a neutral placeholder stands in when there is no icon,
 * while it loads, and when it fails.
 */
export function ChartIcon({ tenant, registry, chart, icon, size = 'small' }: ChartIconProps) {
  const api = useApi();
  const [broken, setBroken] = useState<string | null>(null);
  const location = useQuery({
    queryKey: ['charts', 'icon', tenant, registry, chart, icon ?? ''],
    queryFn: () => api.charts.iconLocation({ tenant }, registry, chart),
    // Keyed by the URL too: after a sync that changes the icon, the new one is asked for.
    enabled: typeof icon === 'string' && icon !== '',
    staleTime: 5 * 60_000,
    retry: false,
  });
  const src = location.data;
  const className = `chart-icon chart-icon-${size}`;
  if (!src || broken === src) {
    return (
      <span className={`${className} chart-icon-placeholder`} aria-hidden="true" data-chart-icon="none" />
    );
  }
  return (
    <img
      className={className}
      src={src}
      alt=""
      data-chart-icon="loaded"
      loading="lazy"
      decoding="async"
      onError={() => setBroken(src)}
    />
  );
}
