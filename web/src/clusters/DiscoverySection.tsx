import { useEffect, useId, useRef, useState } from 'react';
import type {
  ClusterView,
  DiscoveryRunView,
  ProfileFromClusterReply,
  SyncedChartView,
} from '../../../src/client/api-client.js';
import { useDebouncedValue } from '../profiles/use-debounced-value';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { CursorPager, useCursorPages } from '../ui/CursorPager';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { DiscoverDialog } from './DiscoverDialog';
import { DiscoveredReleasesTable } from './DiscoveredReleasesTable';
import { isNamespace, isRunActive, runStatusText } from './discovery-model';
import { RELEASES_PAGE_SIZE, useDiscoveries, useRefreshReleases, useReleases } from './discovery-queries';
import { LastDiscovery } from './LastDiscovery';
import { ProfileCreatedPanel } from './ProfileCreatedPanel';
import { ProfileFromClusterDialog } from './ProfileFromClusterDialog';
import { ReleaseValuesSetting } from './ReleaseValuesSetting';
import { SyncReleasesDialog } from './SyncReleasesDialog';
import { SyncResultPanel } from './SyncResultPanel';

/** Typing pauses this long before a search is sent. */
const DEBOUNCE_MS = 300;

interface DiscoverySectionProps {
  tenant: string;
  cluster: ClusterView;
  canManage: boolean;
}

/**
 * A cluster's "Discovered releases": the newest discovery, the releases it found with their catalog
 * matches, and for administrators Discover now, Sync discovered charts and a profile from the cluster.
 */
export function DiscoverySection({ tenant, cluster, canManage }: DiscoverySectionProps) {
  const [dialog, setDialog] = useState<'discover' | 'sync' | 'profile' | null>(null);
  const [syncResult, setSyncResult] = useState<SyncedChartView[] | null>(null);
  const [created, setCreated] = useState<ProfileFromClusterReply | null>(null);
  const discoveries = useDiscoveries(tenant, cluster.name);
  const latest = discoveries.data?.items[0];
  const active = isRunActive(latest);
  const watchRun = useRefreshWhenFinished(tenant, cluster.name, latest);

  return (
    <section aria-labelledby="discovered-releases-title" className="discovery-section">
      <h2 id="discovered-releases-title" className="section-title">
        Discovered releases
      </h2>
      <ReleaseValuesSetting tenant={tenant} cluster={cluster} canManage={canManage} />
      {canManage && (
        <div className="toolbar discovery-actions">
          <Button variant="primary" disabled={active} onClick={() => setDialog('discover')}>
            Discover now
          </Button>
          <Button onClick={() => setDialog('sync')}>Sync discovered charts</Button>
          <Button onClick={() => setDialog('profile')}>Create profile from cluster</Button>
        </div>
      )}
      {active && latest && (
        <div className="alert alert-info discovery-progress" role="status">
          <span className="spinner" aria-hidden="true" />
          <div className="alert-body">{runStatusText(latest, cluster.mode)}</div>
        </div>
      )}
      {syncResult && <SyncResultPanel items={syncResult} onDismiss={() => setSyncResult(null)} />}
      {created && <ProfileCreatedPanel tenant={tenant} reply={created} onDismiss={() => setCreated(null)} />}
      {discoveries.isError ? (
        <ErrorMessage
          title="Could not load the discoveries"
          error={discoveries.error}
          onRetry={() => void discoveries.refetch()}
          retrying={discoveries.isFetching}
        />
      ) : (
        latest && <LastDiscovery run={latest} mode={cluster.mode} />
      )}
      <Releases tenant={tenant} cluster={cluster} latest={latest} />
      {dialog === 'discover' && (
        <DiscoverDialog
          tenant={tenant}
          cluster={cluster}
          onClose={() => setDialog(null)}
          onStarted={(run) => {
            watchRun(run);
            setDialog(null);
          }}
        />
      )}
      {dialog === 'sync' && (
        <SyncReleasesDialog
          tenant={tenant}
          name={cluster.name}
          onClose={() => setDialog(null)}
          onSynced={(items) => {
            setDialog(null);
            setSyncResult(items);
          }}
        />
      )}
      {dialog === 'profile' && (
        <ProfileFromClusterDialog
          tenant={tenant}
          cluster={cluster.name}
          onClose={() => setDialog(null)}
          onCreated={(reply) => {
            setDialog(null);
            setCreated(reply);
          }}
        />
      )}
    </section>
  );
}

/**
 * A run seen requested or running, or just started here, that is now finished: its releases replace
 * the table's. A server-side run can finish before the first poll sees it running, hence `watch`.
 */
function useRefreshWhenFinished(tenant: string, name: string, latest: DiscoveryRunView | undefined) {
  const refresh = useRefreshReleases(tenant, name);
  const awaited = useRef<string | null>(null);
  useEffect(() => {
    if (latest && isRunActive(latest)) awaited.current = latest.id;
    else if (awaited.current !== null && latest) {
      awaited.current = null;
      void refresh();
    }
  }, [latest, refresh]);
  return (run: DiscoveryRunView) => {
    awaited.current = run.id;
  };
}

function Releases({
  tenant,
  cluster,
  latest,
}: {
  tenant: string;
  cluster: ClusterView;
  latest: DiscoveryRunView | undefined;
}) {
  const [namespaceText, setNamespaceText] = useState('');
  const [searchText, setSearchText] = useState('');
  const namespaceId = useId();
  const searchId = useId();
  const pages = useCursorPages();
  const resetPages = pages.reset;
  const namespace = useDebouncedValue(namespaceText.trim(), DEBOUNCE_MS);
  const q = useDebouncedValue(searchText.trim(), DEBOUNCE_MS);
  // An invalid namespace would be refused by the API: it is named beside the box and not sent.
  const namespaceValid = namespace === '' || isNamespace(namespace);
  useEffect(() => resetPages(), [namespace, q, resetPages]);
  const releases = useReleases(tenant, cluster.name, {
    namespace: namespaceValid ? namespace : '',
    q,
    cursor: pages.cursor,
  });
  const run = releases.data?.run ?? null;
  const items = releases.data?.items ?? [];
  const filtered = namespace !== '' || q !== '';

  if (releases.isPending) return <Loading label="Loading the discovered releases…" />;
  if (releases.isError)
    return (
      <ErrorMessage
        title="Could not load the discovered releases"
        error={releases.error}
        onRetry={() => void releases.refetch()}
        retrying={releases.isFetching}
      />
    );
  if (run === null)
    return isRunActive(latest) ? null : (
      <div className="empty discovery-empty">
        <p>No discovery has run yet.</p>
        <p>
          Discover now reads the Helm releases installed in the cluster (Helm's release Secrets and
          ConfigMaps, Helm 2 included), lists each with its chart, and matches the charts with the registries
          this tenant sees.{' '}
          {cluster.mode === 'agent'
            ? 'For an agent cluster the agent does it at its next heartbeat, with --kubeconfig.'
            : 'For this cluster the server does it, with the kubeconfig it was given.'}
        </p>
      </div>
    );

  return (
    <>
      {latest !== undefined && latest.id !== run.id && (
        // A newer run is still going or failed: say which run the table shows.
        <p className="muted">
          Releases from the discovery of{' '}
          <time dateTime={run.finishedAt ?? run.requestedAt}>
            {formatDate(run.finishedAt ?? run.requestedAt)}
          </time>
          .
        </p>
      )}
      <div className="chart-filters" role="search" aria-label="Filter discovered releases">
        <div className={namespaceValid ? 'filter' : 'filter field-invalid'}>
          <label htmlFor={namespaceId}>Namespace</label>
          <input
            id={namespaceId}
            type="text"
            value={namespaceText}
            maxLength={63}
            autoComplete="off"
            spellCheck={false}
            placeholder="All namespaces"
            aria-invalid={namespaceValid ? undefined : true}
            aria-describedby={namespaceValid ? undefined : `${namespaceId}-error`}
            onChange={(e) => setNamespaceText(e.currentTarget.value)}
          />
          {!namespaceValid && (
            <div id={`${namespaceId}-error`} className="field-error">
              Not a namespace name.
            </div>
          )}
        </div>
        <div className="filter">
          <label htmlFor={searchId}>Search releases</label>
          <input
            id={searchId}
            type="search"
            value={searchText}
            maxLength={256}
            placeholder="Release or chart name"
            onChange={(e) => setSearchText(e.currentTarget.value)}
          />
        </div>
      </div>
      {items.length === 0 ? (
        <p className="empty">
          {filtered ? 'No release matches.' : 'The last discovery found no Helm releases.'}
        </p>
      ) : (
        <DiscoveredReleasesTable releases={items} />
      )}
      <CursorPager pages={pages} nextCursor={releases.data?.nextCursor} pageSize={RELEASES_PAGE_SIZE} />
    </>
  );
}
