import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import type { InvitationView } from '../../../src/client/api-client.js';
import { meQueryKey, useMe } from '../app/me';
import { useApi } from '../app/session';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';

/**
 * Invitations waiting for the signed-in user's answer, above every screen: nobody joins a tenant
 * without saying yes here (or with `charthouse invitation accept`).
 */
export function InvitationsBanner() {
  const { data: me } = useMe();
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const answer = useMutation({
    mutationFn: async ({ invitation, accept }: { invitation: InvitationView; accept: boolean }) => {
      if (accept) await api.invitations.accept(invitation.id);
      else await api.invitations.decline(invitation.id);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: meQueryKey }),
  });
  const invitations = me?.invitations ?? [];
  if (invitations.length === 0 && !answer.isError) return null;

  return (
    <div className="alert alert-info" role="region" aria-label="Invitations">
      <div className="alert-body">
        {answer.isError && <ErrorMessage title="The invitation was not answered" error={answer.error} />}
        <ul className="invitation-list">
          {invitations.map((i) => (
            <li key={i.id}>
              <span>
                <strong>{i.invitedBy}</strong> invited you to join{' '}
                <strong>{i.tenantDisplayName || i.tenant}</strong> as{' '}
                {i.role === 'admin' ? 'an administrator' : 'a member'}.
              </span>
              <Button
                className="btn-small"
                variant="primary"
                busy={answer.isPending && answer.variables?.invitation.id === i.id && answer.variables.accept}
                disabled={answer.isPending}
                onClick={() =>
                  answer.mutate(
                    { invitation: i, accept: true },
                    {
                      onSuccess: () =>
                        void navigate(`/t/${encodeURIComponent(i.tenant)}/settings/registries`),
                    },
                  )
                }
                aria-label={`Accept the invitation to ${i.tenant}`}
              >
                Accept
              </Button>
              <Button
                className="btn-small"
                variant="ghost"
                disabled={answer.isPending}
                onClick={() => answer.mutate({ invitation: i, accept: false })}
                aria-label={`Decline the invitation to ${i.tenant}`}
              >
                Decline
              </Button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
