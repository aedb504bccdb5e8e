import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';
import { InvalidRequestError } from '../../../shared/errors.js';
import { DEFAULT_CHART_ARCHIVE_LIMITS } from '../chart-archive.js';
import { parseChartYaml } from '../chart-metadata.js';
import { pathProblem, type ChartPackFile } from '../chart-package.js';
import { loadValuesYaml, SafeYamlError } from '../safe-yaml.js';
import { parseChartVersion } from '../semver-sort.js';
import type { ReleaseChart, ReleaseChartFile } from './release-record.js';

/*
 * A chart rebuilt from the chart Helm stored in a release (SPEC §2 "Brownfield discovery"), as the files
 * of a chart folder for packChart (chart-package.ts), which makes the archive reproducibly: the same
 * release chart always gives the same bytes, so syncing it twice publishes one version once.
 *
 * Decisions:
 * - Chart.yaml is written from the stored metadata (Helm's JSON names are Chart.yaml's names), keys
 *   sorted as `helm package` sorts them, with the annotation `charthouse.io/reconstructed: "true"`.
 *   Dependencies are kept as Helm stored them (research/kubernetes.md §3: their charts are not stored,
 *   so the rebuilt chart lacks them; a warning says so).
 * - values.yaml is the stored values written as YAML: Helm keeps them parsed, so comments and layout
 *   are gone (a comment at the top says so), and they are the values the release's chart carried
 *   (with dependencies, Helm has merged the subcharts' defaults into them).
 * - Every string is written double-quoted, so no YAML reader can take "yes", "0644" or "1_000" for a
 *   boolean or a number (go-yaml v2, which Helm uses, would); the text is read back with the Helm
 *   typing of safe-yaml.ts and must give the same values, or the chart is refused rather than
 *   published with other defaults.
 * - values.schema.json, the templates and the other files keep their bytes.
 * - A file packChart would refuse, or one that would land elsewhere when Helm loads the rebuilt chart
 *   (a template outside templates/, a file inside it or in charts/, a second Chart.yaml), is refused
 *   with 400 `release_chart_not_rebuildable`; so is a version that is not SemVer 2, which the hosted
 *   registry does not take.
 */

/** The Chart.yaml annotation marking a chart rebuilt from a Helm release. */
export const RECONSTRUCTED_ANNOTATION = 'charthouse.io/reconstructed';

export interface RebuiltChart {
  /** The chart folder's files, for packChart. */
  files: ChartPackFile[];
  /** What the rebuilt chart lacks compared with the original (subcharts). */
  warnings: string[];
}

/** 400 `release_chart_not_rebuildable`, saying why. */
export function chartNotRebuildable(message: string): InvalidRequestError {
  return new InvalidRequestError(
    `The chart stored in the release cannot be rebuilt: ${message}`,
    undefined,
    'release_chart_not_rebuildable',
  );
}

const VALUES_HEADER =
  '# Rebuilt by Charthouse from the chart stored in a Helm release: these are the values the release\n' +
  '# kept for its chart (parsed, so the original comments and layout are lost; with subcharts, Helm has\n' +
  '# merged their defaults in).\n';

/** Deep enough for any real values; past it the values cannot be checked, and are refused. */
const MAX_VALUES_DEPTH = 256;

/** Files a rebuilt chart writes itself: never taken from the release's `files`. */
const OWN_FILES: ReadonlySet<string> = new Set([
  'Chart.yaml',
  'Chart.lock',
  'values.yaml',
  'values.schema.json',
]);

/** Rebuilds a chart folder from the chart stored in a release (see the decisions above). */
export function rebuildChart(chart: ReleaseChart): RebuiltChart {
  const metadata = chartMetadata(chart.metadata);
  const chartYaml = dumpYaml(metadata);
  const meta = parseChartYaml(chartYaml, chartNotRebuildable);
  const version = parseChartVersion(meta.version);
  if (!version.ok || !version.version.strict) {
    throw chartNotRebuildable(
      `its version "${meta.version.slice(0, 100)}" is not SemVer 2 (MAJOR.MINOR.PATCH), which the hosted registry requires.`,
    );
  }

  const files: ChartPackFile[] = [
    { path: 'Chart.yaml', content: Buffer.from(chartYaml, 'utf8') },
    { path: 'values.yaml', content: Buffer.from(VALUES_HEADER + valuesYaml(chart.values), 'utf8') },
  ];
  if (chart.schema !== null) files.push({ path: 'values.schema.json', content: chart.schema });
  for (const template of chart.templates) {
    checkPath(template, 'template');
    if (!template.name.startsWith('templates/')) {
      throw chartNotRebuildable(`the template ${JSON.stringify(template.name)} is not in templates/.`);
    }
    files.push({ path: template.name, content: template.data });
  }
  for (const file of chart.files) {
    checkPath(file, 'file');
    if (OWN_FILES.has(file.name) || !keptAsFile(file.name, meta.apiVersion)) {
      throw chartNotRebuildable(
        `the file ${JSON.stringify(file.name)} would not be a plain file of the rebuilt chart.`,
      );
    }
    files.push({ path: file.name, content: file.data });
  }
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw chartNotRebuildable(`${JSON.stringify(file.path)} is stored twice.`);
    seen.add(file.path);
  }

  const warnings: string[] = [];
  const dependencies = (meta.dependencies ?? []).map((d) => d.alias ?? d.name);
  if (dependencies.length > 0) {
    warnings.push(
      `The chart declares the subcharts ${dependencies.join(', ')}, which Helm does not store in a release: ` +
        'the rebuilt chart lacks them (Helm also stores a subchart under its alias, if it has one).',
    );
  }
  return { files, warnings };
}

/** The stored metadata plus the reconstructed annotation. */
function chartMetadata(stored: Record<string, unknown>): Record<string, unknown> {
  const annotations = stored['annotations'] ?? {};
  if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations)) {
    throw chartNotRebuildable('its metadata has annotations that are not a mapping.');
  }
  // Go's omitempty: an empty field is a missing one, so two spellings of one chart write one Chart.yaml.
  const fields = Object.entries(stored).filter(([, value]) => !isEmpty(value));
  return {
    ...Object.fromEntries(fields),
    annotations: { ...annotations, [RECONSTRUCTED_ANNOTATION]: 'true' },
  };
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '' || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

function valuesYaml(values: Record<string, unknown>): string {
  const text = dumpYaml(values);
  let read: unknown;
  try {
    read = loadValuesYaml(text, MAX_VALUES_DEPTH);
  } catch (error) {
    if (!(error instanceof SafeYamlError)) throw error;
    throw chartNotRebuildable(`its values cannot be written as YAML (${error.failure.kind}).`);
  }
  // JSON numbers cannot tell 1 from 1.0, nor can Helm's values: compare as JSON values.
  if (!isDeepStrictEqual(read, JSON.parse(JSON.stringify(values)))) {
    throw chartNotRebuildable('its values do not read back the same once written as YAML.');
  }
  return text;
}

function dumpYaml(value: Record<string, unknown>): string {
  try {
    return yaml.dump(value, {
      sortKeys: true,
      lineWidth: -1,
      noRefs: true,
      forceQuotes: true,
      quotingType: '"',
    });
  } catch (error) {
    // js-yaml refuses undefined, functions and the like, which JSON never holds; say so plainly.
    throw chartNotRebuildable(
      `it holds a value YAML cannot write (${(error as Error).message.slice(0, 120)}).`,
    );
  }
}

function checkPath(file: ReleaseChartFile, kind: 'template' | 'file'): void {
  const problem = pathProblem(file.name, DEFAULT_CHART_ARCHIVE_LIMITS);
  if (problem !== null) throw chartNotRebuildable(`the ${kind} ${JSON.stringify(file.name)} ${problem}`);
}

/** Whether Helm's loader would keep `path` in `chart.files` (pkg/chart/v2/loader/load.go). */
function keptAsFile(path: string, apiVersion: string): boolean {
  if (path === 'requirements.yaml' || path === 'requirements.lock') return apiVersion === 'v1';
  if (path.startsWith('templates/')) return false;
  // Helm keeps charts/**.prov as files; everything else in charts/ is a subchart's.
  if (path.startsWith('charts/')) return path.endsWith('.prov');
  return true;
}
