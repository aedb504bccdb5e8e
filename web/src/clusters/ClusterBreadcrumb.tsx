import { Link } from 'react-router';
import { clustersPath } from './cluster-paths';

/** Main Menu > Clusters > HERE; Clusters is a link below the list. */
export function ClusterBreadcrumb({ tenant, here }: { tenant: string; here?: string }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>Main Menu</li>
        <li>{here === undefined ? 'Clusters' : <Link to={clustersPath(tenant)}>Clusters</Link>}</li>
        {here !== undefined && <li>{here}</li>}
      </ol>
    </nav>
  );
}
