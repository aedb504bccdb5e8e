import { useParams } from 'react-router';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { RegistriesPage } from './RegistriesPage';

/** Main Menu > Tenant Settings > Registries > Helm Registries: the tenant's and the system's registries. */
export function TenantRegistriesPage() {
  const tenant = useParams().tenant ?? '';
  usePageTitle('Registries', tenant);
  const { data: me } = useMe();
  return (
    <RegistriesPage
      // A fresh page (filter, sort, open dialog) per tenant.
      key={tenant}
      scope={{ tenant }}
      canManage={tenantRole(me, tenant) === 'admin'}
      breadcrumb={['Tenant Settings', 'Registries']}
      intro="Helm registries whose charts this tenant can use in cluster profiles. System registries are provided to every tenant by the system administrator and are read-only here."
    />
  );
}
