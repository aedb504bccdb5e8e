import { Link } from 'react-router';
import type { ProfileView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { profilePath } from './profile-paths';

interface ProfilesTableProps {
  tenant: string;
  profiles: readonly ProfileView[];
}

export function ProfilesTable({ tenant, profiles }: ProfilesTableProps) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Cluster profiles">
      <table className="data-table profile-table">
        <caption className="visually-hidden">Cluster profiles of {tenant}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">Latest version</th>
            <th scope="col">Latest published</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {profiles.map((p) => (
            <tr key={p.name} data-profile={p.name}>
              <th scope="row">
                <Link to={profilePath(tenant, p.name)}>{p.name}</Link>
              </th>
              <td>{p.description ?? <span className="muted">—</span>}</td>
              <td className="mono">{p.latestVersion ?? '—'}</td>
              <td className="mono">{p.latestPublished ?? <span className="muted">none</span>}</td>
              <td>{formatDate(p.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
