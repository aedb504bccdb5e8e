import { resolveHelmReference } from '../registry-endpoint.js';
import { sha256Hex } from './entry-fields.js';
import type { HelmIndexDocument } from './index-document.js';

/** Where a classic repository's index says one chart version's archive is. */
export type IndexArchive =
  | {
      found: true;
      /** The first of the entry's `urls`, resolved as Helm resolves it. */
      url: URL;
      /** The entry's `digest` as 64 lowercase hex, or null when it lists none (or not a sha256 one). */
      digest: string | null;
    }
  | { found: false; reason: string };

/**
 * The archive URL of `chart` at `version` in a parsed index, as `helm pull` finds it
 * (repo.FindChartInAuthAndTLSAndPassRepoURL): the entry whose version is exactly `version`, its first
 * URL resolved with Helm's ResolveReferenceURL (a relative URL against the repository URL with one
 * trailing "/", the repository's query string kept), only http(s).
 *
 * Helm's IndexFile.Get falls back to a SemVer match (`1.2.3` finding `v1.2.3`) after the exact one;
 * this does not: the archive's Chart.yaml must carry the layer's version exactly, and an entry under
 * another spelling would only fail that check later with a less clear message.
 */
export function findIndexArchive(
  doc: HelmIndexDocument,
  repositoryUrl: URL,
  chart: string,
  version: string,
): IndexArchive {
  const entries = doc.entries.get(chart);
  if (entries === undefined) {
    return { found: false, reason: `the repository's index.yaml has no chart named "${chart}"` };
  }
  const entry = entries.find((e) => e['version'] === version);
  if (entry === undefined) {
    return {
      found: false,
      reason: `the repository's index.yaml lists no version "${version}" of chart "${chart}"`,
    };
  }
  const urls = entry['urls'];
  const first = Array.isArray(urls) ? (urls[0] as unknown) : undefined;
  if (typeof first !== 'string' || first === '') {
    return { found: false, reason: `the index entry of ${chart} ${version} has no archive URL` };
  }
  let url: URL;
  try {
    url = resolveHelmReference(repositoryUrl, first);
  } catch {
    return {
      found: false,
      reason: `the index entry of ${chart} ${version} has an archive URL that is not a URL`,
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return {
      found: false,
      reason: `the index entry of ${chart} ${version} points at a "${url.protocol}" URL; only http(s) archives are pulled`,
    };
  }
  return { found: true, url, digest: sha256Hex(entry['digest']) };
}
