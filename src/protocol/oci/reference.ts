/**
 * Names, references and request paths of the OCI distribution API (research/protocols.md b.4, c).
 */

/** distribution's repository name grammar: lowercase components joined by single "/". */
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
export const MAX_REPOSITORY_NAME_LENGTH = 255;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
// The spec's general digest grammar (algorithm ":" encoded), whatever the algorithm.
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

// SemVer 2.0.0 exactly, as Masterminds' StrictNewVersion (what helm uses on tag lists) demands it.
const STRICT_SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_REPOSITORY_NAME_LENGTH && REPOSITORY_NAME.test(name);
}

export function isTag(ref: string): boolean {
  return TAG.test(ref);
}

/** A sha256 digest, the only algorithm we store. */
export function isDigest(ref: string): boolean {
  return SHA256_DIGEST.test(ref);
}

/**
 * Any `<algorithm>:<encoded>` digest the spec allows (sha512 and others): lets a caller answer
 * "unsupported algorithm" rather than "not a digest" when isDigest is false.
 */
export function looksLikeDigest(ref: string): boolean {
  return ANY_DIGEST.test(ref);
}

/*
 * OCI tags cannot hold "+", so helm pushes version `1.2.3+build.1` under tag `1.2.3_build.1` and reads
 * every "_" in a tag back as "+" when it lists tags (pkg/registry/reference.go).
 */

/** The chart version a tag stands for (`_` back to `+`, as helm reads tags), or null when it is none. */
export function tagToVersion(tag: string): string | null {
  const version = tag.replaceAll('_', '+');
  return STRICT_SEMVER.test(version) ? version : null;
}

/** The tag helm pushes a version under: `+` is not allowed in tags. */
export function versionToTag(version: string): string {
  return version.replaceAll('+', '_');
}

export type RepositoryPathKind = 'manifests' | 'blobs' | 'uploads' | 'tags';

export interface RepositoryPath {
  /** Not checked: callers answer NAME_INVALID when isRepositoryName refuses it. */
  repository: string;
  kind: RepositoryPathKind;
  /** The reference, digest or upload id; '' for `blobs/uploads/` and `tags/list`. */
  rest: string;
}

/**
 * Splits the path after `/v2/` (no query) into repository, endpoint kind and the rest. Repository
 * names have several components (`acme/charts/x`), so the endpoint is found from the right:
 * `<name>/manifests/<ref>`, `<name>/blobs/<digest>`, `<name>/blobs/uploads/[<id>]`, `<name>/tags/list`.
 * Null when the path is none of these (or the repository part is empty).
 */
export function parseRepositoryPath(path: string): RepositoryPath | null {
  const parts = path.replace(/^\/+/, '').split('/');
  const n = parts.length;
  const at = (fromEnd: number): string | undefined => parts[n - fromEnd];
  const build = (kind: RepositoryPathKind, tail: number, rest: string): RepositoryPath | null => {
    const repository = parts.slice(0, n - tail).join('/');
    return repository === '' ? null : { repository, kind, rest };
  };
  if (at(2) === 'tags' && at(1) === 'list') return build('tags', 2, '');
  if (at(3) === 'blobs' && at(2) === 'uploads') {
    const id = at(1) ?? '';
    return build('uploads', 3, id);
  }
  if (at(2) === 'blobs' && at(1) === 'uploads') return build('uploads', 2, '');
  if (at(2) === 'blobs' && at(1) !== '') return build('blobs', 2, at(1) ?? '');
  if (at(2) === 'manifests' && at(1) !== '') return build('manifests', 2, at(1) ?? '');
  return null;
}
