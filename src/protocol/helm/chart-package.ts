import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { InvalidRequestError } from '../../shared/errors.js';
import { DEFAULT_CHART_ARCHIVE_LIMITS, type ChartArchiveLimits } from './chart-archive.js';
import { parseChartYaml } from './chart-metadata.js';

/*
 * `helm package` for a chart's files, made reproducible: the same files always give the same bytes, so
 * the same chart gets the same digest wherever it is packaged. Pure: the files come in memory, from a
 * folder (src/cli/chart-folder.ts reads one, applying .helmignore with the rules here) or from a Helm
 * release.
 *
 * Decisions:
 * - .helmignore follows Helm's pkg/ignore exactly, oddities included: one Go `filepath.Match` glob per
 *   line, `#` comments, `**` refused; a pattern without "/" matches the base name at any depth, one
 *   with "/" the whole path from the chart folder (a leading "/" is dropped); a trailing "/" matches
 *   folders only; an ignored folder is skipped whole; Helm's default `templates/.?*` is added. A `!`
 *   rule is Helm's, not git's: any path it does NOT match is ignored (it makes an allow-list). Nothing
 *   else is skipped: not even `.git/`, unless .helmignore says so (Helm's default .helmignore does).
 * - Files keep their bytes (Helm rewrites Chart.yaml from its metadata, sorting the keys; we keep the
 *   author's file, which parseChartYaml has validated). Entries: `<name>/Chart.yaml` first, then every
 *   other file by path in byte order; regular files only (no folder entries), mode 0644, uid/gid 0,
 *   no user or group names, mtime 0; gzip level 9 with mtime 0 in its header.
 * - The limits of the archive reader (DEFAULT_CHART_ARCHIVE_LIMITS) are enforced on the files packed,
 *   and paths it would refuse (absolute, `.`/`..` or empty components, backslashes, NUL, too deep,
 *   twice the same) are refused here, so a packaged chart is always one readChartFiles accepts. A
 *   folder reader also counts sizes with ChartPackTally while reading, to stop before reading too much.
 */

export interface PackagedChart {
  archive: Buffer;
  name: string;
  version: string;
}

/** 400 `invalid_chart_folder`, saying what to change in the folder. */
export function invalidChartFolder(message: string): InvalidRequestError {
  return new InvalidRequestError(
    `The chart folder cannot be packaged: ${message}`,
    undefined,
    'invalid_chart_folder',
  );
}

/** One file of a chart: its path from the chart root, "/"-separated, and its bytes. */
export interface ChartPackFile {
  path: string;
  content: Buffer;
}

export interface IgnoreRule {
  negate: boolean;
  mustDir: boolean;
  /** Matches the base name only (pattern without "/"). */
  baseName: boolean;
  pattern: RegExp;
}

/** Helm's default rule: dot files in templates/. */
const DEFAULT_RULE = 'templates/.?*';

/** Parses a .helmignore (Helm's pkg/ignore), plus Helm's default rule. */
export function parseHelmignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of [...text.split('\n'), DEFAULT_RULE]) {
    let rule = line.trim();
    if (rule === '' || rule.startsWith('#')) continue;
    if (rule.includes('**')) {
      throw invalidChartFolder(
        `.helmignore: ${JSON.stringify(rule)} uses "**", which Helm does not support.`,
      );
    }
    // Helm checks the whole line (with its "!" and trailing "/") compiles as a glob.
    globToRegExp(rule, rule);
    const negate = rule.startsWith('!');
    if (negate) rule = rule.slice(1);
    const mustDir = rule.endsWith('/');
    if (mustDir) rule = rule.slice(0, -1);
    const baseName = !rule.includes('/');
    if (rule.startsWith('/')) rule = rule.slice(1);
    rules.push({ negate, mustDir, baseName, pattern: globToRegExp(rule, line.trim()) });
  }
  return rules;
}

/** Helm's Rules.Ignore: rules in order, the first match ignores; a `!` rule ignores what it misses. */
export function isIgnored(rules: readonly IgnoreRule[], path: string, isDir: boolean): boolean {
  if (path === '' || path === '.' || path === './') return false;
  const base = path.slice(path.lastIndexOf('/') + 1);
  for (const rule of rules) {
    const matches = (): boolean => rule.pattern.test(rule.baseName ? base : path);
    if (rule.negate) {
      if (rule.mustDir && !isDir) return true;
      if (!matches()) return true;
      continue;
    }
    if (rule.mustDir && !isDir) continue;
    if (matches()) return true;
  }
  return false;
}

// In a RegExp with the u flag only syntax characters may be escaped, and "-" only inside a class.
const escapeChar = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const escapeClassChar = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/**
 * Go's `filepath.Match` syntax on Unix as a RegExp: `*` (any run without "/"), `?` (one character but
 * "/"), `[...]` / `[^...]` classes with ranges, `\` escapes. A malformed pattern is refused, as Go does.
 */
function globToRegExp(glob: string, line: string): RegExp {
  const bad = (): InvalidRequestError =>
    invalidChartFolder(`.helmignore: ${JSON.stringify(line)} is not a valid pattern.`);
  const chars = Array.from(glob);
  let re = '';
  let i = 0;
  const classChar = (): string => {
    let c = chars[i];
    if (c === undefined || c === '-' || c === ']') throw bad();
    if (c === '\\') {
      i += 1;
      c = chars[i];
      if (c === undefined) throw bad();
    }
    i += 1;
    return c;
  };
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '*') {
      re += '[^/]*';
      i += 1;
    } else if (c === '?') {
      re += '[^/]';
      i += 1;
    } else if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) throw bad();
      re += escapeChar(next);
      i += 2;
    } else if (c === '[') {
      i += 1;
      let cls = '';
      if (chars[i] === '^') {
        cls += '^';
        i += 1;
      }
      let ranges = 0;
      while (chars[i] !== ']' || ranges === 0) {
        const lo = classChar();
        if (chars[i] === '-') {
          i += 1;
          const hi = classChar();
          // Go accepts a reversed range, which matches nothing; a RegExp would refuse it.
          if (lo.codePointAt(0)! <= hi.codePointAt(0)!)
            cls += `${escapeClassChar(lo)}-${escapeClassChar(hi)}`;
        } else {
          cls += escapeClassChar(lo);
        }
        ranges += 1;
      }
      i += 1; // the closing "]"
      re += `[${cls}]`;
    } else {
      re += escapeChar(c);
      i += 1;
    }
  }
  return new RegExp(`^${re}$`, 'u');
}

/** Packages a chart's files like `helm package`, reproducibly (see the decisions above). */
export async function packChart(
  files: readonly ChartPackFile[],
  limits: Readonly<ChartArchiveLimits> = DEFAULT_CHART_ARCHIVE_LIMITS,
): Promise<PackagedChart> {
  const seen = new Set<string>();
  for (const file of files) {
    const problem = pathProblem(file.path, limits);
    if (problem !== null) throw invalidChartFolder(`${JSON.stringify(file.path)} ${problem}`);
    if (seen.has(file.path)) throw invalidChartFolder(`${JSON.stringify(file.path)} is listed twice.`);
    seen.add(file.path);
  }
  const chartYaml = files.find((f) => f.path === 'Chart.yaml');
  if (chartYaml === undefined) {
    throw invalidChartFolder('it has no Chart.yaml file at its top; is it a chart?');
  }
  const meta = parseChartYaml(chartYaml.content.toString('utf8'), invalidChartFolder);

  const chartFirst = (f: ChartPackFile): number => (f.path === 'Chart.yaml' ? 0 : 1);
  const sorted = [...files].sort(
    (a, b) => chartFirst(a) - chartFirst(b) || Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)),
  );
  const tally = new ChartPackTally(limits);
  for (const file of sorted) tally.add(file.path, file.content.length);

  const tar = pack();
  for (const file of sorted) {
    tar.entry(
      {
        name: `${meta.name}/${file.path}`,
        size: file.content.length,
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        mtime: new Date(0),
        type: 'file',
      },
      file.content,
    );
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar as AsyncIterable<Buffer>) chunks.push(chunk);
  const archive = gzipSync(Buffer.concat(chunks), { level: 9 });
  if (archive.length > limits.maxCompressedBytes) {
    throw invalidChartFolder(`the packaged chart is larger than ${limits.maxCompressedBytes} bytes.`);
  }
  return { archive, name: meta.name, version: meta.version };
}

/**
 * Why readChartFiles would refuse `path` (relative to the chart root) once packed, or null. The
 * backslash and depth messages are the ones a folder reader gives too.
 */
export function pathProblem(path: string, limits: Readonly<ChartArchiveLimits>): string | null {
  if (path.includes('\\')) return 'has a backslash in its name; rename it.';
  if (path.includes('\u0000')) return 'has a NUL character in its name.';
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    return 'is not a plain relative path (an empty, "." or ".." component, or a leading "/").';
  }
  if (parts.length > limits.maxDepth) return `is nested deeper than ${limits.maxDepth} folders.`;
  return null;
}

/**
 * Counts files against the per-file, file-count and expanded-size limits, throwing at the first one
 * broken. packChart checks the files it packs with one; a folder reader uses one to stop early.
 */
export class ChartPackTally {
  #files = 0;
  #expanded = 0;

  constructor(private readonly limits: Readonly<ChartArchiveLimits>) {}

  add(path: string, size: number): void {
    const { limits } = this;
    if (size > limits.maxFileBytes) {
      throw invalidChartFolder(
        `${JSON.stringify(path)} is larger than the limit of ${limits.maxFileBytes} bytes per file; ` +
          'list it in .helmignore if the chart does not need it.',
      );
    }
    this.#files += 1;
    if (this.#files > limits.maxEntries) throw tooManyFiles(limits);
    // A tar entry is a 512-byte header and the content padded to 512 bytes.
    this.#expanded += 512 + Math.ceil(size / 512) * 512;
    if (this.#expanded > limits.maxExpandedBytes) {
      throw invalidChartFolder(`its files add up to more than ${limits.maxExpandedBytes} bytes.`);
    }
  }
}

const tooManyFiles = (limits: Readonly<ChartArchiveLimits>): InvalidRequestError =>
  invalidChartFolder(`it has more than ${limits.maxEntries} files; list the ones not needed in .helmignore.`);
