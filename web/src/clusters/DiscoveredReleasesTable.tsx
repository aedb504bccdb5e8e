import type { DiscoveredReleaseView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import {
  MATCH_HINTS,
  matchText,
  SYNC_OUTCOME_HINTS,
  syncOutcomeLabel,
  syncOutcomeTone,
  VALUES_HINTS,
  VALUES_LABELS,
} from './discovery-model';

/** The releases a discovery found, each with the registries its chart matched and how. */
export function DiscoveredReleasesTable({ releases }: { releases: readonly DiscoveredReleaseView[] }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Releases found">
      <table className="data-table discovered-table">
        <caption className="visually-hidden">
          Helm releases found in the cluster, with the registries their charts matched
        </caption>
        <thead>
          <tr>
            <th scope="col">Release</th>
            <th scope="col">Namespace</th>
            <th scope="col">Chart</th>
            <th scope="col">Version</th>
            <th scope="col">Status</th>
            <th scope="col">Matched registries</th>
            <th scope="col">Values</th>
            <th scope="col">Last sync</th>
            <th scope="col">Deployed</th>
          </tr>
        </thead>
        <tbody>
          {releases.map((r) => (
            <ReleaseRow key={`${r.namespace}/${r.name}`} release={r} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ReleaseRow({ release: r }: { release: DiscoveredReleaseView }) {
  return (
    <tr data-release={`${r.namespace}/${r.name}`}>
      <th scope="row">
        <span className="mono">{r.name}</span>
        {r.helm === 2 && (
          <>
            {' '}
            <span className="badge badge-helm2" title="A Tiller release: listed, never synced">
              Helm 2
            </span>
          </>
        )}
        <div className="muted">revision {r.revision}</div>
      </th>
      <td className="mono">{r.namespace}</td>
      <td>
        <span className="mono">{r.chart}</span>
        {r.reconstructed && (
          <>
            {' '}
            <span
              className="badge badge-reconstructed"
              title="Its chart is in the hosted registry as rebuilt from the release; its digest differs from the original's"
            >
              reconstructed
            </span>
          </>
        )}
        {r.appVersion && <div className="muted">app {r.appVersion}</div>}
        {r.dependencies > 0 && (
          <div className="muted">
            {r.dependencies} subchart{r.dependencies === 1 ? '' : 's'}
          </div>
        )}
      </td>
      <td className="mono">{r.version}</td>
      <td>{r.status}</td>
      <td>
        {r.matchedRegistries.length === 0 ? (
          <span className="muted">No match</span>
        ) : (
          <ul className="plain-list">
            {r.matchedRegistries.map((m) => (
              <li key={`${m.scope}/${m.registry}/${m.how}`} title={MATCH_HINTS[m.how]}>
                {matchText(m)}
                {m.scope === 'system' && (
                  <>
                    {' '}
                    <span className="badge badge-system">system</span>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td title={VALUES_HINTS[r.values]}>{VALUES_LABELS[r.values]}</td>
      <td>
        {r.sync === null ? (
          <span className="muted">never</span>
        ) : (
          <>
            <span
              className={`badge badge-outcome-${syncOutcomeTone(r.sync.outcome)}`}
              title={SYNC_OUTCOME_HINTS[r.sync.outcome]}
            >
              {syncOutcomeLabel(r.sync.outcome)}
            </span>
            {r.sync.message && <div className="muted break-anywhere">{r.sync.message}</div>}
          </>
        )}
      </td>
      <td>
        {r.lastDeployed ? (
          <time dateTime={r.lastDeployed} title={r.lastDeployed}>
            {formatDate(r.lastDeployed)}
          </time>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}
