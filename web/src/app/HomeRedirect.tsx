import { Navigate } from 'react-router';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { isSystemAdmin, useMe } from './me';
import { usePageTitle } from './page-title';

/** `/`: the first tenant's registries, the System area for an administrator without tenants. */
export function HomeRedirect() {
  usePageTitle('Home');
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (me.isError)
    return (
      <ErrorMessage
        title="Could not load your account"
        error={me.error}
        onRetry={() => void me.refetch()}
        retrying={me.isFetching}
      />
    );
  const first = me.data.tenants[0];
  if (first) return <Navigate to={`/t/${encodeURIComponent(first.name)}/settings/registries`} replace />;
  if (isSystemAdmin(me.data)) return <Navigate to="/system/registries" replace />;
  return (
    <section className="page">
      <h1>Welcome, {me.data.username}</h1>
      <p>
        You are not a member of any tenant yet. Ask a tenant administrator to invite you; invitations appear
        above.
      </p>
    </section>
  );
}
