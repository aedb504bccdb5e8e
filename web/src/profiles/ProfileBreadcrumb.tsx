import { Link } from 'react-router';
import { profilePath, profilesPath } from './profile-paths';

interface ProfileBreadcrumbProps {
  tenant: string;
  /** The profile, linked when `here` names a page below it. */
  profile?: string;
  /** The last crumb: this page (a version, "Compare"); absent on the profile's own page. */
  here?: string;
}

/** Main Menu > Cluster profiles > PROFILE > HERE, each level but the current one a link. */
export function ProfileBreadcrumb({ tenant, profile, here }: ProfileBreadcrumbProps) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>Main Menu</li>
        <li>
          {profile === undefined ? (
            'Cluster profiles'
          ) : (
            <Link to={profilesPath(tenant)}>Cluster profiles</Link>
          )}
        </li>
        {profile !== undefined && (
          <li>{here === undefined ? profile : <Link to={profilePath(tenant, profile)}>{profile}</Link>}</li>
        )}
        {here !== undefined && <li>{here}</li>}
      </ol>
    </nav>
  );
}
