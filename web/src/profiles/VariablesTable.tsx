import type { VariableView } from '../../../src/client/api-client.js';

/** Read-only variables; a sensitive default is only ever "set" or "not set". */
export function VariablesTable({ variables }: { variables: readonly VariableView[] }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Variables">
      <table className="data-table">
        <caption className="visually-hidden">Profile variables</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Required</th>
            <th scope="col">Default</th>
            <th scope="col">Sensitive</th>
          </tr>
        </thead>
        <tbody>
          {variables.map((v) => (
            <tr key={v.name}>
              <th scope="row" className="mono">
                {v.name}
                {v.description && <div className="muted">{v.description}</div>}
              </th>
              <td>{v.type}</td>
              <td>{v.required ? 'Yes' : 'No'}</td>
              <td className="mono">
                {v.sensitive
                  ? v.hasDefault
                    ? 'set'
                    : 'not set'
                  : v.default === undefined
                    ? '—'
                    : String(v.default)}
              </td>
              <td>{v.sensitive ? 'Yes' : 'No'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
