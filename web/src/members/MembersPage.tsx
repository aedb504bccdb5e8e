import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { useApi } from '../app/session';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { Truncate } from '../ui/Truncate';
import { AddMemberDialog } from './AddMemberDialog';
import { membersQueryKey } from './member-queries';

/** Main Menu > Tenant Settings > Members: who belongs to the tenant; administrators add people. */
export function MembersPage() {
  const tenant = useParams().tenant ?? '';
  // A fresh screen (dialog, messages) per tenant.
  return <Members key={tenant} tenant={tenant} />;
}

function Members({ tenant }: { tenant: string }) {
  usePageTitle('Members', tenant);
  const api = useApi();
  const { data: me } = useMe();
  const canManage = tenantRole(me, tenant) === 'admin';
  const members = useQuery({ queryKey: membersQueryKey(tenant), queryFn: () => api.members.list(tenant) });
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<string | null>(null);

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
        Administrators manage the tenant's registries and members; members use them.
      </p>
      {added && (
        <Notice tone="success" onDismiss={() => setAdded(null)}>
          "{added}" is now a member of {tenant}.
        </Notice>
      )}
      {canManage && (
        <div className="toolbar toolbar-end">
          <Button variant="primary" onClick={() => setAdding(true)}>
            Add Member
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
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Members">
          <table className="data-table">
            <caption className="visually-hidden">Members of {tenant}</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {members.data.items.map((m) => (
                <tr key={m.username}>
                  <th scope="row">
                    <Truncate text={m.username} />
                  </th>
                  <td>{m.role === 'admin' ? 'Administrator' : 'Member'}</td>
                  <td>{formatDate(m.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {adding && (
        <AddMemberDialog
          tenant={tenant}
          onClose={() => setAdding(false)}
          onAdded={(username) => {
            setAdding(false);
            setAdded(username);
          }}
        />
      )}
    </section>
  );
}
