import type { ClusterView, DiscoveryRunView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { runStatusText, TRIGGER_LABELS } from './discovery-model';

/** The newest discovery run: its state, when, what it found, its warnings (folded) and its error. */
export function LastDiscovery({ run, mode }: { run: DiscoveryRunView; mode: ClusterView['mode'] }) {
  const when = run.finishedAt ?? run.startedAt ?? run.requestedAt;
  return (
    <div className="last-discovery" data-run-status={run.status}>
      <dl className="facts">
        <div>
          <dt>Last discovery</dt>
          <dd>
            <span className={`badge badge-run-${run.status}`}>{run.status}</span>
          </dd>
        </div>
        <div>
          <dt>{run.finishedAt ? 'Finished' : run.startedAt ? 'Started' : 'Requested'}</dt>
          <dd>
            <time dateTime={when} title={when}>
              {formatDate(when)}
            </time>
          </dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>
            {TRIGGER_LABELS[run.trigger] ?? run.trigger}
            {run.requestedBy && <span className="muted"> by {run.requestedBy}</span>}
          </dd>
        </div>
        <div>
          <dt>Namespaces</dt>
          <dd>{run.namespaces === null ? 'All' : run.namespaces.join(', ')}</dd>
        </div>
        <div>
          <dt>Releases</dt>
          <dd>{run.releases}</dd>
        </div>
        <div>
          <dt>Matched</dt>
          <dd>{run.matched}</dd>
        </div>
        {run.helm2 > 0 && (
          <div>
            <dt>Helm 2</dt>
            <dd>{run.helm2}</dd>
          </div>
        )}
      </dl>
      {run.status === 'failed' ? (
        <div className="alert alert-error" role="alert">
          <div className="alert-body">
            <strong>The last discovery failed</strong>
            <p>
              {run.error?.message ?? 'No reason was recorded.'}
              {run.error?.code && <span className="muted"> ({run.error.code})</span>}
            </p>
          </div>
        </div>
      ) : (
        <p className="run-summary">{runStatusText(run, mode)}</p>
      )}
      {run.warnings.length > 0 && (
        <details className="run-warnings">
          <summary>
            {run.warnings.length} warning{run.warnings.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {run.warnings.map((w, i) => (
              <li key={i}>
                {(w.namespace || w.object) && (
                  <span className="mono">{[w.namespace, w.object].filter(Boolean).join('/')}: </span>
                )}
                {w.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
