import { usePageTitle } from '../app/page-title';
import { RegistriesPage } from '../registries/RegistriesPage';
import { RequireSystemAdmin } from './RequireSystemAdmin';

/** System > Registries: the registries every tenant sees, managed by the system administrator. */
export function SystemRegistriesPage() {
  usePageTitle('System registries');
  return (
    <RequireSystemAdmin>
      <RegistriesPage
        scope="system"
        canManage
        breadcrumb={['System', 'Registries']}
        intro="System registries are visible to every tenant, read-only for them."
      />
    </RequireSystemAdmin>
  );
}
