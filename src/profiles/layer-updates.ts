import { versionSortKey } from '../protocol/helm/semver-sort.js';
import {
  newestInMajor,
  newestMatching,
  parseVersionConstraint,
} from '../protocol/helm/version-constraint.js';

export interface LayerUpdates {
  withinConstraint: string | null;
  latest: string | null;
}

/**
 * "Update available" for one layer (SPEC §2): the newest catalog version within the layer's constraint
 * (within the current version's major when the layer names an exact version), and the newest overall;
 * each only when newer than `current`. Pre-releases count only when `current` is one, as `helm search`
 * leaves them out without --devel.
 */
export function layerUpdates(
  current: string | null,
  constraint: string | null,
  catalogVersions: readonly string[],
): LayerUpdates {
  if (current === null || catalogVersions.length === 0) return { withinConstraint: null, latest: null };
  const devel = current.includes('-');
  const newer = (v: string | null): string | null =>
    v !== null && compareVersionText(v, current) > 0 ? v : null;
  const parsed = constraint === null ? null : parseVersionConstraint(constraint);
  const within =
    parsed?.ok === true
      ? newestMatching(parsed.constraint, catalogVersions, { devel })
      : newestInMajor(current, catalogVersions, { devel });
  const overall = newestMatching(ANY.constraint, catalogVersions, { devel });
  return { withinConstraint: newer(within), latest: newer(overall) };
}

const anyParse = parseVersionConstraint('*');
if (!anyParse.ok) throw new Error('"*" must parse as a constraint');
const ANY = anyParse;

/** SemVer precedence by the catalog's own sort keys (build metadata ignored); an unreadable version sorts lowest. */
function compareVersionText(a: string, b: string): number {
  const ka = versionSortKey(a) ?? '';
  const kb = versionSortKey(b) ?? '';
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
