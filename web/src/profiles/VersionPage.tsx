import { useParams } from 'react-router';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { DraftEditor } from './DraftEditor';
import { useProfileVersion } from './profile-queries';
import { VersionReadOnly } from './VersionReadOnly';
import { VersionStatusBadge } from './VersionStatusBadge';
import { ProfileBreadcrumb } from './ProfileBreadcrumb';

/** Cluster profiles > NAME > VERSION: the editor for a draft (administrators), otherwise read-only. */
export function VersionPage() {
  const { tenant = '', name = '', version = '' } = useParams();
  usePageTitle(`${name} ${version}`, 'Cluster profiles', tenant);
  const { data: me } = useMe();
  const canManage = tenantRole(me, tenant) === 'admin';
  const view = useProfileVersion(tenant, name, version);

  return (
    <section className="page">
      <ProfileBreadcrumb tenant={tenant} profile={name} here={version} />
      <h1 className="version-title">
        {name} <span className="mono">{version}</span>
        {view.data && <VersionStatusBadge status={view.data.status} />}
      </h1>
      {view.isPending ? (
        <Loading label="Loading the version…" />
      ) : view.isError ? (
        <ErrorMessage
          title="Could not load the version"
          error={view.error}
          onRetry={() => void view.refetch()}
          retrying={view.isFetching}
        />
      ) : canManage && view.data.status === 'draft' ? (
        // Keyed by status: publishing swaps the editor for the read-only view with fresh state.
        <DraftEditor key={`${version}:draft`} tenant={tenant} view={view.data} />
      ) : (
        <VersionReadOnly key={`${version}:${view.data.status}`} tenant={tenant} view={view.data} />
      )}
    </section>
  );
}
