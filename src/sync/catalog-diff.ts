import {
  fingerprintKey,
  type CatalogDiff,
  type ChartVersionFingerprint,
  type NewChartVersion,
} from '../catalog/chart-version.repository.js';
import type { SyncWarning } from '../protocol/helm/chart-version.js';

export interface CatalogChanges {
  diff: CatalogDiff;
  unchanged: number;
  warnings: SyncWarning[];
}

/**
 * What has to change in the stored catalog so it equals `rows`: new versions, versions whose content
 * changed, and versions gone upstream. A version whose digest changed was re-published under the same
 * number, which Helm users rarely expect: it is flagged and reported.
 */
export function diffCatalog(
  rows: NewChartVersion[],
  stored: Map<string, ChartVersionFingerprint>,
): CatalogChanges {
  const diff: CatalogDiff = { insert: [], update: [], remove: [] };
  const warnings: SyncWarning[] = [];
  const seen = new Set<string>();
  let unchanged = 0;
  for (const row of rows) {
    const key = fingerprintKey(row.chart_name, row.version);
    seen.add(key);
    const current = stored.get(key);
    if (!current) {
      diff.insert.push(row);
    } else if (current.contentHash === row.content_hash) {
      unchanged += 1;
    } else {
      const republished = current.digest !== null && row.digest !== null && current.digest !== row.digest;
      if (republished) {
        warnings.push({
          chart: row.chart_name,
          version: row.version,
          message: `${row.chart_name} ${row.version} was re-published with different content (digest changed).`,
        });
      }
      diff.update.push({ ...row, id: current.id, republished });
    }
  }
  for (const [key, current] of stored) if (!seen.has(key)) diff.remove.push(current.id);
  return { diff, unchanged, warnings };
}

/** Below this many stored versions a shrink is ordinary pruning, not a sign of a broken upstream. */
const SUSPECT_MIN_VERSIONS = 50;

/**
 * A document that suddenly lost most of its entries is more likely a truncated or broken upstream (a
 * CDN cut, a failed publish) than a real clean-up: hold it instead of deleting the catalog.
 */
export function isSuspectShrink(storedVersions: number, incomingVersions: number): boolean {
  return storedVersions >= SUSPECT_MIN_VERSIONS && incomingVersions < storedVersions / 2;
}
