import type { ClusterView, LayerStateView } from '../../../src/client/api-client.js';
import { CONNECTION_HINTS, CONNECTION_LABELS } from './cluster-form-model';

/** Connected, disconnected (no heartbeat for 10 minutes) or never connected, as a badge. */
export function ConnectionBadge({ connection }: { connection: ClusterView['connection'] }) {
  return (
    <span className={`badge badge-connection-${connection}`} title={CONNECTION_HINTS[connection]}>
      {CONNECTION_LABELS[connection]}
    </span>
  );
}

/** What the agent last said about a layer: pending, pulled, verified, installed or failed. */
export function LayerStateBadge({ state }: { state: LayerStateView['state'] }) {
  return <span className={`badge badge-layer-${state}`}>{state}</span>;
}
