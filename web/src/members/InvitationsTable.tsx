import type { InvitationView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { ActionTable } from '../ui/ActionTable';
import { Truncate } from '../ui/Truncate';

interface InvitationsTableProps {
  tenant: string;
  invitations: InvitationView[];
  withdrawing: string | null;
  onWithdraw: (invitation: InvitationView) => void;
}

/** Invitations waiting for their answer, for the tenant's administrators. */
export function InvitationsTable({ tenant, invitations, withdrawing, onWithdraw }: InvitationsTableProps) {
  return (
    <ActionTable
      label="Pending invitations"
      caption={`Invitations to ${tenant} waiting for an answer`}
      columns={['Username', 'Role', 'Invited by', 'Expires']}
    >
      {invitations.map((i) => (
        <tr key={i.id}>
          <th scope="row">
            <Truncate text={i.username} />
          </th>
          <td>{i.role === 'admin' ? 'Administrator' : 'Member'}</td>
          <td>{i.invitedBy}</td>
          <td>{formatDate(i.expiresAt)}</td>
          <td className="cell-actions">
            <Button
              className="btn-small"
              variant="ghost"
              busy={withdrawing === i.id}
              onClick={() => onWithdraw(i)}
              aria-label={`Withdraw the invitation of ${i.username}`}
            >
              Withdraw
            </Button>
          </td>
        </tr>
      ))}
    </ActionTable>
  );
}
