import type { SyncedChartView } from '../../../src/client/api-client.js';
import { shortDigest } from './cluster-form-model';
import { SYNC_OUTCOME_HINTS, syncOutcomeLabel, syncOutcomeTone, syncSummary } from './discovery-model';

/** What "Sync discovered charts" did, per chart: outcome, where it went, why, and its warnings. */
export function SyncResultPanel({
  items,
  onDismiss,
}: {
  items: readonly SyncedChartView[];
  onDismiss: () => void;
}) {
  return (
    <section className="result-panel" aria-labelledby="sync-result-title">
      <div className="result-panel-header">
        <h3 id="sync-result-title">Sync result</h3>
        <button type="button" className="icon-button" onClick={onDismiss} aria-label="Dismiss sync result">
          <span aria-hidden="true">×</span>
        </button>
      </div>
      <p role="status">{syncSummary(items)}</p>
      {items.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Synced charts">
          <table className="data-table discovered-table">
            <caption className="visually-hidden">Outcome per discovered chart</caption>
            <thead>
              <tr>
                <th scope="col">Chart</th>
                <th scope="col">Version</th>
                <th scope="col">Releases</th>
                <th scope="col">Outcome</th>
                <th scope="col">Registry</th>
                <th scope="col">Message</th>
                <th scope="col">Warnings</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr
                  key={`${i.chart}/${i.version}/${i.releases.map((r) => `${r.namespace}/${r.name}`).join()}`}
                  data-synced-chart={`${i.chart}/${i.version}`}
                >
                  <th scope="row" className="mono">
                    {i.chart}
                  </th>
                  <td className="mono">{i.version}</td>
                  <td>{i.releases.map((r) => `${r.name} in ${r.namespace}`).join(', ')}</td>
                  <td>
                    <span
                      className={`badge badge-outcome-${syncOutcomeTone(i.outcome)}`}
                      title={SYNC_OUTCOME_HINTS[i.outcome]}
                    >
                      {syncOutcomeLabel(i.outcome)}
                    </span>
                  </td>
                  <td>
                    {i.registry ?? <span className="muted">—</span>}
                    {i.digest && (
                      <div className="muted mono" title={i.digest}>
                        {shortDigest(i.digest)}
                      </div>
                    )}
                  </td>
                  <td className="break-anywhere">{i.message ?? <span className="muted">—</span>}</td>
                  <td>
                    {i.warnings.length === 0 ? (
                      <span className="muted">None</span>
                    ) : (
                      <ul className="plain-list">
                        {i.warnings.map((w, n) => (
                          <li key={n}>{w}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
