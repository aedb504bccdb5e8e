/**
 * Chart versions as Helm reads them (Masterminds/semver v3 `NewVersion`), and a sort key whose plain
 * byte-wise order is SemVer 2 precedence, so the database can `ORDER BY sort_key DESC` for "newest first".
 *
 * Accepted (what Helm installs, so what a catalog must list):
 * - strict SemVer 2: `1.2.3`, `1.2.3-rc.1`, `1.2.3+build.7`;
 * - Helm's lenient forms: a leading `v` (`v1.2.3`), missing minor or patch (`1`, `1.2`, `1.2-beta`), read as
 *   `.0`; and leading zeros in major/minor/patch (`01.2.3`, argo's real `0.46.00`), which `NewVersion`
 *   coerces. The version string itself is always kept exactly as written: only the sort key normalizes.
 * Refused (Helm refuses them too): anything else (`latest`, `release-0.5.0`, empty, `1.2.3.4`, `V1.2.3`),
 * a numeric pre-release identifier with a leading zero (`1.2.3-01`), an empty identifier (`1.2.3-a..b`),
 * and major/minor/patch above 2^64-1 (Masterminds parses them as uint64). Versions over 256 characters are
 * refused as absurd.
 */

export interface ChartSemver {
  /** Decimal digits without leading zeros ("0" for zero). */
  major: string;
  minor: string;
  patch: string;
  /** Pre-release identifiers; empty for a release. */
  prerelease: string[];
  /** Build metadata identifiers: kept for display, ignored by precedence. */
  build: string[];
  /** True when the text is strict SemVer 2 (no `v`, all three numbers, no leading zeros). */
  strict: boolean;
}

export type ChartVersionParse = { ok: true; version: ChartSemver } | { ok: false; reason: string };

export const MAX_VERSION_LENGTH = 256;

/**
 * Masterminds/semver v3 `looseSemVerRegex`, anchored; `[0-9]` and not `\d` to stay ASCII-only. Every
 * version the catalog holds matches it (parseChartVersion adds only range checks), so it is also the
 * form of a version in a URL.
 */
export const LOOSE_SEMVER =
  /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
const STRICT_CORE = /^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:[-+]|$)/;
const NUMERIC = /^[0-9]+$/;
const UINT64_MAX = '18446744073709551615';

function withoutLeadingZeros(digits: string): string {
  // Almost no number has a leading zero: skipping the regex saves about a third of a parse.
  if (digits.length < 2 || digits[0] !== '0') return digits;
  const trimmed = digits.replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}

function fitsUint64(digits: string): boolean {
  return digits.length < UINT64_MAX.length || (digits.length === UINT64_MAX.length && digits <= UINT64_MAX);
}

/** Reads a chart version the way Helm does; the reason says what is wrong in words a user can act on. */
export function parseChartVersion(text: string): ChartVersionParse {
  if (text.length === 0) return { ok: false, reason: 'the version is empty' };
  if (text.length > MAX_VERSION_LENGTH) {
    return { ok: false, reason: `the version is longer than ${MAX_VERSION_LENGTH} characters` };
  }
  const match = LOOSE_SEMVER.exec(text);
  if (match === null) {
    return { ok: false, reason: 'the version is not a SemVer version (MAJOR.MINOR.PATCH, e.g. 1.2.3)' };
  }
  const [, major = '0', minor = '0', patch = '0', pre, build] = match;
  const core = [major, minor, patch].map(withoutLeadingZeros) as [string, string, string];
  if (!core.every(fitsUint64)) {
    return { ok: false, reason: `a version number is larger than ${UINT64_MAX}, which Helm cannot read` };
  }
  const prerelease = pre === undefined ? [] : pre.split('.');
  const leadingZero = prerelease.find((id) => id.length > 1 && id.startsWith('0') && NUMERIC.test(id));
  if (leadingZero !== undefined) {
    return {
      ok: false,
      reason: `the numeric pre-release identifier "${leadingZero}" has a leading zero, which SemVer forbids`,
    };
  }
  return {
    ok: true,
    version: {
      major: core[0],
      minor: core[1],
      patch: core[2],
      prerelease,
      build: build === undefined ? [] : build.split('.'),
      strict: STRICT_CORE.test(text),
    },
  };
}

/*
 * Sort key layout (every character ASCII, compared byte by byte):
 *   core      = N(major) "." N(minor) "." N(patch)       N(n) = 2-digit length, then the digits
 *   release   = core "~"
 *   pre-release = core "-" id id ...                      numeric id = "#" 3-digit length, digits
 *                                                         alphanumeric id = "$" the identifier itself
 * Why it works: a length prefix makes longer numbers sort after shorter ones, so numbers compare by value
 * at any size. "-" < "~" puts every pre-release before its release. "#" < "$" puts numeric identifiers
 * before alphanumeric ones. Both tags are below every identifier character ("-" 0x2D, digits, letters), so
 * where one alphanumeric identifier is a prefix of another ("alpha" vs "alpha1"), the shorter one sorts
 * first whether it is followed by the next identifier's tag or by the end of the key, and a key that ends
 * (fewer identifiers) sorts before one that goes on: exactly SemVer's precedence rules (spec item 11).
 * Build metadata is left out, so versions of equal precedence (1.2.3, v1.2.3, 1.2.3+b, 01.2.3) share a
 * key: order by (sort key, version) where a total order is needed.
 */
/** The last character of every release's sort key and of no pre-release's: SQL can tell them apart. */
export const RELEASE_KEY_SUFFIX = '~';

function lengthPrefixed(digits: string, width: number): string {
  return String(digits.length).padStart(width, '0') + digits;
}

export function semverSortKey(version: ChartSemver): string {
  const core = `${lengthPrefixed(version.major, 2)}.${lengthPrefixed(version.minor, 2)}.${lengthPrefixed(version.patch, 2)}`;
  if (version.prerelease.length === 0) return `${core}${RELEASE_KEY_SUFFIX}`;
  let key = `${core}-`;
  for (const id of version.prerelease) {
    key += NUMERIC.test(id) ? `#${lengthPrefixed(id, 3)}` : `$${id}`;
  }
  return key;
}

/** The sort key of a version string, or null when Helm could not read the version. */
export function versionSortKey(text: string): string | null {
  const parsed = parseChartVersion(text);
  return parsed.ok ? semverSortKey(parsed.version) : null;
}
