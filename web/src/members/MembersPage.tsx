import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { AddMemberResult } from '../../../src/client/api-client.js';
import { isSystemAdmin, tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { useApi } from '../app/session';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { AddMemberDialog } from './AddMemberDialog';
import { InvitationsTable } from './InvitationsTable';
import { invitationsQueryKey, membersQueryKey, useSetRole, useWithdrawInvitation } from './member-queries';
import { MembersTable } from './MembersTable';
import { RemoveMemberDialog } from './RemoveMemberDialog';

/**
 * Main Menu > Tenant Settings > Members: who belongs to the tenant. Administrators change roles, remove
 * members and invite people (a system administrator adds them at once); everyone may leave.
 */
export function MembersPage() {
  const tenant = useParams().tenant ?? '';
  // A fresh screen (dialog, messages) per tenant.
  return <Members key={tenant} tenant={tenant} />;
}

function Members({ tenant }: { tenant: string }) {
  usePageTitle('Members', tenant);
  const api = useApi();
  const navigate = useNavigate();
  const { data: me } = useMe();
  const canManage = tenantRole(me, tenant) === 'admin';
  const members = useQuery({ queryKey: membersQueryKey(tenant), queryFn: () => api.members.list(tenant) });
  const invitations = useQuery({
    queryKey: invitationsQueryKey(tenant),
    queryFn: () => api.members.invitations(tenant),
    enabled: canManage,
  });
  const setRole = useSetRole(tenant);
  const withdraw = useWithdrawInvitation(tenant);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const onAdded = (result: AddMemberResult) => {
    setAdding(false);
    setMessage(
      result.status === 'added'
        ? `"${result.member.username}" is now a member of ${tenant}.`
        : `"${result.invitation.username}" is invited to ${tenant} until ${formatDate(result.invitation.expiresAt)}. ` +
            'If they have an account, they see the invitation when they sign in; they join when they accept.',
    );
  };

  const onRemoved = (username: string) => {
    setRemoving(null);
    if (username === me?.username && !isSystemAdmin(me)) {
      void navigate('/', { replace: true });
      return;
    }
    setMessage(`"${username}" was removed from ${tenant}.`);
  };

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>Main Menu</li>
          <li>Tenant Settings</li>
          <li>Members</li>
        </ol>
      </nav>
      <h1>Members</h1>
      <p className="page-intro">
        Administrators manage the tenant's registries and members; members use them. A tenant always keeps at
        least one administrator.
      </p>
      {message && (
        <Notice tone="success" onDismiss={() => setMessage(null)}>
          {message}
        </Notice>
      )}
      {setRole.isError && (
        <ErrorMessage
          title="The role was not changed"
          error={setRole.error}
          onRetry={() => setRole.reset()}
        />
      )}
      {withdraw.isError && <ErrorMessage title="The invitation was not withdrawn" error={withdraw.error} />}
      {canManage && (
        <div className="toolbar toolbar-end">
          <Button variant="primary" onClick={() => setAdding(true)}>
            {isSystemAdmin(me) ? 'Add Member' : 'Invite Member'}
          </Button>
        </div>
      )}
      {members.isPending ? (
        <Loading label="Loading members…" />
      ) : members.isError ? (
        <ErrorMessage
          title="Could not load the members"
          error={members.error}
          onRetry={() => void members.refetch()}
          retrying={members.isFetching}
        />
      ) : members.data.items.length === 0 ? (
        <p className="empty">No members yet.</p>
      ) : (
        <MembersTable
          tenant={tenant}
          members={members.data.items}
          me={me?.username}
          canManage={canManage}
          saving={setRole.isPending ? (setRole.variables?.username ?? null) : null}
          onRole={(username, role) => {
            setMessage(null);
            setRole.mutate(
              { username, role },
              {
                onSuccess: (m) =>
                  setMessage(
                    `"${m.username}" is now ${m.role === 'admin' ? 'an administrator' : 'a member'}.`,
                  ),
              },
            );
          }}
          onRemove={(username) => {
            setMessage(null);
            setRemoving(username);
          }}
        />
      )}
      {canManage && invitations.data && invitations.data.items.length > 0 && (
        <>
          <h2 className="section-title">Pending invitations</h2>
          <InvitationsTable
            tenant={tenant}
            invitations={invitations.data.items}
            withdrawing={withdraw.isPending ? (withdraw.variables ?? null) : null}
            onWithdraw={(i) =>
              withdraw.mutate(i.id, {
                onSuccess: () => setMessage(`The invitation of "${i.username}" was withdrawn.`),
              })
            }
          />
        </>
      )}
      {adding && (
        <AddMemberDialog
          tenant={tenant}
          mode={isSystemAdmin(me) ? 'add' : 'invite'}
          onClose={() => setAdding(false)}
          onDone={onAdded}
        />
      )}
      {removing && (
        <RemoveMemberDialog
          tenant={tenant}
          username={removing}
          self={removing === me?.username}
          onClose={() => setRemoving(null)}
          onRemoved={onRemoved}
        />
      )}
    </section>
  );
}
