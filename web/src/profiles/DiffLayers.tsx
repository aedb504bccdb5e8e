import type { ProfileDiff } from '../../../src/client/api-client.js';
import { DiffNames } from './DiffNames';
import { diffValueText } from './profile-form-model';

/** Layers added and removed, and per changed layer its fields and values, from → to. */
export function DiffLayers({ diff }: { diff: ProfileDiff }) {
  const { layers } = diff;
  return (
    <>
      {layers.orderChanged && (
        <p className="alert alert-info" role="status">
          The install order changed.
        </p>
      )}
      <DiffNames
        label="Layers"
        added={layers.added}
        removed={layers.removed}
        changed={layers.changed.map((c) => c.name)}
      />
      {layers.changed.map((layer) => (
        <section key={layer.name} className="diff-layer" aria-label={`Changes to layer ${layer.name}`}>
          <h3>
            Layer <span className="mono">{layer.name}</span> changed
          </h3>
          {layer.fields.length > 0 && (
            <ChangeTable
              caption={`Fields of ${layer.name} that changed`}
              first="Field"
              rows={layer.fields.map((f) => ({ key: f.field, name: f.field, from: f.from, to: f.to }))}
            />
          )}
          {layer.values.length > 0 && (
            <ChangeTable
              caption={`Values of ${layer.name} that changed`}
              first="Values path"
              rows={layer.values.map((v) => ({
                key: `${v.kind}:${v.path}`,
                name: v.path || '(the whole document)',
                kind: v.kind,
                from: v.from,
                to: v.to,
              }))}
            />
          )}
        </section>
      ))}
    </>
  );
}

interface ChangeRow {
  key: string;
  name: string;
  kind?: string;
  from: unknown;
  to: unknown;
}

function ChangeTable({ caption, first, rows }: { caption: string; first: string; rows: ChangeRow[] }) {
  const withKind = rows.some((r) => r.kind !== undefined);
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={caption}>
      <table className="data-table diff-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            {withKind && <th scope="col">Change</th>}
            <th scope="col">From</th>
            <th scope="col">To</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row" className="mono">
                {r.name}
              </th>
              {withKind && <td>{r.kind}</td>}
              <td className="mono diff-from">{diffValueText(r.from)}</td>
              <td className="mono diff-to">{diffValueText(r.to)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
