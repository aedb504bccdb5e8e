import { parseChartVersion, semverSortKey } from '../protocol/helm/semver-sort.js';
import { InvalidRequestError } from '../shared/errors.js';
import type { VersionSpec } from './profile-spec.js';
import type { ProfileVersionRow } from './profile.repository.js';

/* What a new version row is made of, and the check of a version number. */

/** A profile version number: SemVer 2, exactly (no `v`, no missing parts), so versions sort and compare. */
export function checkVersionNumber(text: string): string {
  const parsed = parseChartVersion(text);
  if (!parsed.ok || !parsed.version.strict) {
    throw new InvalidRequestError(`A profile version is a SemVer 2 version such as 1.0.0 or 1.1.0-rc.1.`, [
      { field: 'version', message: 'not a SemVer 2 version' },
    ]);
  }
  return text;
}

export function newVersionRow(
  id: string,
  profileId: string,
  version: string,
  description: string | null,
  spec: VersionSpec,
  createdBy: string,
  now: string,
): ProfileVersionRow {
  const parsed = parseChartVersion(version);
  if (!parsed.ok) throw new Error('checked before');
  return {
    id,
    profile_id: profileId,
    version,
    sort_key: semverSortKey(parsed.version),
    status: 'draft',
    description,
    spec: JSON.stringify(spec),
    lock: null,
    revision: 1,
    created_by: createdBy,
    created_at: now,
    updated_at: now,
    published_by: null,
    published_at: null,
  };
}
