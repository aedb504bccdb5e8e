import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { ChartSummary } from '../../../src/client/api-client.js';
import { useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { CHART_PAGE_SIZE, useChartSearch } from '../charts/chart-queries';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { CursorPager, useCursorPages } from '../ui/CursorPager';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { Toggle } from '../ui/Toggle';
import { Truncate } from '../ui/Truncate';
import { CommandBlock } from './CommandBlock';
import { DeleteVersionDialog } from './DeleteVersionDialog';
import type { HostedView } from '../../../src/client/api-client.js';
import { chartPagePath } from './hosted-format';
import { useHosted, useSetPublicRead } from './hosted-queries';
import { buildInstructions } from './instructions';
import { UploadPanel } from './UploadPanel';

/**
 * Main Menu > Hosted registry: the tenant's own chart store. Upload charts, see and delete them, and
 * copy the helm commands that reach it over the classic repository protocol and over OCI.
 */
export function HostedPage() {
  const tenant = useParams().tenant ?? '';
  // A fresh screen (messages, dialog, page of charts) per tenant.
  return <Hosted key={tenant} tenant={tenant} />;
}

function Hosted({ tenant }: { tenant: string }) {
  usePageTitle('Hosted registry', tenant);
  const hosted = useHosted(tenant);

  return (
    <section className="page hosted-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>Main Menu</li>
          <li>Hosted registry</li>
        </ol>
      </nav>
      <h1>Hosted registry</h1>
      <p className="page-intro">
        Charthouse's own chart store for this tenant. Charts uploaded here, or pushed with helm over the
        classic repository protocol or OCI, are one store: each is pullable both ways and shows in the Charts
        catalog at once.
      </p>
      {hosted.isPending ? (
        <Loading label="Loading the hosted registry…" />
      ) : hosted.isError ? (
        <ErrorMessage
          title="Could not load the hosted registry"
          error={hosted.error}
          onRetry={() => void hosted.refetch()}
          retrying={hosted.isFetching}
        />
      ) : (
        <HostedRegistry tenant={tenant} view={hosted.data} />
      )}
    </section>
  );
}

function HostedRegistry({ tenant, view }: { tenant: string; view: HostedView }) {
  const me = useMe();
  const registry = view.registry.name;
  const pages = useCursorPages();
  const charts = useChartSearch(tenant, '', registry, pages.cursor);
  const [deleting, setDeleting] = useState<ChartSummary | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const items = charts.data?.items ?? [];
  const example = items[0];
  const steps = buildInstructions({
    tenant: view.tenant,
    urls: view.urls,
    username: me.data?.username ?? 'USERNAME',
    publicRead: view.publicRead,
    ...(example ? { chart: { name: example.name, version: example.latestVersion } } : {}),
  });

  return (
    <>
      <dl className="facts hosted-facts">
        <div>
          <dt>Repository URL</dt>
          <dd className="mono break-anywhere">{view.urls.repository}</dd>
        </div>
        <div>
          <dt>OCI namespace</dt>
          <dd className="mono break-anywhere">oci://{view.urls.ociNamespace}</dd>
        </div>
        <div>
          <dt>Charts</dt>
          <dd>{view.registry.chartCount}</dd>
        </div>
        <div>
          <dt>Last push</dt>
          <dd>{view.registry.lastSyncedAt ? formatDate(view.registry.lastSyncedAt) : 'never'}</dd>
        </div>
        <div>
          <dt>Public read</dt>
          <dd>{view.publicRead ? 'On' : 'Off'}</dd>
        </div>
      </dl>

      {view.canPush ? (
        <UploadPanel tenant={tenant} registry={registry} canOverwrite={view.canDelete} />
      ) : (
        <p className="muted">Only members of {tenant} can upload charts here.</p>
      )}

      <section className="hosted-section" aria-labelledby="hosted-charts-title">
        <h2 id="hosted-charts-title">Charts</h2>
        {deleted && (
          <Notice tone="success" onDismiss={() => setDeleted(null)}>
            Deleted {deleted}.
          </Notice>
        )}
        {charts.isPending ? (
          <Loading label="Loading the charts…" />
        ) : charts.isError ? (
          <ErrorMessage
            title="Could not load the charts"
            error={charts.error}
            onRetry={() => void charts.refetch()}
            retrying={charts.isFetching}
          />
        ) : items.length === 0 ? (
          <p className="empty">No charts yet. Upload one above, or push one with the helm commands below.</p>
        ) : (
          <>
            <div className="table-scroll" tabIndex={0} role="region" aria-label="Hosted charts">
              <table className="data-table hosted-table" aria-busy={charts.isFetching || undefined}>
                <caption className="visually-hidden">Charts in the hosted registry of {tenant}</caption>
                <thead>
                  <tr>
                    <th scope="col">Chart</th>
                    <th scope="col">Latest version</th>
                    <th scope="col" className="numeric">
                      Versions
                    </th>
                    <th scope="col">Description</th>
                    {view.canDelete && (
                      <th scope="col" className="actions-header">
                        Actions
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {items.map((chart) => (
                    <tr key={chart.name} data-chart={chart.name}>
                      <th scope="row">
                        <Link to={chartPagePath(tenant, registry, chart.name)}>{chart.name}</Link>
                        {chart.deprecated && <span className="badge badge-deprecated">Deprecated</span>}
                      </th>
                      <td className="mono">{chart.latestVersion}</td>
                      <td className="numeric">{chart.versionCount}</td>
                      <td className="cell-description">
                        <Truncate text={chart.description ?? ''} />
                      </td>
                      {view.canDelete && (
                        <td className="cell-actions">
                          <Button
                            variant="danger"
                            onClick={() => setDeleting(chart)}
                            aria-label={`Delete a version of ${chart.name}`}
                          >
                            Delete version
                          </Button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <CursorPager pages={pages} nextCursor={charts.data?.nextCursor} pageSize={CHART_PAGE_SIZE} />
          </>
        )}
      </section>

      <section className="hosted-section" aria-labelledby="hosted-helm-title">
        <h2 id="hosted-helm-title">Use it with helm</h2>
        <p className="page-intro">
          Copy these into a terminal. They use this server's public address and your username,{' '}
          <strong>{me.data?.username ?? 'USERNAME'}</strong>
          {example ? `, and ${example.name} ${example.latestVersion} as the example chart` : ''}.
        </p>
        <ol className="commands">
          {steps.map((step) => (
            <CommandBlock key={step.id} step={step} />
          ))}
        </ol>
      </section>

      <AccessSection tenant={tenant} view={view} />

      {deleting && (
        <DeleteVersionDialog
          tenant={tenant}
          chart={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={(chart, version) => {
            setDeleting(null);
            setDeleted(`${chart} ${version}`);
            // The deleted chart may have been the last on this page.
            pages.reset();
          }}
        />
      )}
    </>
  );
}

/** Public read: administrators switch it; members see how it is set. */
function AccessSection({ tenant, view }: { tenant: string; view: HostedView }) {
  const setPublicRead = useSetPublicRead(tenant);
  // The switch follows the click at once (a controlled input must not flick back while the request runs).
  const [requested, setRequested] = useState<boolean | null>(null);
  const explanation =
    'When on, anyone who can reach this server can pull the charts with helm (index.yaml, chart archives and OCI pulls) without credentials. Uploading and deleting always need a member of the tenant.';
  return (
    <section className="hosted-section" aria-labelledby="hosted-access-title">
      <h2 id="hosted-access-title">Access</h2>
      {view.canDelete ? (
        <>
          {setPublicRead.isError && (
            <ErrorMessage title="Public read was not changed" error={setPublicRead.error} />
          )}
          <Toggle
            label="Public read"
            checked={requested ?? view.publicRead}
            disabled={requested !== null}
            onChange={(on) => {
              setRequested(on);
              setPublicRead.mutate(on, { onSettled: () => setRequested(null) });
            }}
            description={explanation}
          />
        </>
      ) : (
        <p>
          Public read is <strong>{view.publicRead ? 'on' : 'off'}</strong>. {explanation} A tenant
          administrator can change it.
        </p>
      )}
    </section>
  );
}
