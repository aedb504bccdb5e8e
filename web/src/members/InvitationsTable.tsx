import type { InvitationView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
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
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Pending invitations">
      <table className="data-table">
        <caption className="visually-hidden">Invitations to {tenant} waiting for an answer</caption>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Role</th>
            <th scope="col">Invited by</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
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
        </tbody>
      </table>
    </div>
  );
}
