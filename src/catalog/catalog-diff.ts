import {
  fingerprintKey,
  type CatalogDiff,
  type ChartVersionFingerprint,
  type NewChartVersion,
} from './chart-version.repository.js';
import type { SyncWarning } from '../protocol/helm/chart-version.js';

export interface CatalogChanges {
  diff: CatalogDiff;
  unchanged: number;
  warnings: SyncWarning[];
}

/**
 * What has to change in the stored catalog so it equals the rows given to {@link CatalogDiffer.add},
 * batch by batch (a sync writes each batch while the next is still being normalized): new versions and
 * versions whose content changed, then, once every row has been seen, the versions gone upstream. A
 * version whose digest changed was re-published under the same number, which Helm users rarely expect:
 * it is flagged and reported.
 */
export class CatalogDiffer {
  readonly warnings: SyncWarning[] = [];
  private readonly seen = new Set<string>();
  private unchanged = 0;

  constructor(private readonly stored: Map<string, ChartVersionFingerprint>) {}

  /** How many rows have been added so far. */
  get rowCount(): number {
    return this.seen.size;
  }

  /** The inserts and updates for `rows`; `remove` is always empty here (see {@link finish}). */
  add(rows: NewChartVersion[]): CatalogDiff {
    const diff: CatalogDiff = { insert: [], update: [], remove: [] };
    for (const row of rows) {
      const key = fingerprintKey(row.chart_name, row.version);
      this.seen.add(key);
      const current = this.stored.get(key);
      if (!current) {
        diff.insert.push(row);
      } else if (current.contentHash === row.content_hash) {
        this.unchanged += 1;
      } else {
        const republished = current.digest !== null && row.digest !== null && current.digest !== row.digest;
        if (republished) {
          this.warnings.push({
            chart: row.chart_name,
            version: row.version,
            message: `${row.chart_name} ${row.version} was re-published with different content (digest changed).`,
          });
        }
        diff.update.push({ ...row, id: current.id, republished });
      }
    }
    return diff;
  }

  /** Every stored version of `charts` stays as it is (their source did not change): none is removed. */
  keepCharts(charts: readonly string[]): void {
    if (charts.length === 0) return;
    const names = new Set(charts);
    for (const key of this.stored.keys()) {
      if (names.has(key.slice(0, key.indexOf('\u0000'))) && !this.seen.has(key)) {
        this.seen.add(key);
        this.unchanged += 1;
      }
    }
  }

  /** After the last batch: the ids of stored versions no row named, and how many rows changed nothing. */
  finish(): { remove: string[]; unchanged: number } {
    const remove: string[] = [];
    for (const [key, current] of this.stored) if (!this.seen.has(key)) remove.push(current.id);
    return { remove, unchanged: this.unchanged };
  }
}

/** The whole diff of one set of rows against the stored catalog (see {@link CatalogDiffer}). */
export function diffCatalog(
  rows: NewChartVersion[],
  stored: Map<string, ChartVersionFingerprint>,
): CatalogChanges {
  const differ = new CatalogDiffer(stored);
  const diff = differ.add(rows);
  const { remove, unchanged } = differ.finish();
  diff.remove = remove;
  return { diff, unchanged, warnings: differ.warnings };
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
