import type { ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { ChartVersionDetail } from '../../../src/client/api-client.js';
import { usePageTitle } from '../app/page-title';
import { formatDate } from '../registries/registry-format';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { useChart, useChartVersion } from './chart-queries';
import { ChartIcon } from './ChartIcon';
import { InstallSnippets } from './InstallSnippets';
import { Markdown } from './Markdown';

/** Main Menu > Charts > REGISTRY/CHART: the chart, its versions (newest first) and one version's details. */
export function ChartPage() {
  const { tenant = '', registry = '', chart = '' } = useParams();
  usePageTitle(chart, 'Charts', tenant);
  const [params] = useSearchParams();
  const detail = useChart(tenant, registry, chart);
  // Opens on the latest version as helm search repo picks it (the newest stable one), not a newer
  // release candidate at the top of the list.
  const selected = params.get('version') ?? detail.data?.latestVersion;
  const version = useChartVersion(tenant, registry, chart, selected);
  const chartsHref = `/t/${encodeURIComponent(tenant)}/charts`;

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>Main Menu</li>
          <li>
            <Link to={chartsHref}>Charts</Link>
          </li>
          <li>{registry}</li>
        </ol>
      </nav>
      <h1 className="chart-title">
        <ChartIcon tenant={tenant} registry={registry} chart={chart} icon={detail.data?.icon} size="large" />
        {chart}
        {detail.data?.deprecated && <span className="badge badge-deprecated">Deprecated</span>}
      </h1>
      {detail.isPending ? (
        <Loading label="Loading the chart…" />
      ) : detail.isError ? (
        <ErrorMessage
          title="Could not load the chart"
          error={detail.error}
          onRetry={() => void detail.refetch()}
          retrying={detail.isFetching}
        />
      ) : (
        <>
          {detail.data.description && (
            <p className="page-intro chart-description">{detail.data.description}</p>
          )}
          <dl className="facts">
            <div>
              <dt>Registry</dt>
              <dd>{detail.data.registry.name}</dd>
            </div>
            <div>
              <dt>Latest version</dt>
              <dd className="mono">
                {detail.data.latestVersion}
                {detail.data.prerelease && <span className="badge badge-prerelease">Pre-release</span>}
              </dd>
            </div>
            <div>
              <dt>App version</dt>
              <dd className="mono">{detail.data.appVersion ?? '—'}</dd>
            </div>
            <div>
              <dt>Versions</dt>
              <dd>{detail.data.versionCount}</dd>
            </div>
          </dl>
          <div className="chart-layout">
            <nav aria-label="Versions">
              <h2>Versions</h2>
              <ul className="version-list">
                {detail.data.versions.map((v) => (
                  <li key={v.version}>
                    <Link
                      to={`?${new URLSearchParams({ version: v.version }).toString()}`}
                      replace
                      // A version is a query of the chart page: Back leaves the chart, not each version.
                      aria-current={v.version === selected ? 'page' : undefined}
                    >
                      <span className="mono">{v.version}</span>
                      {v.prerelease && <span className="muted">pre-release</span>}
                      {v.deprecated && <span className="muted">deprecated</span>}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
            <div className="version-detail">
              {selected === undefined ? (
                <p className="empty">This chart has no versions.</p>
              ) : version.isPending ? (
                <Loading label={`Loading version ${selected}…`} />
              ) : version.isError ? (
                <ErrorMessage
                  title={`Could not load version ${selected}`}
                  error={version.error}
                  onRetry={() => void version.refetch()}
                  retrying={version.isFetching}
                />
              ) : (
                <VersionDetail tenant={tenant} detail={version.data} />
              )}
            </div>
          </div>
        </>
      )}
    </section>
  );
}

const externalLink = (href: string): ReactNode =>
  // Only http(s) links are clickable: the index is untrusted, and a javascript: URL would run here.
  /^https?:\/\//i.test(href) ? (
    <a href={href} rel="noopener noreferrer nofollow" target="_blank">
      {href}
    </a>
  ) : (
    <span className="mono">{href}</span>
  );

function VersionDetail({ tenant, detail }: { tenant: string; detail: ChartVersionDetail }) {
  // Read from the chart archive; null or absent when the chart has no such file or it was unreadable.
  const readme = detail.readme ?? null;
  const values = detail.valuesYaml ?? null;
  const schema = detail.valuesSchema ?? null;
  const rows: [string, ReactNode][] = [
    ['App version', detail.appVersion],
    ['Description', detail.description],
    ['Created', detail.created ? formatDate(detail.created) : null],
    ['Type', detail.type],
    ['API version', detail.apiVersion],
    ['Kubernetes', detail.kubeVersion],
    ['Home', detail.home ? externalLink(detail.home) : null],
    [
      'Sources',
      detail.sources.length > 0 ? (
        <ul className="inline-list">
          {detail.sources.map((s) => (
            <li key={s}>{externalLink(s)}</li>
          ))}
        </ul>
      ) : null,
    ],
    ['Keywords', detail.keywords.length > 0 ? detail.keywords.join(', ') : null],
    [
      'Maintainers',
      detail.maintainers.length > 0 ? (
        <ul className="inline-list">
          {detail.maintainers.map((m, i) => (
            <li key={i}>
              {m.name}
              {m.email && <span className="muted"> &lt;{m.email}&gt;</span>}
              {m.url && <> · {externalLink(m.url)}</>}
            </li>
          ))}
        </ul>
      ) : null,
    ],
    [
      'Dependencies',
      detail.dependencies.length > 0 ? (
        <ul className="inline-list">
          {detail.dependencies.map((d, i) => (
            <li key={i}>
              <span className="mono">
                {d.name}
                {d.version ? ` ${d.version}` : ''}
              </span>
              {d.repository && <span className="muted"> from {d.repository}</span>}
            </li>
          ))}
        </ul>
      ) : null,
    ],
    ['Digest', detail.digest ? <span className="mono">{detail.digest}</span> : null],
    ['Chart URL', detail.chartUrl ? externalLink(detail.chartUrl) : null],
  ];
  return (
    <article aria-label={`Version ${detail.version}`}>
      <h2>
        Version <span className="mono">{detail.version}</span>
        {detail.deprecated && <span className="badge badge-deprecated">Deprecated</span>}
      </h2>
      {detail.republished && (
        <p className="alert alert-warning">
          This version was re-published upstream: its digest changed after it was first seen.
        </p>
      )}
      <dl className="meta-list">
        {rows
          .filter(([, value]) => value !== null && value !== undefined && value !== '')
          .map(([label, value]) => (
            <div key={label} className="meta-row">
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
      </dl>
      <InstallSnippets tenant={tenant} detail={detail} />
      {detail.files?.status === 'unavailable' && (
        <p className="alert alert-warning">
          The README and default values could not be read from the chart archive: {detail.files.reason}
        </p>
      )}
      {readme !== null && (
        <section aria-label="README">
          <h2>README</h2>
          <div className="readme">
            <Markdown source={readme} />
          </div>
        </section>
      )}
      {values !== null && (
        <section aria-label="Default values">
          <h2>Default values</h2>
          <pre className="code-block">{values}</pre>
        </section>
      )}
      {schema !== null && (
        <details>
          <summary>Values schema</summary>
          <pre className="code-block">{schema}</pre>
        </details>
      )}
    </article>
  );
}
