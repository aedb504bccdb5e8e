import { useEffect, useId, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { ChartSummary } from '../../../src/client/api-client.js';
import { usePageTitle } from '../app/page-title';
import { useUpdateSearchParams } from '../app/url-params';
import { useRegistries } from '../registries/registry-queries';
import { CursorPager, useCursorPages } from '../ui/CursorPager';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Toggle } from '../ui/Toggle';
import { Truncate } from '../ui/Truncate';
import { CHART_PAGE_SIZE, useChartSearch } from './chart-queries';
import { ChartIcon } from './ChartIcon';

/** Typing pauses this long before a search is sent: one request per word, not per keystroke. */
const DEBOUNCE_MS = 300;

export const chartPath = (tenant: string, chart: Pick<ChartSummary, 'registry' | 'name'>): string =>
  `/t/${encodeURIComponent(tenant)}/charts/${encodeURIComponent(chart.registry.name)}/${encodeURIComponent(chart.name)}`;

/** Main Menu > Charts: search the catalog of every registry the tenant sees. */
export function ChartsPage() {
  const tenant = useParams().tenant ?? '';
  usePageTitle('Charts', tenant);
  // The search lives in the URL, so Back from a chart page returns to the same results.
  const [params] = useSearchParams();
  const updateParams = useUpdateSearchParams();
  const q = params.get('q') ?? '';
  const registry = params.get('registry') ?? '';
  // helm search repo --devel: the latest shown may be a pre-release.
  const devel = params.get('devel') === 'true';
  // Deprecated charts are hidden unless asked for, as Artifact Hub does: someone browsing for a chart
  // to install should not pick one its maintainers have retired, and the switch is one click away.
  // The filter is the server's (deprecated=false), so every page is full and the cursor stays right.
  const showDeprecated = params.get('deprecated') === 'true';
  const [text, setText] = useState(q);
  const pages = useCursorPages();
  const resetPages = pages.reset;
  const searchId = useId();
  const registryId = useId();

  useEffect(() => {
    const next = text.trim();
    if (next === q) return;
    const timer = setTimeout(() => {
      updateParams((p) => {
        if (next) p.set('q', next);
        else p.delete('q');
      });
      resetPages();
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, q, updateParams, resetPages]);

  const registries = useRegistries({ tenant });
  const search = useChartSearch(tenant, q, registry, pages.cursor, {
    devel,
    deprecated: showDeprecated,
  });
  const setFlag = (name: 'devel' | 'deprecated', on: boolean) => {
    updateParams((p) => {
      if (on) p.set(name, 'true');
      else p.delete(name);
    });
    pages.reset();
  };
  const items = search.data?.items ?? [];

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>Main Menu</li>
          <li>Charts</li>
        </ol>
      </nav>
      <h1>Charts</h1>
      <p className="page-intro">
        Charts of every registry this tenant sees, from their last sync. Search by name, keyword or
        description.
      </p>
      <div className="chart-filters" role="search">
        <div className="filter">
          <label htmlFor={searchId}>Search charts</label>
          <input
            id={searchId}
            type="search"
            value={text}
            maxLength={200}
            placeholder="Name, keyword or description"
            onChange={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <div className="filter">
          <label htmlFor={registryId}>Registry</label>
          <select
            id={registryId}
            value={registry}
            onChange={(e) => {
              const value = e.currentTarget.value;
              updateParams((p) => {
                if (value) p.set('registry', value);
                else p.delete('registry');
              });
              pages.reset();
            }}
          >
            <option value="">All registries</option>
            {(registries.data ?? [])
              .filter((r) => !r.protected)
              .map((r) => (
                <option key={r.id} value={r.name}>
                  {r.name}
                </option>
              ))}
          </select>
        </div>
        <div className="filter filter-switches">
          <Toggle
            label="Show pre-releases"
            checked={devel}
            onChange={(on) => setFlag('devel', on)}
            description="Latest may be an alpha, beta or release candidate (helm search repo --devel)."
          />
          <Toggle
            label="Show deprecated charts"
            checked={showDeprecated}
            onChange={(on) => setFlag('deprecated', on)}
          />
        </div>
      </div>
      {search.isPending ? (
        <Loading label="Searching charts…" />
      ) : search.isError ? (
        <ErrorMessage
          title="Could not search the charts"
          error={search.error}
          onRetry={() => void search.refetch()}
          retrying={search.isFetching}
        />
      ) : items.length === 0 ? (
        <p className="empty">
          {q || registry
            ? `No chart matches. Try another word, or all registries${showDeprecated ? '' : ', or show deprecated charts'}.`
            : showDeprecated
              ? 'No charts yet: they appear once an unprotected registry has synchronized.'
              : 'No charts to show: they appear once an unprotected registry has synchronized; deprecated charts are hidden.'}
        </p>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Charts found">
            <table className="data-table chart-table" aria-busy={search.isFetching || undefined}>
              <caption className="visually-hidden">Charts found</caption>
              <thead>
                <tr>
                  <th scope="col">Chart</th>
                  <th scope="col">Registry</th>
                  <th scope="col">Latest version</th>
                  <th scope="col">App version</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {items.map((chart) => (
                  <tr key={`${chart.registry.name}/${chart.name}`} data-chart={chart.name}>
                    {/* The chart's icon goes first in this cell, before the name. */}
                    <th scope="row">
                      <ChartIcon
                        tenant={tenant}
                        registry={chart.registry.name}
                        chart={chart.name}
                        icon={chart.icon}
                      />
                      <Link to={chartPath(tenant, chart)}>{chart.name}</Link>
                      {chart.deprecated && <span className="badge badge-deprecated">Deprecated</span>}
                    </th>
                    <td>{chart.registry.name}</td>
                    <td className="mono">
                      {chart.latestVersion}
                      {chart.prerelease && <span className="badge badge-prerelease">Pre-release</span>}
                    </td>
                    <td className="mono">{chart.appVersion ?? ''}</td>
                    <td className="cell-description">
                      <Truncate text={chart.description ?? ''} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <CursorPager pages={pages} nextCursor={search.data?.nextCursor} pageSize={CHART_PAGE_SIZE} />
        </>
      )}
    </section>
  );
}
