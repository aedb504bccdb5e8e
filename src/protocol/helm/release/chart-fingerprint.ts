import { hash } from 'node:crypto';
import { withoutBom, type ChartFiles } from '../chart-archive.js';
import { CHART_YAML_MAX_DEPTH, sanitizeString } from '../chart-metadata.js';
import { loadHelmYaml, loadValuesYaml } from '../safe-yaml.js';
import type { ReleaseChart, ReleaseChartFile } from './release-record.js';

/*
 * A chart's content fingerprint: sha256 hex of one canonical JSON text, computed alike from a chart
 * archive (what the catalog and the hosted registry hold) and from the chart Helm stored in a release
 * (research/kubernetes.md §3), so that "this release was installed from this archive" is a string
 * comparison, and a chart rebuilt from a release (release-chart.ts) fingerprints equal to it.
 *
 * What goes in, and why (helm/helm pkg/chart/v2/loader/load.go decides where each file of an archive
 * lands in the loaded chart, which is what a release stores):
 * - Chart.yaml's apiVersion, name, version, appVersion, kubeVersion and type: what names the chart and
 *   decides how it installs. Taken as Helm's chart.Metadata holds them: the YAML read the way Helm's
 *   sigs.k8s.io/yaml reads it into string fields (an unquoted `appVersion: 1.10` is "1.1", `1.0` is
 *   "1", `yes` is "true": go-yaml v2 types the scalar, then strconv.FormatFloat(v, 'g', -1, 32)), then
 *   sanitized as Metadata.Validate() does (name, appVersion, kubeVersion); a missing apiVersion is v1,
 *   and an empty field is the same as a missing one (Go's omitempty).
 * - NOT the descriptive fields (description, home, icon, sources, keywords, maintainers, deprecated)
 *   nor annotations: they do not change what gets installed, and the `charthouse.io/reconstructed`
 *   annotation of a rebuilt chart must not change its fingerprint.
 * - NOT dependencies: installing rewrites them in the stored metadata (pkg/chart/v2/util/dependencies.go
 *   ProcessDependencies: an alias replaces the name, disabled ones are removed, `enabled` is set,
 *   import-values become child/parent pairs), so a release's list cannot be compared with Chart.yaml's;
 *   and the subcharts themselves are never stored.
 * - NOT the values: a release's `chart.values` are not the chart's values.yaml when the chart has
 *   dependencies (ProcessDependencies coalesces the subcharts' defaults in and drops nulls), nor after
 *   `helm upgrade --reuse-values` (pkg/action/upgrade.go replaces them with the previous release's
 *   values merged with the user's), which would make a common, unchanged install never match.
 * - The templates (`templates/**` of the chart itself), the other files Helm keeps in `chart.files`
 *   (everything but Chart.yaml, Chart.lock, values.yaml, values.schema.json, templates/ and charts/,
 *   except `charts/**.prov`; requirements.yaml/.lock only for apiVersion v1 charts) and
 *   values.schema.json, each as the sha256 of its bytes without a leading UTF-8 BOM (Helm's loader
 *   strips it from every file), sorted by path. Subcharts (charts/) are left out: a release lacks them.
 *   An empty schema counts as none (Helm ignores an empty one).
 * A Chart.yaml this module cannot read safely (YAML anchors, too deep, not a mapping) fingerprints its
 * bytes instead: such an archive then matches no release by content, only by name and version.
 */

/** Bumped whenever what goes into the canonical text changes, so old and new fingerprints never meet. */
const FORMAT = 1;

const FIELDS = ['apiVersion', 'name', 'version', 'appVersion', 'kubeVersion', 'type'] as const;
type Field = (typeof FIELDS)[number];
/** The fields Metadata.Validate() sanitizes; version, apiVersion and type are kept as written. */
const SANITIZED: ReadonlySet<Field> = new Set(['name', 'appVersion', 'kubeVersion']);

const EMPTY_SHA256 = hash('sha256', '', 'hex');

type Entry = [path: string, sha256: string];

interface Content {
  chart: Partial<Record<Field, string>> | { unreadable: string };
  templates: Entry[];
  files: Entry[];
  schema: string | null;
}

/** The fingerprint of the chart stored in a Helm release. */
export function releaseChartFingerprint(chart: ReleaseChart): string {
  const fields: Partial<Record<Field, string>> = {};
  for (const field of FIELDS) setField(fields, field, helmText(chart.metadata[field]));
  const digestOf = (f: ReleaseChartFile): Entry => [f.name, sha256(withoutBom(f.data))];
  const schema = chart.schema === null ? null : sha256(withoutBom(chart.schema));
  return fingerprint({
    chart: withDefaults(fields),
    templates: chart.templates.map(digestOf),
    files: chart.files.map(digestOf),
    schema: schema === EMPTY_SHA256 ? null : schema,
  });
}

/** The fingerprint of a chart archive, from what readChartFiles read (Chart.yaml and every file's sha256). */
export function archiveFingerprint(files: Pick<ChartFiles, 'chartYaml' | 'contents'>): string {
  const chart = chartYamlFields(files.chartYaml);
  const apiVersion = 'unreadable' in chart ? undefined : chart.apiVersion;
  const content: Content = { chart, templates: [], files: [], schema: null };
  for (const { path, sha256: digest } of files.contents) {
    const place = helmPlace(path, apiVersion);
    if (place === 'schema') content.schema = digest === EMPTY_SHA256 ? null : digest;
    else if (place !== null) content[place].push([path, digest]);
  }
  return fingerprint(content);
}

/** Where Helm's LoadFiles puts a file of the chart, or null when a release does not keep it as a file. */
function helmPlace(path: string, apiVersion: string | undefined): 'templates' | 'files' | 'schema' | null {
  switch (path) {
    case 'Chart.yaml':
    case 'Chart.lock':
    case 'values.yaml':
      return null;
    case 'values.schema.json':
      return 'schema';
    case 'requirements.yaml':
    case 'requirements.lock':
      return apiVersion === 'v1' ? 'files' : null;
  }
  if (path.startsWith('templates/')) return 'templates';
  if (path.startsWith('charts/')) return goExt(path) === '.prov' ? 'files' : null;
  return 'files';
}

/** Go's filepath.Ext: from the last "." of the last path element, or "". */
function goExt(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot === -1 ? '' : base.slice(dot);
}

function chartYamlFields(text: string): Content['chart'] {
  let typed: unknown;
  let raw: unknown;
  try {
    // Typed as go-yaml v2 types scalars (numbers, YAML 1.1 booleans), and as text, to tell 10 from 10.0.
    typed = loadValuesYaml(text, CHART_YAML_MAX_DEPTH);
    raw = loadHelmYaml(text, CHART_YAML_MAX_DEPTH);
  } catch {
    return { unreadable: sha256(Buffer.from(text, 'utf8')) };
  }
  if (!isRecord(typed) || !isRecord(raw)) return { unreadable: sha256(Buffer.from(text, 'utf8')) };
  const fields: Partial<Record<Field, string>> = {};
  for (const field of FIELDS) setField(fields, field, helmText(typed[field], raw[field]));
  return withDefaults(fields);
}

function setField(fields: Partial<Record<Field, string>>, field: Field, text: string | undefined): void {
  const value = text !== undefined && SANITIZED.has(field) ? sanitizeString(text) : text;
  if (value !== undefined && value !== '') fields[field] = value;
}

/** Helm's loader: a chart without apiVersion is a v1 chart. */
function withDefaults(fields: Partial<Record<Field, string>>): Partial<Record<Field, string>> {
  return fields.apiVersion === undefined ? { ...fields, apiVersion: 'v1' } : fields;
}

/**
 * A scalar as sigs.k8s.io/yaml puts it into a Go string field (yaml.go convertToJSONableObject):
 * integers in decimal, floats by FormatFloat(v, 'g', -1, 32), booleans as true/false. `rawText` is
 * the scalar as written, which tells an integer from a float (JavaScript has one number type).
 */
function helmText(value: unknown, rawText?: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    const written = typeof rawText === 'string' ? rawText.replace(/_/g, '') : undefined;
    const integer = written === undefined ? Number.isInteger(value) : GO_INTEGER.test(written);
    return integer ? String(value) : goFloat32Text(value);
  }
  // A list or mapping where Helm wants text: Helm refuses to load such a chart; keep it distinct.
  return JSON.stringify(value);
}

/** What Go's strconv.ParseInt(s, 0, 64) reads (go-yaml v2 tries it before floats). */
const GO_INTEGER = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

/** Go's strconv.FormatFloat(v, 'g', -1, 32): the shortest text of the float32, %e past 1e+06 or below 1e-04. */
export function goFloat32Text(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  const f = Math.fround(value);
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  let precision = 1;
  while (precision < 9 && Math.fround(Number(f.toPrecision(precision))) !== f) precision += 1;
  const [mantissa = '', exponentText = '0'] = Math.abs(f)
    .toExponential(precision - 1)
    .split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  const exponent = Number(exponentText);
  const sign = f < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent);
    return `${sign}${m}e${exponent < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  const point = exponent + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function fingerprint(content: Content): string {
  const byPath = (a: Entry, b: Entry): number =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  // Keys in a fixed order (chart fields in FIELDS order): the same content is always the same text.
  const fields = content.chart;
  const chart =
    'unreadable' in fields
      ? fields
      : Object.fromEntries(FIELDS.flatMap((f) => (fields[f] === undefined ? [] : [[f, fields[f]]])));
  const text = JSON.stringify({
    format: FORMAT,
    chart,
    templates: [...content.templates].sort(byPath),
    files: [...content.files].sort(byPath),
    schema: content.schema,
  });
  return sha256(Buffer.from(text, 'utf8'));
}

const sha256 = (bytes: Buffer): string => hash('sha256', bytes, 'hex');

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
