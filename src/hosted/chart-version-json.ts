import type { CatalogColumns, HostedChartRow } from './hosted.repository.js';

/** Helm's `repo.ChartVersion`: Chart.yaml's fields plus urls, created and digest. */
export type ChartVersionJson = Record<string, unknown> & { name: string; version: string };

/**
 * One version as index.yaml and the ChartMuseum API show it: keys in Helm's (alphabetical) order,
 * empty fields left out, the chart URL relative to the repository (`charts/<name>-<version>.tgz`).
 */
export function chartVersionJson({
  chart,
  catalog: c,
}: {
  chart: HostedChartRow;
  catalog: CatalogColumns;
}): ChartVersionJson {
  const entry: Record<string, unknown> = {};
  const put = (key: string, value: unknown): void => {
    if (value === null || value === undefined || value === '') return;
    if (Array.isArray(value) && value.length === 0) return;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return;
    entry[key] = value;
  };
  put('annotations', JSON.parse(c.annotations));
  put('apiVersion', c.api_version ?? 'v1');
  put('appVersion', c.app_version);
  put('created', c.created ?? chart.created_at);
  put('dependencies', JSON.parse(c.dependencies));
  if (c.deprecated === 1) entry['deprecated'] = true;
  put('description', c.description);
  put('digest', chart.chart_digest.slice('sha256:'.length));
  put('home', c.home);
  put('icon', c.icon);
  put('keywords', JSON.parse(c.keywords));
  put('kubeVersion', c.kube_version);
  put('maintainers', JSON.parse(c.maintainers));
  put('name', chart.chart_name);
  put('sources', JSON.parse(c.sources));
  put('type', c.type);
  put('urls', [`charts/${chart.file_name}`]);
  put('version', chart.version);
  return entry as ChartVersionJson;
}

type Row = { chart: HostedChartRow; catalog: CatalogColumns };

/** Versions by chart: charts by name, each chart's versions newest (highest SemVer) first. */
export function versionsByChart(rows: readonly Row[]): Map<string, ChartVersionJson[]> {
  const sorted = [...rows].sort(
    (a, b) =>
      compare(a.chart.chart_name, b.chart.chart_name) || compare(b.catalog.sort_key, a.catalog.sort_key),
  );
  const byName = new Map<string, ChartVersionJson[]>();
  for (const row of sorted) {
    const list = byName.get(row.chart.chart_name);
    if (list) list.push(chartVersionJson(row));
    else byName.set(row.chart.chart_name, [chartVersionJson(row)]);
  }
  return byName;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
