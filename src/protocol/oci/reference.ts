/**
 * Names, references and request paths of the OCI distribution API (research/protocols.md b.4, c).
 */

import { DistributionError } from './distribution-error.js';

/** distribution's repository name grammar: lowercase components joined by single "/". */
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
export const MAX_REPOSITORY_NAME_LENGTH = 255;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The one digest algorithm we store; also the form of a digest in a URL or a query. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
// The spec's general digest grammar (algorithm ":" encoded), whatever the algorithm.
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
// Upload ids are the registry's own opaque tokens, sent back as a path segment: URL-unreserved
// characters only. The registry then looks for its exact form.
const UPLOAD_ID = /^[A-Za-z0-9._~-]{1,128}$/;

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
  /** Not checked by parseRepositoryPath; checkRepositoryPath answers NAME_INVALID for a bad one. */
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

/**
 * The path after `/v2/` checked before anything is looked up: the repository name, then the
 * reference, digest or upload id, each answered with the spec's code (NAME_INVALID, TAG_INVALID,
 * DIGEST_INVALID, BLOB_UPLOAD_UNKNOWN), or 404 UNSUPPORTED when the path is no endpoint at all.
 * `method` only words the message.
 */
export function checkRepositoryPath(path: string, method = 'GET'): RepositoryPath | DistributionError {
  const parsed = parseRepositoryPath(path);
  if (parsed === null) {
    return new DistributionError(
      404,
      'UNSUPPORTED',
      `${method} /v2/${shorten(path)} is not an endpoint of this registry.`,
    );
  }
  const { repository, kind, rest } = parsed;
  if (!isRepositoryName(repository)) {
    return new DistributionError(
      400,
      'NAME_INVALID',
      `${shorten(repository)} is not a valid repository name (lowercase letters, digits, separators).`,
    );
  }
  switch (kind) {
    case 'manifests':
      if (isTag(rest) || isDigest(rest)) break;
      // Tags cannot hold ":", so a reference with one was meant as a digest.
      return rest.includes(':')
        ? digestInvalid(rest)
        : new DistributionError(
            400,
            'TAG_INVALID',
            `${shorten(rest)} is neither a tag (letters, digits, ".", "_", "-"; at most 128) nor a sha256 digest.`,
          );
    case 'blobs':
      if (!isDigest(rest)) return digestInvalid(rest);
      break;
    case 'uploads':
      if (rest !== '' && !UPLOAD_ID.test(rest)) {
        return new DistributionError(
          404,
          'BLOB_UPLOAD_UNKNOWN',
          `Upload ${shorten(rest)} is unknown or finished: start a new one with POST.`,
        );
      }
      break;
    case 'tags':
      break;
  }
  return parsed;
}

/** DIGEST_INVALID for a digest (in the path or the `digest` query) that is not sha256:<64 hex>. */
export function digestInvalid(digest: string): DistributionError {
  return new DistributionError(
    400,
    'DIGEST_INVALID',
    `${shorten(digest)} is not a sha256 digest ("sha256:" and 64 lowercase hex digits).`,
  );
}

/** A name from the request, safe to echo: quoted with control characters escaped, and cut. */
function shorten(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
