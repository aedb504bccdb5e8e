import { Link } from 'react-router';
import type { ProfileFromClusterReply } from '../../../src/client/api-client.js';
import { versionPath } from '../profiles/profile-paths';
import { Notice } from '../ui/Notice';

/** The draft made from the cluster, a link to it, and the releases that did not become layers. */
export function ProfileCreatedPanel({
  tenant,
  reply,
  onDismiss,
}: {
  tenant: string;
  reply: ProfileFromClusterReply;
  onDismiss: () => void;
}) {
  const { profile, skipped } = reply;
  return (
    <Notice tone={skipped.length > 0 ? 'warning' : 'success'} onDismiss={onDismiss}>
      <p>
        Draft profile created with {profile.layers.length} layer{profile.layers.length === 1 ? '' : 's'}:{' '}
        <Link to={versionPath(tenant, profile.profile, profile.version)}>
          {profile.profile} {profile.version}
        </Link>
        .
      </p>
      {skipped.length > 0 && (
        <>
          <p>
            {skipped.length} release{skipped.length === 1 ? ' was' : 's were'} skipped:
          </p>
          <ul className="skipped-releases">
            {skipped.map((s) => (
              <li key={`${s.namespace}/${s.release}`} data-skipped={`${s.namespace}/${s.release}`}>
                <span className="mono">
                  {s.release} in {s.namespace}
                </span>
                : {s.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </Notice>
  );
}
