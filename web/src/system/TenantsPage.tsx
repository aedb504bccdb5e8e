import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { usePageTitle } from '../app/page-title';
import { useApi } from '../app/session';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { Truncate } from '../ui/Truncate';
import { CreateTenantDialog } from './CreateTenantDialog';
import { RequireSystemAdmin } from './RequireSystemAdmin';
import { tenantsQueryKey } from './tenant-queries';

/** System > Tenants: every tenant, and creating one. */
export function TenantsPage() {
  usePageTitle('Tenants');
  return (
    <RequireSystemAdmin>
      <TenantList />
    </RequireSystemAdmin>
  );
}

function TenantList() {
  const api = useApi();
  const tenants = useQuery({ queryKey: tenantsQueryKey, queryFn: () => api.tenants.listAll() });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<string | null>(null);

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>Main Menu</li>
          <li>System</li>
          <li>Tenants</li>
        </ol>
      </nav>
      <h1>Tenants</h1>
      <p className="page-intro">Each tenant is an isolated space with its own members and registries.</p>
      {created && (
        <Notice tone="success" onDismiss={() => setCreated(null)}>
          Tenant "{created}" created. Open it to add members and registries.
        </Notice>
      )}
      <div className="toolbar toolbar-end">
        <Button variant="primary" onClick={() => setCreating(true)}>
          Create Tenant
        </Button>
      </div>
      {tenants.isPending ? (
        <Loading label="Loading tenants…" />
      ) : tenants.isError ? (
        <ErrorMessage
          title="Could not load the tenants"
          error={tenants.error}
          onRetry={() => void tenants.refetch()}
          retrying={tenants.isFetching}
        />
      ) : tenants.data.length === 0 ? (
        <p className="empty">No tenants yet.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Tenants">
          <table className="data-table">
            <caption className="visually-hidden">Tenants</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Display name</th>
                <th scope="col">Created</th>
                <th scope="col">Open</th>
              </tr>
            </thead>
            <tbody>
              {tenants.data.map((t) => (
                <tr key={t.id}>
                  <th scope="row">
                    <Truncate text={t.name} className="mono" />
                  </th>
                  <td>
                    <Truncate text={t.displayName} />
                  </td>
                  <td>{formatDate(t.createdAt)}</td>
                  <td className="cell-links">
                    <Link
                      to={`/t/${encodeURIComponent(t.name)}/settings/registries`}
                      aria-label={`Registries of ${t.name}`}
                    >
                      Registries
                    </Link>
                    <Link
                      to={`/t/${encodeURIComponent(t.name)}/settings/members`}
                      aria-label={`Members of ${t.name}`}
                    >
                      Members
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <CreateTenantDialog
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            setCreated(name);
          }}
        />
      )}
    </section>
  );
}
