import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { NewProfileDialog } from './NewProfileDialog';
import { versionPath } from './profile-paths';
import { useProfiles } from './profile-queries';
import { ProfilesTable } from './ProfilesTable';
import { ProfileBreadcrumb } from './ProfileBreadcrumb';

/** Main Menu > Cluster Profiles: the tenant's profiles; administrators create them. */
export function ProfilesPage() {
  const tenant = useParams().tenant ?? '';
  return <Profiles key={tenant} tenant={tenant} />;
}

function Profiles({ tenant }: { tenant: string }) {
  usePageTitle('Cluster profiles', tenant);
  const navigate = useNavigate();
  const { data: me } = useMe();
  const canManage = tenantRole(me, tenant) === 'admin';
  const profiles = useProfiles(tenant);
  const [creating, setCreating] = useState(false);

  return (
    <section className="page">
      <ProfileBreadcrumb tenant={tenant} />
      <h1>Cluster profiles</h1>
      <p className="page-intro">
        A profile is a stack of charts to install on a cluster, kept as numbered versions. A draft can be
        edited; a published version never changes.
      </p>
      {canManage && (
        <div className="toolbar toolbar-end">
          <Button variant="primary" onClick={() => setCreating(true)}>
            New profile
          </Button>
        </div>
      )}
      {profiles.isPending ? (
        <Loading label="Loading profiles…" />
      ) : profiles.isError ? (
        <ErrorMessage
          title="Could not load the profiles"
          error={profiles.error}
          onRetry={() => void profiles.refetch()}
          retrying={profiles.isFetching}
        />
      ) : profiles.data.length === 0 ? (
        <p className="empty">No cluster profiles yet.</p>
      ) : (
        <ProfilesTable tenant={tenant} profiles={profiles.data} />
      )}
      {creating && (
        <NewProfileDialog
          tenant={tenant}
          onClose={() => setCreating(false)}
          onCreated={(view) => void navigate(versionPath(tenant, view.profile, view.version))}
        />
      )}
    </section>
  );
}
