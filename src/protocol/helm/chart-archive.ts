import { hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import yaml from 'js-yaml';
import { extract, type Extract, type ExtractEvents } from 'tar-stream';
import { AppError, InvalidRequestError } from '../../shared/errors.js';

/**
 * Reads a chart archive (.tgz) as a stream, in memory, never touching the disk, and returns the few
 * files the catalog shows. Every archive rule of SPEC §2 (hosted uploads) is enforced here, so the same
 * reader can vet an upload later: a readable gzip tar, one top-level folder, Chart.yaml in it, no
 * absolute paths, no `..`, no backslashes, regular files and folders only (no links of any kind, no
 * devices or FIFOs), and the size limits of research/protocols.md a.8 and perf-security.md C 27–30.
 *
 * Decisions:
 * - The top-level folder is the first path component whatever its name, as in Helm's loader, so
 *   `./Chart.yaml` (corpus argo-lite-0.1.0.tgz) is a chart whose folder is `.`. Every entry must share
 *   that component: a second top-level name is refused (Helm would silently merge them).
 * - Backslashes are refused rather than read as separators as Helm does: a chart has no reason to
 *   contain one, and refusing keeps `a\..\..\x` from meaning two things to two readers.
 * - Links are refused even when they stay inside the chart: Helm's own packager never writes them, and
 *   proving "inside" needs path resolution that a refusal does not.
 * - Sizes are counted as bytes flow: the compressed input, the gunzip OUTPUT (so a gzip bomb stops at
 *   the limit, not after inflating) and each entry's declared size (checked before reading it).
 * - Only the chart's own top-level values.yaml, README.md (any case) and values.schema.json are
 *   returned; a subchart's (`charts/x/values.yaml`) is not the chart's.
 * - Text is UTF-8 with a leading BOM removed (as Helm does); a file with a NUL byte is refused, since it
 *   is not text and PostgreSQL text columns cannot hold it.
 * - Every file (subcharts' included, binary ones too) is also listed with the sha256 of its bytes, a
 *   leading UTF-8 BOM removed as Helm's loader removes it from every file: enough to fingerprint the
 *   chart's content (release/chart-fingerprint.ts) from this one read.
 */
export interface ChartArchiveLimits {
  /** The .tgz as stored. */
  maxCompressedBytes: number;
  /** Everything gunzip produces (tar headers included). */
  maxExpandedBytes: number;
  maxFileBytes: number;
  maxEntries: number;
  /** Path components below the chart folder. */
  maxDepth: number;
}

export const DEFAULT_CHART_ARCHIVE_LIMITS: Readonly<ChartArchiveLimits> = {
  maxCompressedBytes: 10 * 1024 * 1024,
  maxExpandedBytes: 100 * 1024 * 1024,
  maxFileBytes: 5 * 1024 * 1024,
  maxEntries: 1000,
  maxDepth: 20,
};

/** A file of the chart: its path below the chart folder and the sha256 (hex) of its bytes, BOM removed. */
export interface ChartFileDigest {
  path: string;
  sha256: string;
}

export interface ChartFiles {
  chartYaml: string;
  valuesYaml: string | null;
  readme: string | null;
  valuesSchema: string | null;
  /** Every file below the chart folder, in archive order. */
  contents: ChartFileDigest[];
}

/** The one error of this module: 400 `invalid_chart_archive`, with a message saying what is wrong. */
export function invalidArchive(message: string): InvalidRequestError {
  return new InvalidRequestError(
    `The chart archive was refused: ${message}`,
    undefined,
    'invalid_chart_archive',
  );
}

/** One tar entry: its header and its content stream (tar-stream does not export the type by name). */
type Entry = ExtractEvents['entry'][1];

const ALLOWED_TYPES: ReadonlySet<string> = new Set(['file', 'contiguous-file', 'directory']);
// Entry names are echoed in messages: keep them short and printable.
const shown = (name: string): string =>
  JSON.stringify(
    Array.from(name.slice(0, 120), (c) => (c.charCodeAt(0) < 0x20 || c === '\x7f' ? '?' : c)).join(''),
  );

export async function readChartFiles(
  tgz: Buffer | Readable,
  limits: Readonly<ChartArchiveLimits> = DEFAULT_CHART_ARCHIVE_LIMITS,
): Promise<ChartFiles> {
  if (Buffer.isBuffer(tgz) && tgz.length > limits.maxCompressedBytes) {
    throw invalidArchive(`it is larger than ${limits.maxCompressedBytes} bytes compressed.`);
  }
  const source = Buffer.isBuffer(tgz) ? Readable.from([tgz]) : tgz;
  const gunzip = createGunzip();
  const tar = extract();
  const feeding = feed(source, gunzip, tar, limits);
  // The feeder's failure also destroys `tar`, which the consumer then sees; this only keeps an early
  // rejection from counting as unhandled while the consumer is still busy.
  feeding.catch(() => undefined);
  try {
    const files = await consume(tar, limits);
    await feeding;
    return files;
  } catch (error) {
    const stop = new Error('chart archive reading stopped');
    source.destroy();
    gunzip.destroy();
    tar.destroy(stop);
    await feeding.catch(() => undefined);
    throw translate(error);
  }
}

/** Compressed bytes → gunzip → tar, counting both sides and honouring the tar parser's backpressure. */
async function feed(
  source: Readable,
  gunzip: ReturnType<typeof createGunzip>,
  tar: Extract,
  limits: Readonly<ChartArchiveLimits>,
): Promise<void> {
  let compressed = 0;
  let expanded = 0;
  source.on('data', (chunk: Buffer) => {
    compressed += chunk.length;
    if (compressed > limits.maxCompressedBytes) {
      gunzip.destroy(invalidArchive(`it is larger than ${limits.maxCompressedBytes} bytes compressed.`));
    }
  });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      expanded += chunk.length;
      if (expanded > limits.maxExpandedBytes) {
        throw invalidArchive(`it expands to more than ${limits.maxExpandedBytes} bytes.`);
      }
      if (!tar.write(chunk)) await drained(tar);
    }
    // streamx's typings demand an argument; undefined means "no last chunk".
    tar.end(undefined);
  } catch (error) {
    tar.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/** Resolves when the parser wants more, or is gone (destroyed by the consumer): never hangs. */
function drained(tar: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      tar.off('drain', done);
      tar.off('close', done);
      resolve();
    };
    tar.on('drain', done);
    tar.on('close', done);
  });
}

interface Seen {
  top: string | undefined;
  entries: number;
}

async function consume(tar: Extract, limits: Readonly<ChartArchiveLimits>): Promise<ChartFiles> {
  const seen: Seen = { top: undefined, entries: 0 };
  const kept = new Map<string, string>();
  const contents: ChartFileDigest[] = [];
  for await (const entry of tar) {
    const rel = checkEntry(entry, seen, limits);
    if (rel === null) {
      entry.resume();
      continue;
    }
    // Bounded by maxFileBytes, checked against the header before reading.
    const bytes = withoutBom(await readBytes(entry));
    contents.push({ path: rel, sha256: hash('sha256', bytes, 'hex') });
    const wanted = wantedName(rel);
    if (wanted !== undefined) kept.set(wanted, decodeText(bytes, rel));
  }
  if (seen.entries === 0) throw invalidArchive('it holds no files.');
  const chartYaml = kept.get('Chart.yaml');
  if (chartYaml === undefined) throw invalidArchive('Chart.yaml is missing from the chart folder.');
  checkChartYaml(chartYaml);
  return {
    chartYaml,
    valuesYaml: kept.get('values.yaml') ?? null,
    // An exact README.md wins over another spelling when an archive has both.
    readme: kept.get('README.md') ?? kept.get('readme') ?? null,
    valuesSchema: kept.get('values.schema.json') ?? null,
    contents,
  };
}

/** Validates one entry; returns its path below the chart folder (null for the folder itself). */
function checkEntry(entry: Entry, seen: Seen, limits: Readonly<ChartArchiveLimits>): string | null {
  const { header } = entry;
  const name = header.name;
  seen.entries += 1;
  if (seen.entries > limits.maxEntries)
    throw invalidArchive(`it has more than ${limits.maxEntries} entries.`);
  const type = header.type ?? 'file';
  if (!ALLOWED_TYPES.has(type)) {
    throw invalidArchive(`${shown(name)} is a ${type}; only regular files and folders are allowed.`);
  }
  if (name.includes('\\')) throw invalidArchive(`${shown(name)} contains a backslash.`);
  if (name.includes('\u0000')) throw invalidArchive(`${shown(name)} contains a NUL character.`);
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name))
    throw invalidArchive(`${shown(name)} is an absolute path.`);
  const parts = name.split('/');
  if (parts.includes('..')) throw invalidArchive(`${shown(name)} contains "..".`);
  const top = parts[0] ?? '';
  const rest = parts.slice(1).filter((p) => p !== '' && p !== '.');
  if (top === '') throw invalidArchive(`${shown(name)} has an empty first path component.`);
  if (rest.length === 0 && type !== 'directory') {
    throw invalidArchive(`${shown(name)} is not inside the chart's folder.`);
  }
  if (seen.top === undefined) seen.top = top;
  else if (seen.top !== top) {
    throw invalidArchive(`it has more than one top-level folder (${shown(seen.top)} and ${shown(top)}).`);
  }
  if (rest.length > limits.maxDepth) {
    throw invalidArchive(`${shown(name)} is nested deeper than ${limits.maxDepth} folders.`);
  }
  const size = header.size ?? 0;
  if (size > limits.maxFileBytes) {
    throw invalidArchive(`${shown(name)} is larger than the limit of ${limits.maxFileBytes} bytes per file.`);
  }
  return type === 'directory' || rest.length === 0 ? null : rest.join('/');
}

/** The key a kept file is stored under, or undefined for every other file. */
function wantedName(rel: string): string | undefined {
  if (rel === 'Chart.yaml' || rel === 'values.yaml' || rel === 'values.schema.json' || rel === 'README.md') {
    return rel;
  }
  return rel.toLowerCase() === 'readme.md' ? 'readme' : undefined;
}

async function readBytes(entry: Entry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The bytes without a leading UTF-8 BOM, as Helm's loader keeps every file (pkg/chart/loader/archive). */
export function withoutBom(bytes: Buffer): Buffer {
  return bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes;
}

function decodeText(bytes: Buffer, rel: string): string {
  if (bytes.includes(0)) throw invalidArchive(`${shown(rel)} is not text (it contains a NUL byte).`);
  return bytes.toString('utf8');
}

/** Chart.yaml must be a mapping naming the chart and its version (SPEC §2; Helm's loader demands both). */
function checkChartYaml(text: string): void {
  let doc: unknown;
  try {
    // FAILSAFE: every scalar a string, so `version: 1.10` stays "1.10"; aliases are pointless here.
    doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
  } catch {
    throw invalidArchive('Chart.yaml is not valid YAML.');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalidArchive('Chart.yaml is not a YAML mapping.');
  }
  const { name, version } = doc as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '') throw invalidArchive('Chart.yaml names no chart.');
  if (typeof version !== 'string' || version.trim() === '')
    throw invalidArchive('Chart.yaml has no version.');
}

/** gzip and tar parser failures say the archive is unreadable; our own errors pass through. */
function translate(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return invalidArchive(`it is not a readable gzip file (${code}).`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return invalidArchive(`it is not a readable tar archive (${message.slice(0, 120)}).`);
}
