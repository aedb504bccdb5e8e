import type { AssignmentView } from '../../../src/client/api-client.js';

/** Read-only assignments: each profile's version and variables; a sensitive value is only "set" or "not set". */
export function AssignedProfilesTable({ profiles }: { profiles: readonly AssignmentView[] }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Assigned profiles">
      <table className="data-table">
        <caption className="visually-hidden">Profiles assigned to this cluster, in install order</caption>
        <thead>
          <tr>
            <th scope="col">Profile</th>
            <th scope="col">Version</th>
            <th scope="col">Variables</th>
          </tr>
        </thead>
        <tbody>
          {profiles.map((p) => (
            <tr key={p.profile} data-assignment={p.profile}>
              <th scope="row">{p.profile}</th>
              <td className="mono">{p.version}</td>
              <td>
                {p.variables.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="inline-list">
                    {p.variables.map((v) => (
                      <li key={v.name}>
                        <span className="mono">{v.name}</span>:{' '}
                        {v.sensitive ? (
                          <em>{v.set ? 'set' : 'not set'}</em>
                        ) : v.value !== undefined ? (
                          <span className="mono">{String(v.value)}</span>
                        ) : (
                          <em>default</em>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
