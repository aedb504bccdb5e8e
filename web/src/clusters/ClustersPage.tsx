import { Link, useParams } from 'react-router';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { ClusterBreadcrumb } from './ClusterBreadcrumb';
import { newClusterPath } from './cluster-paths';
import { useClusters } from './cluster-queries';
import { ClustersTable } from './ClustersTable';

/** Main Menu > Clusters: the tenant's clusters, their connection and layer states; administrators register them. */
export function ClustersPage() {
  const tenant = useParams().tenant ?? '';
  return <Clusters key={tenant} tenant={tenant} />;
}

function Clusters({ tenant }: { tenant: string }) {
  usePageTitle('Clusters', tenant);
  const { data: me } = useMe();
  const canManage = tenantRole(me, tenant) === 'admin';
  const clusters = useClusters(tenant);

  return (
    <section className="page">
      <ClusterBreadcrumb tenant={tenant} />
      <h1>Clusters</h1>
      <p className="page-intro">
        A cluster gets published profile versions. An agent inside the cluster's network pulls, verifies and
        installs their charts, and reports each layer here.
      </p>
      {canManage && (
        <div className="toolbar toolbar-end">
          <Link className="btn btn-primary" to={newClusterPath(tenant)}>
            Register cluster
          </Link>
        </div>
      )}
      {clusters.isPending ? (
        <Loading label="Loading clusters…" />
      ) : clusters.isError ? (
        <ErrorMessage
          title="Could not load the clusters"
          error={clusters.error}
          onRetry={() => void clusters.refetch()}
          retrying={clusters.isFetching}
        />
      ) : clusters.data.length === 0 ? (
        <p className="empty">No clusters yet.</p>
      ) : (
        <ClustersTable tenant={tenant} clusters={clusters.data} />
      )}
    </section>
  );
}
