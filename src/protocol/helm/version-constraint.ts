import { CONTROL_CHARACTERS, shownName } from '../../shared/text.js';
import { MAX_VERSION_LENGTH, parseChartVersion, semverSortKey, type ChartSemver } from './semver-sort.js';

/**
 * Helm's chart version constraints (`helm install --version`, `dependencies[].version`), read and
 * checked as Helm 4 does it with Masterminds/semver v3.4.0 (`NewConstraint`, `Constraints.Check`;
 * constraints.go ported rule by rule, the comments below name its functions).
 *
 * Grammar: alternatives split on `||`; each is one or more comparisons joined by a comma or spaces
 * (AND); a comparison is an operator (`=` or none, `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>`, `^`)
 * and a version that may have a leading `v`, miss its minor or patch (`1`, `1.2`) or hold a wildcard
 * (`x`, `X`, `*`: `1.2.x`, `2.*`, `*`); `1.2 - 1.4.5` (spaces required) means `>= 1.2, <= 1.4.5`.
 * A version with a missing or wildcard part is "dirty" and each operator widens it its own way
 * (`1.2` = `~1.2` = 1.2.x, `>1.2` = 1.3.0 or above, `<=1.2` = up to 1.2.x, `^0.2.3` = >=0.2.3 <0.3.0).
 *
 * Pre-releases (Masterminds v3.4.0, Helm 4): an alternative admits pre-release versions only when one
 * of its own comparisons names a pre-release (`>=1.0.0-0 <2.0.0` admits 1.5.0-rc.1; `~1.2` never admits
 * 1.2.5-rc.1). Helm 3.17 (semver v3.3.0) judged each comparison alone: there `<2.0.0` in the same
 * alternative refuses 1.5.0-rc.1, and a plain `!=1.2.3` admits every pre-release; nothing else differs
 * (checked with helm 3.17.2 and 4.1.4). `devel` adds `>0.0.0-0` to every alternative, which is
 * `helm install --devel` when no version is given (Helm ignores --devel beside --version), so
 * pre-releases count everywhere.
 *
 * Known, deliberate differences from Masterminds, all on absurd input: control characters (tabs and
 * new lines included), empty text and text over 256 characters are refused; numeric pre-release
 * identifiers above 2^64-1 compare by value (Masterminds compares them as text).
 *
 * A bare full version (`1.2.3`) is a constraint like any other: Masterminds reads it as `=1.2.3`, which
 * every version of equal precedence satisfies (`v1.2.3`, `1.2.3+build.7`). It is also an exact version
 * (`isExactVersion`); where one version must be named exactly (a protected layer, a lock), compare the
 * text with isExactVersion and look it up, do not resolve it as a constraint. `newestMatching` prefers
 * a version whose text equals the constraint's, as `helm install --version 1.2.3` does.
 */
export interface VersionConstraint {
  readonly text: string;
}

export type ConstraintParse = { ok: true; constraint: VersionConstraint } | { ok: false; reason: string };

export interface MatchOptions {
  /** Count pre-releases everywhere, as `helm install --devel` (`>0.0.0-0` added to each alternative). */
  devel?: boolean;
}

export const MAX_CONSTRAINT_LENGTH = 256;

type Operator = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'tilde' | 'caret';

const OPERATORS: ReadonlyMap<string, Operator> = new Map([
  ['', 'eq'],
  ['=', 'eq'],
  ['!=', 'ne'],
  ['>', 'gt'],
  ['<', 'lt'],
  ['>=', 'ge'],
  ['=>', 'ge'],
  ['<=', 'le'],
  ['=<', 'le'],
  ['~', 'tilde'],
  ['~>', 'tilde'],
  ['^', 'caret'],
]);

/** One comparison (Masterminds' `constraint`): an operator and the version it compares with. */
interface Comparison {
  readonly operator: Operator;
  readonly version: ChartSemver;
  readonly key: string;
  /** Some part was missing or a wildcard; `minorDirty`: from the minor on, `patchDirty`: the patch only. */
  readonly dirty: boolean;
  readonly minorDirty: boolean;
  readonly patchDirty: boolean;
}

/** One `||` alternative: comparisons that must all hold. */
interface Alternative {
  readonly comparisons: readonly Comparison[];
  /** One of its comparisons names a pre-release, so pre-release versions are considered. */
  readonly admitsPrerelease: boolean;
}

// The parsed form, kept out of the object so that it serializes (and compares) as its text alone.
const PARSED = new WeakMap<VersionConstraint, readonly Alternative[]>();

/** A version from the catalog, parsed once. */
interface Candidate {
  readonly version: ChartSemver;
  readonly key: string;
}

// Masterminds' cvRegex (`|` sits in its number class, as there), anchored: a comparison's version.
const CONSTRAINT_VERSION =
  /^v?([0-9|xX*]+)(\.[0-9|xX*]+)?(\.[0-9|xX*]+)?(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const CV = String.raw`v?[0-9|xX*]+(?:\.[0-9|xX*]+)?(?:\.[0-9|xX*]+)?(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?`;
// Go's `\s` is [\t\n\f\r ]; JavaScript's would also take Unicode spaces.
const WS = '[\\t\\n\\f\\r ]';
// Masterminds' constraintRangeRegex: `a - b` with spaces around the hyphen.
const HYPHEN_RANGE = new RegExp(`${WS}*(${CV})${WS}+-${WS}+(${CV})${WS}*`, 'g');
const OPERATOR_CHARACTERS = '=!<>~^';
const NUMERIC = /^[0-9]+$/;
const BLANK = /^ *$/;
const ZERO_PRERELEASE_KEY = keyOf('0.0.0-0');

function keyOf(text: string): string {
  const parsed = parseChartVersion(text);
  if (!parsed.ok) throw new Error(`not a version: ${text}`);
  return semverSortKey(parsed.version);
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';
const isWildcard = (part: string): boolean => part === 'x' || part === 'X' || part === '*';
const quoted = (text: string): string => `"${shownName(text)}"`;

/** Masterminds' rewriteRange: each `a - b` becomes `>= a, <= b `, replacing the first equal text. */
function rewriteHyphenRanges(text: string): string {
  let out = text;
  for (const match of text.matchAll(HYPHEN_RANGE)) {
    const replacement = `>= ${match[1]}, <= ${match[2]} `;
    out = out.replace(match[0], () => replacement);
  }
  return out;
}

/**
 * The comparisons of one alternative as [operator, version] texts, or null when it is not in
 * Masterminds' validConstraintRegex language. A scanner rather than that regex: with its optional
 * operator and spaces on both sides of a separator it backtracks exponentially in JavaScript (RE2 in
 * Go does not backtrack): 49 characters took 40 s.
 */
function splitComparisons(alternative: string): Array<[string, string]> | null {
  const items: Array<[string, string]> = [];
  const n = alternative.length;
  let i = 0;
  while (i < n && isSpace(alternative[i]!)) i += 1;
  for (;;) {
    const opStart = i;
    while (i < n && OPERATOR_CHARACTERS.includes(alternative[i]!)) i += 1;
    const op = alternative.slice(opStart, i);
    while (i < n && isSpace(alternative[i]!)) i += 1;
    const versionStart = i;
    while (i < n && alternative[i] !== ',' && !isSpace(alternative[i]!)) i += 1;
    const version = alternative.slice(versionStart, i);
    if (!OPERATORS.has(op) || !CONSTRAINT_VERSION.test(version)) return null;
    items.push([op, version]);
    while (i < n && isSpace(alternative[i]!)) i += 1;
    if (i === n) return items;
    if (alternative[i] === ',') {
      i += 1;
      while (i < n && isSpace(alternative[i]!)) i += 1;
    }
    // A comma with nothing after it: a comparison is still required.
    if (i === n) return null;
  }
}

/** Masterminds' parseConstraint for one valid [operator, version]; a reason when the version is not one. */
function readComparison(op: string, text: string): Comparison | string {
  const match = CONSTRAINT_VERSION.exec(text);
  const operator = OPERATORS.get(op);
  if (match === null || operator === undefined) return `${quoted(op + text)} is not a comparison`;
  const [, major = '', minorPart = '', patchPart = '', pre = ''] = match;
  const minor = minorPart.slice(1);
  const patch = patchPart.slice(1);
  let version = text;
  let dirty = true;
  let minorDirty = false;
  let patchDirty = false;
  if (isWildcard(major)) {
    version = `0.0.0${pre}`;
  } else if (minorPart === '' || isWildcard(minor)) {
    minorDirty = true;
    version = `${major}.0.0${pre}`;
  } else if (patchPart === '' || isWildcard(patch)) {
    patchDirty = true;
    version = `${major}${minorPart}.0${pre}`;
  } else {
    dirty = false;
  }
  const parsed = parseChartVersion(version);
  if (!parsed.ok) {
    // Only `*-<a 250-character pre-release>` grows past the limit (Masterminds has none).
    if (version.length > MAX_VERSION_LENGTH) return `${quoted(text)} is too long a version`;
    const parts = [major, minor, patch].filter((part) => part !== '' && !isWildcard(part));
    if (parts.some((part) => !NUMERIC.test(part))) {
      return `${quoted(text)} is not a version: each number is digits, or x, X or * for any`;
    }
    if (
      pre
        .slice(1)
        .split('.')
        .some((id) => id.length > 1 && id.startsWith('0') && NUMERIC.test(id))
    ) {
      return `${quoted(text)} has a numeric pre-release identifier with a leading zero, which SemVer forbids`;
    }
    return `${quoted(text)} has a version number larger than Helm can read (2^64-1)`;
  }
  return {
    operator,
    version: parsed.version,
    key: semverSortKey(parsed.version),
    dirty,
    minorDirty,
    patchDirty,
  };
}

/**
 * Reads a constraint as `helm install --version` does. A bare version is a constraint too (`1.2.3` is
 * `=1.2.3`, `1.2` is `~1.2`); see the module comment for how that differs from an exact version.
 */
export function parseVersionConstraint(text: string): ConstraintParse {
  if (text.length > MAX_CONSTRAINT_LENGTH) {
    return { ok: false, reason: `the version constraint is longer than ${MAX_CONSTRAINT_LENGTH} characters` };
  }
  if (CONTROL_CHARACTERS.test(text)) {
    return { ok: false, reason: 'the version constraint contains a control character' };
  }
  if (BLANK.test(text)) return { ok: false, reason: 'the version constraint is empty' };
  const alternatives: Alternative[] = [];
  for (const alternative of rewriteHyphenRanges(text).split('||')) {
    if (BLANK.test(alternative)) {
      return { ok: false, reason: 'an alternative of the version constraint (between ||) is empty' };
    }
    const items = splitComparisons(alternative);
    if (items === null) {
      return {
        ok: false,
        reason: `${quoted(alternative.trim())} is not a version constraint (e.g. 1.2.3, ~1.2, ^2.0.0, >=1.0.0 <2.0.0)`,
      };
    }
    const comparisons: Comparison[] = [];
    for (const [op, version] of items) {
      const comparison = readComparison(op, version);
      if (typeof comparison === 'string') return { ok: false, reason: comparison };
      comparisons.push(comparison);
    }
    alternatives.push({
      comparisons,
      admitsPrerelease: comparisons.some((c) => c.version.prerelease.length > 0),
    });
  }
  const constraint: VersionConstraint = Object.freeze({ text });
  PARSED.set(constraint, alternatives);
  return { ok: true, constraint };
}

/** Numbers as digit strings without leading zeros, compared by value. */
function compareNumber(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const compare = (v: Candidate, c: Comparison): number => (v.key < c.key ? -1 : v.key > c.key ? 1 : 0);

// Masterminds' constraint functions, past their common pre-release check (done per alternative).
function tilde(v: Candidate, c: Comparison): boolean {
  if (compare(v, c) < 0) return false;
  const con = c.version;
  // ~0.0.0 (and ~*) admits everything.
  if (con.major === '0' && con.minor === '0' && con.patch === '0' && !c.minorDirty && !c.patchDirty) {
    return true;
  }
  if (v.version.major !== con.major) return false;
  return c.minorDirty || v.version.minor === con.minor;
}

function caret(v: Candidate, c: Comparison): boolean {
  if (compare(v, c) < 0) return false;
  const con = c.version;
  if (con.major !== '0' || c.minorDirty) return v.version.major === con.major;
  if (v.version.major !== '0') return false;
  if (con.minor !== '0' || c.patchDirty) return v.version.minor === con.minor;
  if (v.version.minor !== '0') return false;
  return v.version.patch === con.patch;
}

function notEqual(v: Candidate, c: Comparison): boolean {
  const con = c.version;
  if (c.dirty) {
    if (con.major !== v.version.major) return true;
    if (con.minor !== v.version.minor && !c.minorDirty) return true;
    if (c.minorDirty) return false;
    if (con.patch !== v.version.patch && !c.patchDirty) return true;
    if (c.patchDirty) {
      // Masterminds' comparePrerelease: identifiers are equal only as equal text (no leading zeros).
      return v.version.prerelease.join('.') !== con.prerelease.join('.');
    }
  }
  return compare(v, c) !== 0;
}

function greaterThan(v: Candidate, c: Comparison): boolean {
  if (c.dirty) {
    const major = compareNumber(v.version.major, c.version.major);
    if (major !== 0) return major > 0;
    // >11 needs 12 or above; >11.1 needs 11.2 or above.
    if (c.minorDirty) return false;
    if (c.patchDirty) return compareNumber(v.version.minor, c.version.minor) > 0;
  }
  return compare(v, c) > 0;
}

function lessThanOrEqual(v: Candidate, c: Comparison): boolean {
  if (!c.dirty) return compare(v, c) <= 0;
  const major = compareNumber(v.version.major, c.version.major);
  if (major > 0) return false;
  return !(major === 0 && compareNumber(v.version.minor, c.version.minor) > 0 && !c.minorDirty);
}

function holds(c: Comparison, v: Candidate): boolean {
  switch (c.operator) {
    case 'eq':
      return c.dirty ? tilde(v, c) : compare(v, c) === 0;
    case 'ne':
      return notEqual(v, c);
    case 'gt':
      return greaterThan(v, c);
    case 'lt':
      return compare(v, c) < 0;
    case 'ge':
      return compare(v, c) >= 0;
    case 'le':
      return lessThanOrEqual(v, c);
    case 'tilde':
      return tilde(v, c);
    case 'caret':
      return caret(v, c);
  }
}

/** Masterminds' Constraints.Check. */
function check(alternatives: readonly Alternative[], v: Candidate, devel: boolean): boolean {
  const prerelease = v.version.prerelease.length > 0;
  // The `>0.0.0-0` devel adds to every alternative.
  if (devel && v.key <= ZERO_PRERELEASE_KEY) return false;
  for (const alternative of alternatives) {
    if (prerelease && !devel && !alternative.admitsPrerelease) continue;
    if (allHold(alternative.comparisons, v)) return true;
  }
  return false;
}

function allHold(comparisons: readonly Comparison[], v: Candidate): boolean {
  for (const c of comparisons) if (!holds(c, v)) return false;
  return true;
}

/** The parsed form; a constraint rebuilt from stored text is parsed again. */
function alternativesOf(c: VersionConstraint): readonly Alternative[] | null {
  const known = PARSED.get(c);
  if (known !== undefined) return known;
  const parsed = parseVersionConstraint(c.text);
  return parsed.ok ? (PARSED.get(parsed.constraint) ?? null) : null;
}

function candidate(text: string): Candidate | null {
  const parsed = parseChartVersion(text);
  return parsed.ok ? { version: parsed.version, key: semverSortKey(parsed.version) } : null;
}

/** Whether `version` satisfies the constraint (Masterminds' Check); false when Helm cannot read it. */
export function constraintMatches(
  c: VersionConstraint,
  version: string,
  options: MatchOptions = {},
): boolean {
  const alternatives = alternativesOf(c);
  const v = candidate(version);
  return alternatives !== null && v !== null && check(alternatives, v, options.devel === true);
}

/**
 * Newest version (SemVer precedence, build metadata ignored; ties: keep the first given) that matches,
 * or null. As `helm install --version` (repo.IndexFile.Get), a matching version whose text is exactly
 * the constraint's (trimmed) wins outright: `1.2.3` picks `1.2.3`, not `1.2.3+b`, and `1.2` picks a
 * catalog's `1.2` even beside `1.2.5`. (`helm dependency update` has no such rule: it takes the first
 * match in index order, which for equal precedence Helm leaves unspecified.)
 */
export function newestMatching(
  c: VersionConstraint,
  versions: readonly string[],
  options: MatchOptions = {},
): string | null {
  const alternatives = alternativesOf(c);
  if (alternatives === null) return null;
  const devel = options.devel === true;
  const exact = c.text.trim();
  let best: string | null = null;
  let bestKey = '';
  for (const text of versions) {
    const v = candidate(text);
    if (v === null) continue;
    if (text === exact && check(alternatives, v, devel)) return text;
    if ((best === null || v.key > bestKey) && check(alternatives, v, devel)) {
      best = text;
      bestKey = v.key;
    }
  }
  return best;
}

/**
 * True when `text` is one exact strict SemVer 2 version (what a protected layer or a lock must name):
 * `1.2.3`, `1.2.3-rc.1+b`; false for `1.2`, `v1.2.3`, `01.2.3`, `latest`, `~1.2`, `../x`. Such a text is
 * also a valid constraint (`=1.2.3`), which admits other spellings of equal precedence; an exact
 * version names one catalog entry by its text.
 */
export function isExactVersion(text: string): boolean {
  const parsed = parseChartVersion(text);
  return parsed.ok && parsed.version.strict;
}

/** Newest version with the same major as `version` (pre-releases only when `devel`), for "update available within major". */
export function newestInMajor(
  version: string,
  versions: readonly string[],
  options: MatchOptions = {},
): string | null {
  const current = candidate(version);
  if (current === null) return null;
  const devel = options.devel === true;
  let best: string | null = null;
  let bestKey = '';
  for (const text of versions) {
    const v = candidate(text);
    if (v === null || v.version.major !== current.version.major) continue;
    if (!devel && v.version.prerelease.length > 0) continue;
    if (best === null || v.key > bestKey) {
      best = text;
      bestKey = v.key;
    }
  }
  return best;
}
