import type { MemberView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { ActionTable } from '../ui/ActionTable';
import { Truncate } from '../ui/Truncate';

interface MembersTableProps {
  tenant: string;
  members: MemberView[];
  /** The signed-in user's username: their own row offers "Leave". */
  me: string | undefined;
  /** Tenant administrators change roles and remove members. */
  canManage: boolean;
  /** The member whose role change is being saved. */
  saving: string | null;
  onRole: (username: string, role: MemberView['role']) => void;
  onRemove: (username: string) => void;
}

const roleLabel = (role: MemberView['role']): string => (role === 'admin' ? 'Administrator' : 'Member');

export function MembersTable({
  tenant,
  members,
  me,
  canManage,
  saving,
  onRole,
  onRemove,
}: MembersTableProps) {
  return (
    <ActionTable label="Members" caption={`Members of ${tenant}`} columns={['Username', 'Role', 'Added']}>
      {members.map((m) => (
        <tr key={m.username}>
          <th scope="row">
            <Truncate text={m.username} />
          </th>
          <td>
            {canManage ? (
              <select
                aria-label={`Role of ${m.username}`}
                value={m.role}
                disabled={saving !== null}
                aria-busy={saving === m.username || undefined}
                onChange={(e) => onRole(m.username, e.currentTarget.value === 'admin' ? 'admin' : 'member')}
              >
                <option value="admin">{roleLabel('admin')}</option>
                <option value="member">{roleLabel('member')}</option>
              </select>
            ) : (
              roleLabel(m.role)
            )}
          </td>
          <td>{formatDate(m.createdAt)}</td>
          <td className="cell-actions">
            {(canManage || m.username === me) && (
              <Button
                className="btn-small"
                variant="ghost"
                onClick={() => onRemove(m.username)}
                aria-label={m.username === me ? `Leave ${tenant}` : `Remove ${m.username}`}
              >
                {m.username === me ? 'Leave' : 'Remove'}
              </Button>
            )}
          </td>
        </tr>
      ))}
    </ActionTable>
  );
}
