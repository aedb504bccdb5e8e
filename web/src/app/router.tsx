import { createBrowserRouter, Navigate } from 'react-router';
import { ApiTokensPage } from '../account/ApiTokensPage';
import { LoginPage } from '../auth/LoginPage';
import { MembersPage } from '../members/MembersPage';
import { TenantRegistriesPage } from '../registries/TenantRegistriesPage';
import { TenantSyncHistoryPage, SystemSyncHistoryPage } from '../sync/SyncHistoryPage';
import { SystemRegistriesPage } from '../system/SystemRegistriesPage';
import { TenantsPage } from '../system/TenantsPage';
import { HomeRedirect } from './HomeRedirect';
import { NotFound } from './NotFound';
import { RequireSession } from './RequireSession';
import { RouteError } from './RouteError';
import { Shell } from './Shell';

/**
 * Browser-history routes; the server answers every such path with index.html. The pathless route
 * under the shell carries the error element, so a crashing screen keeps the menu around it.
 */
export function createRouter() {
  return createBrowserRouter([
    { path: '/login', element: <LoginPage />, errorElement: <RouteError /> },
    {
      path: '/',
      element: (
        <RequireSession>
          <Shell />
        </RequireSession>
      ),
      errorElement: <RouteError />,
      children: [
        {
          errorElement: <RouteError />,
          children: [
            { index: true, element: <HomeRedirect /> },
            { path: 't/:tenant', element: <Navigate to="settings/registries" replace /> },
            { path: 't/:tenant/settings', element: <Navigate to="registries" replace /> },
            { path: 't/:tenant/settings/registries', element: <TenantRegistriesPage /> },
            { path: 't/:tenant/settings/registries/:name/syncs', element: <TenantSyncHistoryPage /> },
            { path: 't/:tenant/settings/members', element: <MembersPage /> },
            // The catalog screens load on first visit: the first screen's bundle stays small.
            {
              path: 't/:tenant/charts',
              lazy: async () => ({ Component: (await import('../charts/ChartsPage')).ChartsPage }),
            },
            {
              path: 't/:tenant/charts/:registry/:chart',
              lazy: async () => ({ Component: (await import('../charts/ChartPage')).ChartPage }),
            },
            {
              path: 't/:tenant/hosted',
              lazy: async () => ({ Component: (await import('../hosted/HostedPage')).HostedPage }),
            },
            {
              path: 't/:tenant/profiles',
              lazy: async () => ({ Component: (await import('../profiles/ProfilesPage')).ProfilesPage }),
            },
            {
              path: 't/:tenant/profiles/:name',
              lazy: async () => ({ Component: (await import('../profiles/ProfilePage')).ProfilePage }),
            },
            {
              path: 't/:tenant/profiles/:name/versions/:version',
              lazy: async () => ({ Component: (await import('../profiles/VersionPage')).VersionPage }),
            },
            {
              path: 't/:tenant/profiles/:name/diff',
              lazy: async () => ({ Component: (await import('../profiles/DiffPage')).DiffPage }),
            },
            {
              path: 't/:tenant/clusters',
              lazy: async () => ({ Component: (await import('../clusters/ClustersPage')).ClustersPage }),
            },
            {
              // "_new" cannot be a cluster's name (a DNS label), so no cluster is ever hidden by this page.
              path: 't/:tenant/clusters/_new',
              lazy: async () => ({
                Component: (await import('../clusters/RegisterClusterPage')).RegisterClusterPage,
              }),
            },
            {
              path: 't/:tenant/clusters/:name',
              lazy: async () => ({ Component: (await import('../clusters/ClusterPage')).ClusterPage }),
            },
            { path: 'account/tokens', element: <ApiTokensPage /> },
            { path: 'system', element: <Navigate to="/system/registries" replace /> },
            { path: 'system/registries', element: <SystemRegistriesPage /> },
            { path: 'system/registries/:name/syncs', element: <SystemSyncHistoryPage /> },
            { path: 'system/tenants', element: <TenantsPage /> },
            { path: '*', element: <NotFound /> },
          ],
        },
      ],
    },
  ]);
}
