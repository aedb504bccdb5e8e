import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { ClusterView } from '../../../src/client/api-client.js';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { AgentTokenPanel } from './AgentTokenPanel';
import { AssignedProfilesTable } from './AssignedProfilesTable';
import { AssignmentsForm } from './AssignmentsForm';
import { ClusterBreadcrumb } from './ClusterBreadcrumb';
import { clustersPath } from './cluster-paths';
import { useCluster } from './cluster-queries';
import { ClusterStatus } from './ClusterStatus';
import { DeleteClusterDialog } from './DeleteClusterDialog';
import { DiscoverySection } from './DiscoverySection';
import { LayerStatusTable } from './LayerStatusTable';
import { ReplaceKubeconfigDialog } from './ReplaceKubeconfigDialog';
import { RotateTokenDialog } from './RotateTokenDialog';

/** Clusters > NAME: status, assigned profiles (editable by administrators), per-layer status, discovered releases. */
export function ClusterPage() {
  const { tenant = '', name = '' } = useParams();
  usePageTitle(name, 'Clusters', tenant);
  const cluster = useCluster(tenant, name);
  return (
    <section className="page">
      <ClusterBreadcrumb tenant={tenant} here={name} />
      <h1>{name}</h1>
      {cluster.isPending ? (
        <Loading label="Loading the cluster…" />
      ) : cluster.isError ? (
        <ErrorMessage
          title="Could not load the cluster"
          error={cluster.error}
          onRetry={() => void cluster.refetch()}
          retrying={cluster.isFetching}
        />
      ) : (
        <ClusterDetail key={`${tenant}/${name}`} tenant={tenant} cluster={cluster.data} />
      )}
    </section>
  );
}

function ClusterDetail({ tenant, cluster }: { tenant: string; cluster: ClusterView }) {
  const navigate = useNavigate();
  const { data: me } = useMe();
  const canManage = tenantRole(me, tenant) === 'admin';
  const [dialog, setDialog] = useState<'rotate' | 'kubeconfig' | 'delete' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [newToken, setNewToken] = useState<string | null>(null);

  return (
    <>
      {cluster.description && <p className="page-intro">{cluster.description}</p>}
      {newToken !== null && (
        <AgentTokenPanel
          cluster={cluster.name}
          token={newToken}
          reason="rotated"
          onDone={() => setNewToken(null)}
        />
      )}
      {canManage && (
        <div className="toolbar toolbar-end actions">
          {cluster.mode === 'kubeconfig' && (
            <Button onClick={() => setDialog('kubeconfig')}>Replace kubeconfig…</Button>
          )}
          {cluster.mode === 'agent' && (
            <Button onClick={() => setDialog('rotate')}>Rotate agent token…</Button>
          )}
          <Button variant="danger" onClick={() => setDialog('delete')}>
            Delete cluster
          </Button>
        </div>
      )}
      {message && (
        <Notice tone="success" onDismiss={() => setMessage(null)}>
          {message}
        </Notice>
      )}
      <ClusterStatus cluster={cluster} />
      <h2 className="section-title">Profiles</h2>
      {canManage ? (
        // Started once from the stored assignments (and again after each save): the page's polling for
        // connection and layer states must not reset what is being edited.
        <AssignmentsForm tenant={tenant} cluster={cluster} />
      ) : cluster.profiles.length === 0 ? (
        <p className="empty">No profiles assigned.</p>
      ) : (
        <AssignedProfilesTable profiles={cluster.profiles} />
      )}
      <h2 className="section-title">Layer status</h2>
      {cluster.layers.length === 0 ? (
        <p className="empty">No layers: assign a published profile.</p>
      ) : (
        <LayerStatusTable layers={cluster.layers} />
      )}
      <DiscoverySection tenant={tenant} cluster={cluster} canManage={canManage} />
      {dialog === 'rotate' && (
        <RotateTokenDialog
          tenant={tenant}
          name={cluster.name}
          onClose={() => setDialog(null)}
          onRotated={(issued) => {
            setDialog(null);
            setNewToken(issued.agentToken);
          }}
        />
      )}
      {dialog === 'kubeconfig' && (
        <ReplaceKubeconfigDialog
          tenant={tenant}
          name={cluster.name}
          onClose={() => setDialog(null)}
          onReplaced={() => {
            setDialog(null);
            setMessage('Kubeconfig replaced.');
          }}
        />
      )}
      {dialog === 'delete' && (
        <DeleteClusterDialog
          tenant={tenant}
          name={cluster.name}
          onClose={() => setDialog(null)}
          onDeleted={() => void navigate(clustersPath(tenant), { replace: true })}
        />
      )}
    </>
  );
}
