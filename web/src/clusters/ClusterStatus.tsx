import type { ClusterView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { ConnectionBadge } from './ClusterBadges';
import { deliveryText } from './cluster-form-model';

/** The cluster's status header: how it is reached, its agent, and whether the agent has the current plan. */
export function ClusterStatus({ cluster: c }: { cluster: ClusterView }) {
  return (
    <dl className="facts cluster-status">
      <div>
        <dt>Mode</dt>
        <dd>{c.mode === 'agent' ? 'Agent' : 'Kubeconfig'}</dd>
      </div>
      <div>
        <dt>Connection</dt>
        <dd>
          <ConnectionBadge connection={c.connection} />
        </dd>
      </div>
      <div>
        <dt>Last heartbeat</dt>
        <dd>{c.lastHeartbeatAt ? formatDate(c.lastHeartbeatAt) : 'never'}</dd>
      </div>
      <div>
        <dt>Agent version</dt>
        <dd className="mono">{c.agentVersion ?? '—'}</dd>
      </div>
      {c.server !== null && (
        <div>
          <dt>API server</dt>
          <dd className="mono break-anywhere">{c.server}</dd>
        </div>
      )}
      <div>
        <dt>Plan</dt>
        <dd>
          {deliveryText(c.plan)}
          {c.plan.deliveredAt && <div className="muted">Last delivered {formatDate(c.plan.deliveredAt)}</div>}
        </dd>
      </div>
      {c.tokenCreatedAt !== null && (
        <div>
          <dt>Agent token created</dt>
          <dd>{formatDate(c.tokenCreatedAt)}</dd>
        </div>
      )}
    </dl>
  );
}
