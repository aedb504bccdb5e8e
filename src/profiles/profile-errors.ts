import { AppError, ConflictError, type ErrorDetail } from '../shared/errors.js';

/** 422: a version's layers or variables break the profile rules; every problem is in `details`, each naming its field. */
export class ProfileInvalidError extends AppError {
  readonly status = 422;
  constructor(problems: ErrorDetail[]) {
    const first = problems[0]?.message ?? 'The profile version is not valid.';
    const more =
      problems.length > 1
        ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''} in details)`
        : '';
    super('profile_invalid', `${first}${more}`, problems);
  }
}

/** 409: a published version never changes. */
export function publishedVersionError(profile: string, version: string, what: string): ConflictError {
  return new ConflictError(
    'profile_version_published',
    `${profile} ${version} is published, and a published version never changes, so it cannot be ${what}. Create a new version from it (POST .../profiles/${profile}/versions {"version": "<next>", "from": "${version}"}).`,
  );
}

/** 409: another request published or edited the version between this one's read and its write. */
export function versionChangedError(profile: string, version: string): ConflictError {
  return new ConflictError(
    'profile_version_changed',
    `${profile} ${version} was published or changed by another request meanwhile: reload it and try again.`,
  );
}
