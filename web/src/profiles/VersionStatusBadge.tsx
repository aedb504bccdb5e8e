import type { VersionSummary } from '../../../src/client/api-client.js';

/** Draft (editable) or published (frozen), as a badge. */
export function VersionStatusBadge({ status }: { status: VersionSummary['status'] }) {
  return (
    <span className={`badge badge-version-${status}`}>{status === 'draft' ? 'Draft' : 'Published'}</span>
  );
}
