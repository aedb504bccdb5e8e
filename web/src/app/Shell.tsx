import { NavLink, Outlet, useMatch } from 'react-router';
import { InvitationsBanner } from '../members/InvitationsBanner';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { isSystemAdmin, useMe } from './me';
import { useSession } from './session';
import { TenantSwitcher } from './TenantSwitcher';

/** The signed-in frame: top bar (brand, tenant, user), the Main Menu, and the current screen. */
export function Shell() {
  const { endSession } = useSession();
  const me = useMe();
  const tenantMatch = useMatch('/t/:tenant/*');
  const currentTenant = tenantMatch?.params.tenant;
  const menuTenant = currentTenant ?? me.data?.tenants[0]?.name;

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="Charthouse home">
          <span className="brand-mark" aria-hidden="true" />
          Charthouse
        </NavLink>
        {me.data && <TenantSwitcher me={me.data} current={currentTenant} />}
        <div className="topbar-user">
          {me.data && (
            <span className="topbar-username">
              Signed in as <strong>{me.data.username}</strong>
            </span>
          )}
          <NavLink to="/account/tokens" className="topbar-link">
            API tokens
          </NavLink>
          <Button variant="ghost" onClick={() => void endSession()}>
            Sign out
          </Button>
        </div>
      </header>
      <div className="layout">
        <nav className="sidebar" aria-label="Main menu">
          <h2 className="sidebar-title">Main Menu</h2>
          {menuTenant && (
            <>
              <ul>
                <li>
                  <NavLink to={`/t/${encodeURIComponent(menuTenant)}/charts`}>Charts</NavLink>
                </li>
                <li>
                  <NavLink to={`/t/${encodeURIComponent(menuTenant)}/hosted`}>Hosted registry</NavLink>
                </li>
                <li>
                  <NavLink to={`/t/${encodeURIComponent(menuTenant)}/profiles`}>Cluster profiles</NavLink>
                </li>
                <li>
                  <NavLink to={`/t/${encodeURIComponent(menuTenant)}/clusters`}>Clusters</NavLink>
                </li>
              </ul>
              <h3 className="sidebar-group">Tenant Settings</h3>
              <ul>
                <li>
                  <NavLink to={`/t/${encodeURIComponent(menuTenant)}/settings/registries`}>
                    Registries
                  </NavLink>
                </li>
                <li>
                  <NavLink to={`/t/${encodeURIComponent(menuTenant)}/settings/members`}>Members</NavLink>
                </li>
              </ul>
            </>
          )}
          {isSystemAdmin(me.data) && (
            <>
              <h3 className="sidebar-group">System</h3>
              <ul>
                <li>
                  <NavLink to="/system/registries">Registries</NavLink>
                </li>
                <li>
                  <NavLink to="/system/tenants">Tenants</NavLink>
                </li>
              </ul>
            </>
          )}
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          {me.isPending ? (
            <Loading />
          ) : me.isError ? (
            <ErrorMessage
              title="Could not load your account"
              error={me.error}
              onRetry={() => void me.refetch()}
              retrying={me.isFetching}
            />
          ) : (
            <>
              <InvitationsBanner />
              <Outlet />
            </>
          )}
        </main>
      </div>
    </div>
  );
}
