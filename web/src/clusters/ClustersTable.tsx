import { Link } from 'react-router';
import type { ClusterView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { ConnectionBadge } from './ClusterBadges';
import { layerSummary } from './cluster-form-model';
import { clusterPath } from './cluster-paths';

interface ClustersTableProps {
  tenant: string;
  clusters: readonly ClusterView[];
}

export function ClustersTable({ tenant, clusters }: ClustersTableProps) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Clusters">
      <table className="data-table cluster-table">
        <caption className="visually-hidden">Clusters of {tenant}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Mode</th>
            <th scope="col">Connection</th>
            <th scope="col">Profiles</th>
            <th scope="col">Layers</th>
          </tr>
        </thead>
        <tbody>
          {clusters.map((c) => (
            <tr key={c.name} data-cluster={c.name}>
              <th scope="row">
                <Link to={clusterPath(tenant, c.name)}>{c.name}</Link>
                {c.description && <div className="muted">{c.description}</div>}
              </th>
              <td>{c.mode === 'agent' ? 'Agent' : 'Kubeconfig'}</td>
              <td>
                <ConnectionBadge connection={c.connection} />
                <div className="muted">
                  {c.lastHeartbeatAt ? `Last heartbeat ${formatDate(c.lastHeartbeatAt)}` : 'No heartbeat yet'}
                </div>
              </td>
              <td>
                {c.profiles.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="inline-list">
                    {c.profiles.map((p) => (
                      <li key={p.profile} className="mono">
                        {p.profile} {p.version}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>{layerSummary(c.layers)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
