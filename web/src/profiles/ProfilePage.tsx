import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { ProfileView, VersionSummary } from '../../../src/client/api-client.js';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { CompareVersions } from './CompareVersions';
import { DeleteProfileDialog } from './DeleteProfileDialog';
import { DeleteVersionDialog } from './DeleteVersionDialog';
import { NewVersionDialog } from './NewVersionDialog';
import { profilesPath, versionPath } from './profile-paths';
import { useProfile } from './profile-queries';
import { VersionsTable } from './VersionsTable';
import { ProfileBreadcrumb } from './ProfileBreadcrumb';

/** Cluster profiles > NAME: the profile's versions, new versions, deletion and comparing two versions. */
export function ProfilePage() {
  const { tenant = '', name = '' } = useParams();
  usePageTitle(name, 'Cluster profiles', tenant);
  const navigate = useNavigate();
  const { data: me } = useMe();
  const canManage = tenantRole(me, tenant) === 'admin';
  const profile = useProfile(tenant, name);
  const [dialog, setDialog] = useState<'version' | 'profile' | VersionSummary | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  return (
    <section className="page">
      <ProfileBreadcrumb tenant={tenant} profile={name} />
      <h1>{name}</h1>
      {profile.isPending ? (
        <Loading label="Loading the profile…" />
      ) : profile.isError ? (
        <ErrorMessage
          title="Could not load the profile"
          error={profile.error}
          onRetry={() => void profile.refetch()}
          retrying={profile.isFetching}
        />
      ) : (
        <>
          {profile.data.description && <p className="page-intro">{profile.data.description}</p>}
          {message && (
            <Notice tone="success" onDismiss={() => setMessage(null)}>
              {message}
            </Notice>
          )}
          <div className="toolbar">
            <CompareVersions tenant={tenant} profile={profile.data} />
            {canManage && (
              <div className="actions">
                <Button variant="primary" onClick={() => setDialog('version')}>
                  New version
                </Button>
                <Button variant="danger" onClick={() => setDialog('profile')}>
                  Delete profile
                </Button>
              </div>
            )}
          </div>
          <h2 className="section-title">Versions</h2>
          <VersionsTable
            tenant={tenant}
            profile={profile.data}
            canManage={canManage}
            onDelete={(v) => {
              setMessage(null);
              setDialog(v);
            }}
          />
          <Dialogs
            tenant={tenant}
            profile={profile.data}
            dialog={dialog}
            onClose={() => setDialog(null)}
            onVersionCreated={(version) => void navigate(versionPath(tenant, name, version))}
            onVersionDeleted={(version) => {
              setDialog(null);
              setMessage(`Draft ${version} was deleted.`);
            }}
            onProfileDeleted={() => void navigate(profilesPath(tenant), { replace: true })}
          />
        </>
      )}
    </section>
  );
}

interface DialogsProps {
  tenant: string;
  profile: ProfileView;
  dialog: 'version' | 'profile' | VersionSummary | null;
  onClose: () => void;
  onVersionCreated: (version: string) => void;
  onVersionDeleted: (version: string) => void;
  onProfileDeleted: () => void;
}

function Dialogs({ tenant, profile, dialog, onClose, ...done }: DialogsProps) {
  if (dialog === null) return null;
  if (dialog === 'version')
    return (
      <NewVersionDialog
        tenant={tenant}
        profile={profile}
        onClose={onClose}
        onCreated={done.onVersionCreated}
      />
    );
  if (dialog === 'profile')
    return (
      <DeleteProfileDialog
        tenant={tenant}
        name={profile.name}
        onClose={onClose}
        onDeleted={done.onProfileDeleted}
      />
    );
  return (
    <DeleteVersionDialog
      tenant={tenant}
      name={profile.name}
      version={dialog.version}
      onClose={onClose}
      onDeleted={done.onVersionDeleted}
    />
  );
}
