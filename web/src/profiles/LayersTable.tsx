import type { ProfileVersionView } from '../../../src/client/api-client.js';
import { inInstallOrder } from './profile-form-model';
import { LayerBadges } from './LayerBadges';

/** The read-only layers of a version, in install order, each with its values folded away. */
export function LayersTable({ view }: { view: ProfileVersionView }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Layers">
      <table className="data-table layers-table">
        <caption className="visually-hidden">
          Layers of {view.profile} {view.version} in install order
        </caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Layer</th>
            <th scope="col">Chart</th>
            <th scope="col">Version</th>
            <th scope="col">Release</th>
            <th scope="col">Digest</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {inInstallOrder(view).map((l, i) => (
            <tr key={l.name} data-layer={l.name}>
              <td>{i + 1}</td>
              <th scope="row">
                {l.name}
                {l.dependsOn.length > 0 && <div className="muted">after {l.dependsOn.join(', ')}</div>}
              </th>
              <td>
                <span className="muted">{l.registry}/</span>
                {l.chart}
              </td>
              <td className="mono">
                {l.resolvedVersion ?? l.version ?? '—'}
                {l.versionConstraint && <div className="muted">from {l.versionConstraint}</div>}
              </td>
              <td>
                {l.releaseName}
                <div className="muted">
                  in {l.namespace}
                  {l.createNamespace && ' (created)'}
                </div>
              </td>
              <td className="mono digest" title={l.digest ?? undefined}>
                {l.digest ? `${l.digest.slice(0, 19)}…` : <span className="muted">unknown</span>}
              </td>
              <td>
                <LayerBadges layer={l} />
                {l.warnings.map((w) => (
                  <div key={w} className="field-hint">
                    {w}
                  </div>
                ))}
                {l.values.trim() && (
                  <details className="layer-values">
                    <summary>Values</summary>
                    <pre className="code-block">{l.values}</pre>
                  </details>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
