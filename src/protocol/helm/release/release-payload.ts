import { gunzipSync } from 'node:zlib';
import { chartNameProblem } from '../chart-version.js';
import { HAS_CONTROL_CHARACTERS, quote } from '../entry-fields.js';
import type {
  DecodedRelease,
  ReleaseChart,
  ReleaseChartFile,
  ReleaseDriver,
  ReleaseSummary,
} from './release-record.js';

/*
 * Helm 3 (and 4: same format) release payloads, as Helm's storage drivers keep them
 * (research/kubernetes.md §3, helm/helm pkg/storage/driver/util.go): base64 of gzip(JSON), or base64
 * of the plain JSON (Helm's decoder checks for the gzip magic 1f 8b 08 and takes either).
 *
 * Everything here is untrusted input from a cluster, so:
 * - sizes are bounded before work: the base64 text, and the gunzip OUTPUT (zlib stops inflating at
 *   maxOutputLength, so a gzip bomb costs at most the limit);
 * - every string we keep and show is checked (names by Helm's own rules, no control characters), and
 *   file names must be relative paths without `..`, since the chart may be rebuilt into an archive;
 * - a refusal is one ReleaseDecodeError whose message says what is wrong; the caller turns it into a
 *   warning naming the Secret or ConfigMap, and the discovery goes on.
 * Timestamps are kept as Helm wrote them; an empty one or Go's zero time is null.
 */

export interface ReleaseLimits {
  /** Length of the base64 payload (what Helm stored in `data.release`), in characters. */
  maxPayloadChars: number;
  /** The JSON (or Helm 2 protobuf) after gunzip, in bytes. */
  maxDecodedBytes: number;
  /** Nesting of values and config (they are turned into YAML later). */
  maxValuesDepth: number;
  /** Templates plus files of the stored chart. */
  maxChartFiles: number;
}

export const DEFAULT_RELEASE_LIMITS: Readonly<ReleaseLimits> = Object.freeze({
  maxPayloadChars: 8 * 1024 * 1024,
  maxDecodedBytes: 16 * 1024 * 1024,
  maxValuesDepth: 64,
  maxChartFiles: 5000,
});

export type ReleaseDecodeFailure = 'invalid_release' | 'release_too_large';

/** Why a release payload was refused; `code` doubles as a DiscoveryWarning code. */
export class ReleaseDecodeError extends Error {
  constructor(
    readonly code: ReleaseDecodeFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ReleaseDecodeError';
  }
}

// Helm's ValidateReleaseName (pkg/chart/common/util/validate_name.go): a DNS-1123 subdomain, ≤ 53.
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_RELEASE_NAME_LENGTH = 53;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_NAMESPACE_LENGTH = 63;
const MAX_VERSION_LENGTH = 256;
const MAX_PATH_LENGTH = 4096;
const MAX_TEXT_LENGTH = 1024;
const STATUS = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const GZIP_MAGIC = [0x1f, 0x8b, 0x08];
const GO_ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;
const MIB = 1024 * 1024;

const invalid = (message: string) => new ReleaseDecodeError('invalid_release', message);

function sizeText(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

export function resolveReleaseLimits(limits: Partial<ReleaseLimits> = {}): ReleaseLimits {
  return { ...DEFAULT_RELEASE_LIMITS, ...limits };
}

/**
 * Base64 text to bytes, strictly (Node's decoder skips anything it does not know). Line breaks are
 * ignored, as Go's decoder ignores them. `what` names the field in the message.
 */
export function strictBase64(text: string, what: string): Buffer {
  const compact = /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, '') : text;
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw invalid(`${what} is not base64.`);
  return Buffer.from(compact, 'base64');
}

/** The payload's bytes, gunzipped when they start with gzip's magic, within the limits. */
export function releaseBytes(payload: string, limits: ReleaseLimits): Buffer {
  if (payload.length > limits.maxPayloadChars) {
    throw new ReleaseDecodeError(
      'release_too_large',
      `The release payload is ${payload.length} characters of base64, more than the limit of ${sizeText(limits.maxPayloadChars)}.`,
    );
  }
  const raw = strictBase64(payload.trim(), 'The release payload');
  if (!GZIP_MAGIC.every((byte, i) => raw[i] === byte)) {
    if (raw.length > limits.maxDecodedBytes) throw tooLargeDecoded(limits);
    return raw;
  }
  try {
    return gunzipSync(raw, { maxOutputLength: limits.maxDecodedBytes });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLargeDecoded(limits);
    throw invalid(
      `The release payload starts like gzip but does not decompress (${(error as { code?: string }).code ?? 'corrupt data'}).`,
    );
  }
}

function tooLargeDecoded(limits: ReleaseLimits): ReleaseDecodeError {
  return new ReleaseDecodeError(
    'release_too_large',
    `The release decompresses to more than the limit of ${sizeText(limits.maxDecodedBytes)}.`,
  );
}

// ---- Field rules, shared with helm2-release.ts ------------------------------------------------------

export function checkReleaseName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalid('The release has no name.');
  if (name.length > MAX_RELEASE_NAME_LENGTH)
    throw invalid(
      `The release name ${quote(name)} is ${name.length} characters long; Helm allows at most ${MAX_RELEASE_NAME_LENGTH}.`,
    );
  if (!RELEASE_NAME.test(name))
    throw invalid(
      `The release name ${quote(name)} is not a valid Helm release name (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit).`,
    );
  return name;
}

export function checkNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || namespace === '') throw invalid('The release has no namespace.');
  if (namespace.length > MAX_NAMESPACE_LENGTH || !DNS_LABEL.test(namespace))
    throw invalid(
      `The release namespace ${quote(namespace)} is not a Kubernetes namespace name (a DNS label of at most ${MAX_NAMESPACE_LENGTH} characters).`,
    );
  return namespace;
}

export function checkChartName(name: unknown): string {
  if (typeof name !== 'string' || name === '')
    throw invalid("The release's chart metadata has no chart name.");
  const problem = name.includes('..') ? 'it contains ".."' : chartNameProblem(name);
  if (problem !== null) throw invalid(`The chart name ${quote(name)} is refused: ${problem}.`);
  return name;
}

export function checkChartVersion(version: unknown): string {
  if (typeof version !== 'string' || version === '')
    throw invalid("The release's chart metadata has no chart version.");
  if (version.length > MAX_VERSION_LENGTH)
    throw invalid(`The chart version is longer than ${MAX_VERSION_LENGTH} characters.`);
  if (HAS_CONTROL_CHARACTERS.test(version))
    throw invalid(`The chart version ${quote(version)} contains control characters.`);
  return version;
}

export function checkRevision(revision: unknown): number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 1)
    throw invalid(`The release revision ${JSON.stringify(revision) ?? 'missing'} is not a positive integer.`);
  return revision;
}

export function checkStatus(status: unknown): string {
  if (status === undefined || status === null || status === '') return 'unknown';
  if (typeof status !== 'string' || !STATUS.test(status))
    throw invalid(
      `The release status ${typeof status === 'string' ? quote(status) : `(${typeof status})`} is not a Helm status.`,
    );
  return status;
}

/** An optional shown string (appVersion): null when absent, refused when not clean text. */
function optionalText(value: unknown, what: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalid(`${what} is not text.`);
  if (value.length > MAX_TEXT_LENGTH) throw invalid(`${what} is longer than ${MAX_TEXT_LENGTH} characters.`);
  if (HAS_CONTROL_CHARACTERS.test(value))
    throw invalid(`${what} ${quote(value)} contains control characters.`);
  return value;
}

/** A timestamp as Helm wrote it, or null when missing, zero or not a sane RFC 3339 string. */
function timestamp(value: unknown): string | null {
  if (typeof value !== 'string' || value === '' || value.length > 64 || GO_ZERO_TIME.test(value)) return null;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : null;
}

/** A file path inside the chart: relative, `/`-separated, no `..`, printable. */
export function checkChartPath(name: unknown, what: string): string {
  if (typeof name !== 'string' || name === '') throw invalid(`A ${what} of the stored chart has no name.`);
  const problem =
    name.length > MAX_PATH_LENGTH
      ? `it is longer than ${MAX_PATH_LENGTH} characters`
      : HAS_CONTROL_CHARACTERS.test(name)
        ? 'it contains control characters'
        : name.includes('\\')
          ? 'it contains a backslash'
          : name.startsWith('/') || /^[A-Za-z]:/.test(name)
            ? 'it is an absolute path'
            : name.split('/').some((part) => part === '..')
              ? 'it contains ".."'
              : null;
  if (problem !== null) throw invalid(`The ${what} name ${quote(name)} is refused: ${problem}.`);
  return name;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A mapping of values (chart values, config): null is {}, depth bounded. */
function valuesMapping(value: unknown, what: string, limits: ReleaseLimits): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isMapping(value)) throw invalid(`${what} is not a mapping.`);
  // Iterative, so a hostile nesting cannot overflow the stack here.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limits.maxValuesDepth)
      throw invalid(`${what} is nested deeper than ${limits.maxValuesDepth} levels.`);
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return value;
}

function chartFiles(value: unknown, what: string, budget: { left: number }): ReleaseChartFile[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`The stored chart's ${what}s are not a list.`);
  budget.left -= value.length;
  if (budget.left < 0) throw invalid(`The stored chart has more files than the limit.`);
  return value.map((entry: unknown) => {
    if (!isMapping(entry)) throw invalid(`A ${what} of the stored chart is not an object.`);
    const name = checkChartPath(entry['name'], what);
    const data = entry['data'];
    if (data !== undefined && data !== null && typeof data !== 'string')
      throw invalid(`The ${what} ${quote(name)} has data that is not base64 text.`);
    return { name, data: data ? strictBase64(data, `The data of ${what} ${quote(name)}`) : Buffer.alloc(0) };
  });
}

function releaseChart(chart: Record<string, unknown>, limits: ReleaseLimits): ReleaseChart {
  const metadata = chart['metadata'] as Record<string, unknown>;
  const budget = { left: limits.maxChartFiles };
  const schema = chart['schema'];
  if (schema !== undefined && schema !== null && typeof schema !== 'string')
    throw invalid("The stored chart's schema is not base64 text.");
  return {
    metadata,
    templates: chartFiles(chart['templates'], 'template', budget),
    values: valuesMapping(chart['values'], "The stored chart's values", limits),
    schema: schema ? strictBase64(schema, "The stored chart's schema") : null,
    files: chartFiles(chart['files'], 'file', budget),
  };
}

/** The release JSON of Helm 3 as parsed, to DecodedRelease (exported for tests and other readers). */
export function releaseFromJson(
  doc: unknown,
  driver: ReleaseDriver,
  limits: ReleaseLimits = DEFAULT_RELEASE_LIMITS,
): DecodedRelease {
  if (!isMapping(doc)) throw invalid('The release JSON is not an object.');
  const info = isMapping(doc['info']) ? doc['info'] : {};
  const chart = doc['chart'];
  if (!isMapping(chart) || !isMapping(chart['metadata']))
    throw invalid('The release has no chart metadata (chart.metadata is missing).');
  const metadata = chart['metadata'];
  const summary: ReleaseSummary = {
    name: checkReleaseName(doc['name']),
    namespace: checkNamespace(doc['namespace']),
    revision: checkRevision(doc['version']),
    status: checkStatus(info['status']),
    chartName: checkChartName(metadata['name']),
    chartVersion: checkChartVersion(metadata['version']),
    appVersion: optionalText(metadata['appVersion'], 'The chart appVersion'),
    firstDeployed: timestamp(info['first_deployed']),
    lastDeployed: timestamp(info['last_deployed']),
    driver,
    helmMajor: 3,
  };
  return {
    summary,
    chart: releaseChart(chart, limits),
    config: valuesMapping(doc['config'], "The release's config (user-supplied values)", limits),
  };
}

/**
 * Decodes `data.release` of a Helm 3/4 release Secret or ConfigMap, AFTER the Kubernetes object's own
 * decoding (a Secret's data is base64 once more): base64 of gzip(JSON) or of plain JSON. Throws
 * ReleaseDecodeError.
 */
export function decodeHelm3Release(
  payload: string,
  driver: ReleaseDriver,
  limits: Partial<ReleaseLimits> = {},
): DecodedRelease {
  const resolved = resolveReleaseLimits(limits);
  const bytes = releaseBytes(payload, resolved);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('The release payload is not JSON (nor gzip of JSON).');
  }
  return releaseFromJson(doc, driver, resolved);
}
