import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { RegistryScope, SyncRunView } from '../../../src/client/api-client.js';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { formatDate, lastSyncedText, STATUS_LABELS } from '../registries/registry-format';
import { useRegistries } from '../registries/registry-queries';
import { RequireSystemAdmin } from '../system/RequireSystemAdmin';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { canSync, describeSyncError, runDuration, runOutcome } from './sync-format';
import { useSyncNow, useSyncRuns } from './sync-queries';

/** Tenant Settings > Registries > NAME > Sync history: members read it, administrators also sync. */
export function TenantSyncHistoryPage() {
  const { tenant = '', name = '' } = useParams();
  usePageTitle(`Sync history of ${name}`, tenant);
  const { data: me } = useMe();
  return (
    <SyncHistory
      key={`${tenant}/${name}`}
      scope={{ tenant }}
      name={name}
      canManage={tenantRole(me, tenant) === 'admin'}
      breadcrumb={['Tenant Settings', 'Registries']}
      back={`/t/${encodeURIComponent(tenant)}/settings/registries`}
    />
  );
}

/** System > Registries > NAME > Sync history. */
export function SystemSyncHistoryPage() {
  const { name = '' } = useParams();
  usePageTitle(`Sync history of ${name}`, 'System');
  return (
    <RequireSystemAdmin>
      <SyncHistory
        key={name}
        scope="system"
        name={name}
        canManage
        breadcrumb={['System', 'Registries']}
        back="/system/registries"
      />
    </RequireSystemAdmin>
  );
}

interface SyncHistoryProps {
  scope: RegistryScope;
  name: string;
  canManage: boolean;
  breadcrumb: string[];
  back: string;
}

function SyncHistory({ scope, name, canManage, breadcrumb, back }: SyncHistoryProps) {
  const registries = useRegistries(scope);
  const runs = useSyncRuns(scope, name);
  const syncNow = useSyncNow(scope);
  const [message, setMessage] = useState<{ text: string; tone: 'info' | 'warning' } | null>(null);
  const registry = registries.data?.find((r) => r.name === name);
  // System registries are read-only inside a tenant: only their own administrator syncs them.
  const mayStart =
    canManage &&
    registry !== undefined &&
    canSync(registry) &&
    (scope === 'system' || registry.scope === 'tenant');
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];
  const running = registry?.syncStatus === 'syncing' || items.some((r) => r.status === 'running');

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>Main Menu</li>
          {breadcrumb.map((part) => (
            <li key={part}>{part}</li>
          ))}
          <li>{name}</li>
        </ol>
      </nav>
      <p>
        <Link to={back}>← All registries</Link>
      </p>
      <h1>Sync history of {name}</h1>
      {registry && (
        <dl className="facts">
          <div>
            <dt>Status</dt>
            <dd>
              <span className={`badge badge-status-${registry.syncStatus}`}>
                {STATUS_LABELS[registry.syncStatus]}
              </span>
            </dd>
          </div>
          <div>
            <dt>Last Synced</dt>
            <dd>{lastSyncedText(registry)}</dd>
          </div>
          <div>
            <dt>Charts</dt>
            <dd>{registry.chartCount}</dd>
          </div>
          <div>
            <dt>Versions</dt>
            <dd>{registry.versionCount}</dd>
          </div>
        </dl>
      )}
      {registry?.syncStatus === 'failed' && registry.lastError && (
        <div className="alert alert-error" role="alert">
          <div className="alert-body">
            <strong>The last sync failed; the previous catalog is kept.</strong>
            <p>{registry.lastError}</p>
          </div>
        </div>
      )}
      {message && (
        <Notice tone={message.tone} onDismiss={() => setMessage(null)}>
          <p>{message.text}</p>
        </Notice>
      )}
      {mayStart && (
        <div className="toolbar">
          <Button
            variant="primary"
            busy={syncNow.isPending}
            disabled={running}
            onClick={() => {
              setMessage(null);
              syncNow.mutate(name, {
                onSuccess: () => setMessage({ text: `Sync of "${name}" started.`, tone: 'info' }),
                onError: (error) => setMessage({ text: describeSyncError(name, error), tone: 'warning' }),
              });
            }}
          >
            Sync now
          </Button>
        </div>
      )}
      {runs.isPending ? (
        <Loading label="Loading the sync history…" />
      ) : runs.isError ? (
        <ErrorMessage
          title="Could not load the sync history"
          error={runs.error}
          onRetry={() => void runs.refetch()}
          retrying={runs.isFetching}
        />
      ) : items.length === 0 ? (
        <p className="empty">
          {registry?.protected
            ? 'This registry is protected: it is never synchronized.'
            : 'No sync has run yet.'}
        </p>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Sync runs">
            <table className="data-table sync-table">
              <caption className="visually-hidden">Sync runs of {name}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Warnings</th>
                </tr>
              </thead>
              <tbody>
                {items.map((run) => (
                  <RunRow key={run.id} run={run} />
                ))}
              </tbody>
            </table>
          </div>
          {runs.hasNextPage && (
            <div className="load-more">
              <Button onClick={() => void runs.fetchNextPage()} busy={runs.isFetchingNextPage}>
                Show older runs
              </Button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function RunRow({ run }: { run: SyncRunView }) {
  const failed = run.status === 'failed' || run.status === 'suspect';
  return (
    <tr data-run={run.id} data-status={run.status}>
      <td>
        <time dateTime={run.startedAt} title={run.startedAt}>
          {formatDate(run.startedAt)}
        </time>
      </td>
      <td>{run.trigger === 'manual' ? 'Sync now' : 'Scheduled'}</td>
      <td>{runDuration(run)}</td>
      <td className={failed ? 'run-outcome run-failed' : 'run-outcome'}>
        {runOutcome(run)}
        {run.status === 'suspect' && run.error && <span className="sub">{run.error}</span>}
      </td>
      <td>
        {run.warnings.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <details className="run-warnings">
            <summary>
              {run.warnings.length} warning{run.warnings.length === 1 ? '' : 's'}
            </summary>
            <ul>
              {run.warnings.map((w, i) => (
                <li key={i}>
                  {/* The entry is named once: most messages already quote it. */}
                  {w.chart && !w.message.includes(w.chart) && (
                    <span className="mono">
                      {w.chart ?? ''}
                      {w.version ? ` ${w.version}` : ''}:{' '}
                    </span>
                  )}
                  {w.message}
                </li>
              ))}
            </ul>
          </details>
        )}
      </td>
    </tr>
  );
}
