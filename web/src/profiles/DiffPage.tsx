import { Link, useParams, useSearchParams } from 'react-router';
import { usePageTitle } from '../app/page-title';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { DiffLayers } from './DiffLayers';
import { DiffNames } from './DiffNames';
import { versionPath } from './profile-paths';
import { useProfileDiff } from './profile-queries';
import { ProfileBreadcrumb } from './ProfileBreadcrumb';

/** Cluster profiles > NAME > Compare: what changed from one version to another. */
export function DiffPage() {
  const { tenant = '', name = '' } = useParams();
  const [params] = useSearchParams();
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  usePageTitle(`${name} ${from} → ${to}`, 'Cluster profiles', tenant);
  const diff = useProfileDiff(tenant, name, from, to);

  return (
    <section className="page">
      <ProfileBreadcrumb tenant={tenant} profile={name} here="Compare" />
      <h1>
        Changes from{' '}
        <Link to={versionPath(tenant, name, from)} className="mono">
          {from}
        </Link>{' '}
        to{' '}
        <Link to={versionPath(tenant, name, to)} className="mono">
          {to}
        </Link>
      </h1>
      {!from || !to ? (
        <p className="empty">Choose two versions to compare on the profile's page.</p>
      ) : diff.isPending ? (
        <Loading label="Comparing…" />
      ) : diff.isError ? (
        <ErrorMessage
          title="Could not compare the versions"
          error={diff.error}
          onRetry={() => void diff.refetch()}
          retrying={diff.isFetching}
        />
      ) : (
        <>
          <h2 className="section-title">Layers</h2>
          <DiffLayers diff={diff.data} />
          <h2 className="section-title">Variables</h2>
          <DiffNames
            label="Variables"
            added={diff.data.variables.added}
            removed={diff.data.variables.removed}
            changed={diff.data.variables.changed}
          />
        </>
      )}
    </section>
  );
}
