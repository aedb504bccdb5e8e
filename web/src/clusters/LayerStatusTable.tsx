import type { LayerStateView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { LayerStateBadge } from './ClusterBadges';
import { releaseText, shortDigest } from './cluster-form-model';

/** Per layer what the agent last reported: state, why, the digest it saw, provenance and the release. */
export function LayerStatusTable({ layers }: { layers: readonly LayerStateView[] }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Layer status">
      <table className="data-table layer-status-table">
        <caption className="visually-hidden">Layer status reported by the agent</caption>
        <thead>
          <tr>
            <th scope="col">Profile</th>
            <th scope="col">Version</th>
            <th scope="col">Layer</th>
            <th scope="col">State</th>
            <th scope="col">Reason</th>
            <th scope="col">Digest</th>
            <th scope="col">Provenance</th>
            <th scope="col">Release</th>
            <th scope="col">Reported</th>
          </tr>
        </thead>
        <tbody>
          {layers.map((l) => (
            <tr key={`${l.profile}/${l.layer}`} data-layer={`${l.profile}/${l.layer}`}>
              <td>{l.profile}</td>
              <td className="mono">{l.version}</td>
              <th scope="row" className="mono">
                {l.layer}
              </th>
              <td>
                <LayerStateBadge state={l.state} />
                {l.planRevision !== null && <div className="muted">plan {l.planRevision}</div>}
              </td>
              <td className="break-anywhere">{l.reason ?? <span className="muted">—</span>}</td>
              <td className="mono">
                {l.digest ? (
                  <span title={l.digest}>{shortDigest(l.digest)}</span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>{l.provenance ?? <span className="muted">—</span>}</td>
              <td>{releaseText(l.release)}</td>
              <td>{l.reportedAt ? formatDate(l.reportedAt) : <span className="muted">never</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
