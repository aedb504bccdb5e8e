import { Link } from 'react-router';
import type { ProfileView, VersionSummary } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { ActionTable } from '../ui/ActionTable';
import { versionPath } from './profile-paths';
import { VersionStatusBadge } from './VersionStatusBadge';

interface VersionsTableProps {
  tenant: string;
  profile: ProfileView;
  canManage: boolean;
  onDelete: (version: VersionSummary) => void;
}

const COLUMNS = ['Version', 'Status', 'Created', 'Created by', 'Published', 'Layers', 'Updates available'];

export function VersionsTable({ tenant, profile, canManage, onDelete }: VersionsTableProps) {
  return (
    <ActionTable label="Versions" caption={`Versions of ${profile.name}`} columns={COLUMNS}>
      {profile.versions.map((v) => {
        const updates = v.updatesAvailable;
        return (
          <tr key={v.version} data-version={v.version}>
            <th scope="row" className="mono">
              <Link
                to={versionPath(tenant, profile.name, v.version)}
                aria-label={`Open version ${v.version}`}
              >
                {v.version}
              </Link>
            </th>
            <td>
              <VersionStatusBadge status={v.status} />
            </td>
            <td>{formatDate(v.createdAt)}</td>
            <td>{v.createdBy}</td>
            <td>
              {v.publishedAt ? (
                <>
                  {formatDate(v.publishedAt)}
                  {v.publishedBy && <span className="muted"> by {v.publishedBy}</span>}
                </>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td>{v.layerCount}</td>
            <td>
              {updates === undefined ? <span className="muted">…</span> : updates === 0 ? 'None' : updates}
            </td>
            <td className="cell-actions">
              <div className="row-actions">
                <Link
                  className="btn btn-small btn-secondary"
                  to={versionPath(tenant, profile.name, v.version)}
                >
                  Open
                </Link>
                {canManage && v.status === 'draft' && (
                  <Button
                    className="btn-small"
                    variant="ghost"
                    onClick={() => onDelete(v)}
                    aria-label={`Delete draft ${v.version}`}
                  >
                    Delete
                  </Button>
                )}
              </div>
            </td>
          </tr>
        );
      })}
    </ActionTable>
  );
}
