import {
  IndexNormalizer,
  NORMALIZATION_REVISION,
  type ChartVersionRecord,
  type SyncWarning,
} from '../protocol/helm/chart-version.js';
import { chunkDigest, splitIndex, type IndexChunks } from '../protocol/helm/index-chunks.js';
import {
  capWarnings,
  isIndexHead,
  parseHelmIndex,
  parseIndexChart,
} from '../protocol/helm/index-document.js';
import type { ChartDigests } from './index-sync.js';

// The parse worker's work (index-sync.worker.ts), apart from its messaging so that tests can run it.

/** Where a parse puts each chart's records as soon as the chart is done. */
export interface RecordSink {
  add(records: ChartVersionRecord[]): void;
}

export interface IndexParseResult {
  /** Every warning, capped. */
  warnings: SyncWarning[];
  /** Charts not parsed because their lines are those of the last sync: their stored versions stay. */
  kept: string[];
  /** What to remember for the next sync; null when the index could not be split. */
  digests: ChartDigests | null;
}

/**
 * The whole document at once: an index that is not block-style YAML (JSON, flow style, tabs...), or a
 * split index whose chart `from` on did not read alone (the whole parse then reports the error, or
 * reads the rest). Memory is the limit on a big index (a 25 MB index is a few hundred MB as objects),
 * so the parsed tree is let go chart by chart as it is normalized.
 */
function parseWhole(
  body: Buffer,
  normalizer: IndexNormalizer,
  sink: RecordSink,
  done: ReadonlySet<string>,
): string[] {
  const doc = parseHelmIndex(body);
  for (const [key, entries] of doc.entries) {
    doc.entries.delete(key);
    if (!done.has(key)) sink.add(normalizer.chart(key, entries));
  }
  return doc.warnings;
}

/**
 * A block-style index chart by chart (index-chunks.ts): only one chart's parsed tree is alive at a time,
 * rows reach the writer from the first charts on, and a chart whose lines are those the last sync
 * normalized (same digest) is not parsed at all; its stored versions are kept.
 */
function parseSplit(
  body: Buffer,
  chunks: IndexChunks,
  salt: string,
  previous: ChartDigests | null,
  normalizer: IndexNormalizer,
  sink: RecordSink,
): IndexParseResult {
  const known = previous?.salt === salt ? previous.charts : {};
  const digests: Record<string, string> = {};
  const kept: string[] = [];
  const done = new Set<string>();
  let parseWarnings: string[] = [];
  for (const chunk of chunks.charts) {
    const digest = chunkDigest(salt, body, chunk);
    if (known[chunk.name] === digest) {
      kept.push(chunk.name);
      digests[chunk.name] = digest;
      done.add(chunk.name);
      continue;
    }
    const chart = parseIndexChart(body, chunks.format, chunk);
    if (chart === null) {
      // The whole document's parse says why (or reads it after all): its warnings replace ours.
      parseWarnings = parseWhole(body, normalizer, sink, done);
      return { warnings: normalizer.finish(parseWarnings), kept, digests: null };
    }
    done.add(chunk.name);
    const warningsBefore = normalizer.warningCount;
    if (chart.versions !== null) sink.add(normalizer.chart(chunk.name, chart.versions));
    for (const warning of chart.warnings) parseWarnings.push(warning);
    // A chart that warned is normalized every time, so that every run reports its warnings.
    if (chart.warnings.length === 0 && normalizer.warningCount === warningsBefore) {
      digests[chunk.name] = digest;
    }
  }
  return {
    warnings: normalizer.finish(capWarnings(parseWarnings)),
    kept,
    digests: { salt, charts: digests },
  };
}

/**
 * Parse and normalize an index into `sink`, chart by chart when it is a block-style index that splits
 * (index-chunks.ts), skipping the charts whose digest is in `previous`; else whole.
 */
export function parseIndexInto(
  body: Buffer,
  repositoryUrl: URL,
  previous: ChartDigests | null,
  sink: RecordSink,
): IndexParseResult {
  const normalizer = new IndexNormalizer(repositoryUrl);
  const chunks = splitIndex(body);
  if (chunks !== null && isIndexHead(chunks.head)) {
    const salt = `${NORMALIZATION_REVISION} ${repositoryUrl.href}`;
    return parseSplit(body, chunks, salt, previous, normalizer, sink);
  }
  const warnings = normalizer.finish(parseWhole(body, normalizer, sink, new Set()));
  return { warnings, kept: [], digests: null };
}
