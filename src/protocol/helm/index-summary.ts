import { splitIndex } from './index-chunks.js';
import { capWarnings, isIndexHead, parseHelmIndex, parseIndexChart } from './index-document.js';

/** What a registry's validation tells of its index: how big it is, and what a sync will warn about. */
export interface IndexSummary {
  chartCount: number;
  versionCount: number;
  /** parseHelmIndex's warnings, capped alike. */
  warnings: string[];
}

/**
 * The counts and warnings {@link parseHelmIndex} gives, read chart by chart where the index splits
 * (index-chunks.ts), so that only one chart's tree is alive at a time: the whole tree of a 24 MB index
 * is a few hundred MB. Anything that does not split or read alone goes through the whole parse, which
 * also throws the same errors for a document that is not an index.
 */
export function summarizeHelmIndex(body: Buffer): IndexSummary {
  const chunks = splitIndex(body);
  if (chunks !== null && isIndexHead(chunks.head)) {
    let chartCount = 0;
    let versionCount = 0;
    const warnings: string[] = [];
    let whole = false;
    for (const chunk of chunks.charts) {
      const chart = parseIndexChart(body, chunks.format, chunk);
      if (chart === null) {
        whole = true;
        break;
      }
      for (const warning of chart.warnings) warnings.push(warning);
      if (chart.versions === null) continue;
      chartCount += 1;
      versionCount += chart.versions.length;
    }
    if (!whole) return { chartCount, versionCount, warnings: capWarnings(warnings) };
  }
  const doc = parseHelmIndex(body);
  return { chartCount: doc.chartCount, versionCount: doc.versionCount, warnings: doc.warnings };
}
