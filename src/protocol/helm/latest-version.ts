import { RELEASE_KEY_SUFFIX } from './semver-sort.js';

/**
 * Which version of a chart is its "latest", as `helm search repo` decides it: the newest stable
 * version by SemVer precedence (Helm's default constraint `>0.0.0` admits no pre-release), or with
 * `devel` the newest of all (`--devel`, constraint `>0.0.0-0`). Build metadata does not count for
 * precedence (1.0.0+a and 1.0.0+b are equal), so of equal versions the higher version text wins, the
 * same tie-break the catalog's SQL uses, so a chart is never listed with two latests.
 *
 * One deliberate difference: Helm leaves a chart with only pre-releases out of `helm search repo`
 * altogether; a catalog that hid it would make it impossible to find in the console, so such a chart
 * shows its newest pre-release instead (as Artifact Hub does), flagged as one.
 */
export interface KeyedVersion {
  version: string;
  /** `semverSortKey` of the version. */
  sortKey: string;
}

export const isPrereleaseKey = (sortKey: string): boolean => !sortKey.endsWith(RELEASE_KEY_SUFFIX);

/** Newer first: higher precedence, then (build metadata aside, equal) the higher version text. */
export function compareNewestFirst(a: KeyedVersion, b: KeyedVersion): number {
  if (a.sortKey !== b.sortKey) return a.sortKey > b.sortKey ? -1 : 1;
  return a.version > b.version ? -1 : a.version < b.version ? 1 : 0;
}

/** The latest of `versions` (any order); undefined for none. */
export function latestVersion<T extends KeyedVersion>(
  versions: readonly T[],
  options: { devel: boolean },
): T | undefined {
  let newest: T | undefined;
  let newestStable: T | undefined;
  for (const v of versions) {
    if (newest === undefined || compareNewestFirst(v, newest) < 0) newest = v;
    if (
      !isPrereleaseKey(v.sortKey) &&
      (newestStable === undefined || compareNewestFirst(v, newestStable) < 0)
    ) {
      newestStable = v;
    }
  }
  return options.devel ? newest : (newestStable ?? newest);
}
