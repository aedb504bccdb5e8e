import type { NewChartVersion } from './chart-version.repository.js';
import type { ChartVersionRecord } from '../protocol/helm/chart-version.js';

/** The stored form of a normalized chart version: JSON columns serialized once, here, in the worker. */
export function toCatalogRow(r: ChartVersionRecord): NewChartVersion {
  return {
    chart_name: r.name,
    version: r.version,
    sort_key: r.sortKey,
    app_version: r.appVersion,
    api_version: r.apiVersion,
    type: r.type,
    description: r.description,
    icon: r.icon,
    home: r.home,
    sources: JSON.stringify(r.sources),
    keywords: JSON.stringify(r.keywords),
    maintainers: JSON.stringify(r.maintainers),
    kube_version: r.kubeVersion,
    deprecated: r.deprecated ? 1 : 0,
    created: r.created,
    digest: r.digest,
    urls: JSON.stringify(r.urls),
    chart_url: r.chartUrl,
    dependencies: JSON.stringify(r.dependencies),
    annotations: JSON.stringify(r.annotations),
    content_hash: r.contentHash,
  };
}
