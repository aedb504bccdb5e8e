import { canonicalBody, hashCanonicalBody } from './content-hash.js';
import type { ChartVersionRecord, SyncWarning } from './chart-version-record.js';
import type { HelmIndexDocument } from './index-document.js';
import {
  CHART_NAME,
  DESCRIPTION,
  EntryContext,
  HAS_CONTROL_CHARACTERS,
  ICON,
  WarningList,
  entrySkipReason,
  kindOf,
  label,
  optionalText,
  quote,
  readAnnotations,
  readApiVersion,
  readBoolean,
  readDependencies,
  readDigest,
  readMaintainers,
  readTextList,
  resolveChartUrl,
  sha256Hex,
} from './entry-fields.js';
import { parseChartVersion, semverSortKey } from './semver-sort.js';

/*
 * From a parsed Helm index (`parseHelmIndex`) to the catalog's chart version records (no I/O).
 *
 * The policy, in one place:
 * - An entry Helm itself skips when it loads an index (`Metadata.Validate`) is skipped here too, with a
 *   warning: a catalog must not offer a version `helm install` cannot find. That is: no or invalid
 *   version (see semver-sort.ts), no name or a name that is a path, a `type` other than
 *   application/library, a null maintainer or dependency, an invalid dependency alias. We also skip an
 *   apiVersion other than v1/v2/v3 (empty is v1, as Helm says), and a whole chart whose index key is
 *   not a plain chart name (chartNameProblem: stricter than Helm, as keys end up in URLs and paths).
 * - Where Helm's strict loader would refuse the WHOLE index (a field of the wrong type, a bad item in a
 *   list), we are kinder: the bad field or item is dropped with a warning and the entry kept.
 * - The index key is the chart's name, because it is what users type (`helm install repo/KEY`) and what
 *   Helm looks up; Helm never checks it against the entry's `name`. A differing `name` is warned about.
 * - A chart without a usable URL is kept (chartUrl null) with a warning: Helm lists it too.
 * - Warnings name the chart and version; the parse's own warnings come first; at most
 *   MAX_SYNC_WARNINGS are kept, and a last one says how many more there were.
 * - Duplicate (chart, version): the first entry wins, as in Helm's `IndexFile.Get`; later ones are
 *   warned about and ignored.
 * - Strings are stored as given (HTML stays text: escaping is the UI's job) except that control
 *   characters other than tab, newline and carriage return are removed (NUL cannot even be stored in
 *   PostgreSQL; ANSI escapes would reach terminals), and absurd lengths are capped.
 * - Booleans in text fields become "true"/"false", as Helm's YAML decoder makes them (an unquoted
 *   `artifacthub.io/prerelease: true` annotation is common). Numbers (JSON indexes only: the YAML parse
 *   keeps scalars as strings) are refused as the wrong type rather than guessed at (`1.10` would be 1.1).
 */

export { chartVersionContentHash } from './content-hash.js';
export { MAX_SYNC_WARNINGS } from './entry-fields.js';
export type {
  ChartApiVersion,
  ChartDependency,
  ChartImportValue,
  ChartMaintainer,
  ChartVersionRecord,
  SyncWarning,
} from './chart-version-record.js';

export interface NormalizedIndex {
  versions: ChartVersionRecord[];
  warnings: SyncWarning[];
}

export const MAX_CHART_NAME_LENGTH = 250;

/**
 * The normalization's revision. A sync skips the charts whose index lines are those it normalized last
 * time (index-chunks.ts chunkDigest is salted with this): bump it with any change that makes different
 * records (or rows, catalog-row.ts) from the same entries, so that every chart is normalized again.
 */
export const NORMALIZATION_REVISION = 1;

export function chartNameProblem(name: string): string | null {
  if (name.length === 0) return 'the name is empty';
  if (name.length > MAX_CHART_NAME_LENGTH)
    return `the name is longer than ${MAX_CHART_NAME_LENGTH} characters`;
  if (!CHART_NAME.test(name)) {
    return (
      'a chart name may only contain letters, digits, ".", "_" and "-", and may not start with "." or "-" ' +
      '(no paths, spaces, "%" escapes or control characters)'
    );
  }
  return null;
}

/**
 * A string safe to put in a message: quoted, cut at 80 characters, every control character escaped
 * (JSON.stringify leaves DEL and the C1 range alone, and U+009B starts a terminal escape sequence).
 */
type RecordBody = Omit<ChartVersionRecord, 'sortKey' | 'contentHash'>;

function buildBody(
  entry: Record<string, unknown>,
  name: string,
  version: string,
  repositoryUrl: URL,
  ctx: EntryContext,
): RecordBody {
  const urls = readTextList(entry['urls'], 'urls', 'a URL', ctx);
  // Fields in one fixed order: the content hash serializes the body as built.
  return {
    name,
    version,
    appVersion: optionalText(entry['appVersion'], 'appVersion', ctx),
    apiVersion: readApiVersion(entry['apiVersion']) ?? 'v1',
    type: optionalText(entry['type'], 'type', ctx),
    description: optionalText(entry['description'], 'description', ctx, DESCRIPTION),
    icon: optionalText(entry['icon'], 'icon', ctx, ICON),
    home: optionalText(entry['home'], 'home', ctx),
    sources: readTextList(entry['sources'], 'sources', 'a source', ctx),
    keywords: readTextList(entry['keywords'], 'keywords', 'a keyword', ctx),
    maintainers: readMaintainers(entry['maintainers'], ctx),
    kubeVersion: optionalText(entry['kubeVersion'], 'kubeVersion', ctx),
    deprecated: readBoolean(entry['deprecated'], 'deprecated', ctx) ?? false,
    created: optionalText(entry['created'], 'created', ctx),
    digest: readDigest(entry['digest'], ctx),
    urls,
    chartUrl: resolveChartUrl(urls, repositoryUrl, ctx),
    dependencies: readDependencies(entry['dependencies'], ctx),
    annotations: readAnnotations(entry['annotations'], ctx),
  };
}

function skipWarning(chart: string, version: string, reason: string): SyncWarning {
  return {
    chart,
    version: label(version),
    message: `Chart ${quote(chart)} version ${quote(version)} was skipped: ${reason}.`,
  };
}

function missingVersionWarning(chart: string, version: unknown): SyncWarning {
  const what =
    version === undefined || version === null || version === ''
      ? 'it has no version'
      : `its version is ${kindOf(version)}, not text`;
  return { chart, message: `Chart ${quote(chart)}: an entry was skipped because ${what}.` };
}

/**
 * Normalizes an index chart by chart (a split index is parsed chart by chart, index-chunks.ts): each
 * chart's records as soon as it is done, the warnings at the end. Never throws for bad entries: each one
 * is skipped or trimmed with a warning naming it.
 */
export class IndexNormalizer {
  private readonly warnings = new WarningList();
  private readonly ctx = new EntryContext(this.warnings);

  constructor(private readonly repositoryUrl: URL) {}

  /** Normalization warnings given so far: a chart that adds none normalized cleanly. */
  get warningCount(): number {
    return this.warnings.count;
  }

  /** The records of one chart (index key `key`), in index order. */
  chart(key: string, entries: Record<string, unknown>[]): ChartVersionRecord[] {
    const { warnings, ctx, repositoryUrl } = this;
    const records: ChartVersionRecord[] = [];
    const nameProblem = chartNameProblem(key);
    if (nameProblem !== null) {
      warnings.add({
        chart: label(key),
        message: `Chart ${quote(key)} was skipped (${entries.length} versions): ${nameProblem}.`,
      });
      return records;
    }
    // Versions already kept for this chart, by version string: the first entry of a version wins.
    const kept = new Map<string, ChartVersionRecord>();
    for (const entry of entries) {
      const version = entry['version'];
      if (typeof version !== 'string' || version === '') {
        warnings.add(missingVersionWarning(key, version));
        continue;
      }
      const parsed = parseChartVersion(version);
      if (!parsed.ok) {
        warnings.add(skipWarning(key, version, parsed.reason));
        continue;
      }
      const reason = entrySkipReason(entry, key);
      if (reason !== null) {
        warnings.add(skipWarning(key, version, reason));
        continue;
      }
      const first = kept.get(version);
      if (first !== undefined) {
        const digest = sha256Hex(entry['digest']);
        const differs = digest !== null && first.digest !== null && digest !== first.digest;
        const duplicate =
          'the index lists this version more than once; the first entry was kept and the later one ignored';
        warnings.add(skipWarning(key, version, differs ? `${duplicate} (their digests differ)` : duplicate));
        continue;
      }
      ctx.start(key, version, false);
      let body = buildBody(entry, key, version, repositoryUrl, ctx);
      let text = canonicalBody(body);
      if (HAS_CONTROL_CHARACTERS.test(text)) {
        ctx.start(key, version, true);
        body = buildBody(entry, key, version, repositoryUrl, ctx);
        text = canonicalBody(body);
      }
      if (entry['name'] !== key) {
        ctx.warn(
          `the entry's name ${quote(String(entry['name']))} differs from its index key; it is listed as ` +
            `${quote(key)}, the name Helm users install it by.`,
        );
      }
      ctx.finish();
      // Completed in place rather than copied: the hash covers the body without these two fields.
      const record = body as ChartVersionRecord;
      record.sortKey = semverSortKey(parsed.version);
      record.contentHash = hashCanonicalBody(text);
      kept.set(version, record);
      records.push(record);
    }
    return records;
  }

  /** Every warning: the parse's first (already capped), then the normalization's, capped together. */
  finish(parseWarnings: readonly string[]): SyncWarning[] {
    const all = new WarningList();
    for (const message of parseWarnings) all.add({ message });
    all.append(this.warnings);
    return all.finish();
  }
}

/**
 * Turns a parsed index into catalog records, in index order (see {@link IndexNormalizer}), warnings
 * capped at MAX_SYNC_WARNINGS plus a count.
 * With `consume`, each chart's raw entries leave `doc.entries` once normalized, so the parsed tree of a
 * big index is freed while its records are built instead of both being held at the peak. With
 * `onChart`, each chart's records go there as soon as the chart is done (a sync streams them to its
 * writer) and the returned `versions` stays empty.
 */
export function normalizeIndex(
  doc: HelmIndexDocument,
  repositoryUrl: URL,
  options: { consume?: boolean; onChart?: (records: ChartVersionRecord[]) => void } = {},
): NormalizedIndex {
  const normalizer = new IndexNormalizer(repositoryUrl);
  const versions: ChartVersionRecord[] = [];
  for (const [key, entries] of doc.entries) {
    // Deleting the entry being visited is safe in a Map iteration.
    if (options.consume) doc.entries.delete(key);
    const records = normalizer.chart(key, entries);
    if (options.onChart) {
      if (records.length > 0) options.onChart(records);
    } else {
      for (const record of records) versions.push(record);
    }
  }
  return { versions, warnings: normalizer.finish(doc.warnings) };
}
