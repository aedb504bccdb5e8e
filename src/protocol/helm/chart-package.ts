import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { InvalidRequestError } from '../../shared/errors.js';
import { DEFAULT_CHART_ARCHIVE_LIMITS, type ChartArchiveLimits } from './chart-archive.js';
import { parseChartYaml } from './chart-metadata.js';

/*
 * `helm package` for a chart folder, made reproducible: the same folder always gives the same bytes, so
 * the same chart gets the same digest wherever it is packaged.
 *
 * Decisions:
 * - .helmignore follows Helm's pkg/ignore exactly, oddities included: one Go `filepath.Match` glob per
 *   line, `#` comments, `**` refused; a pattern without "/" matches the base name at any depth, one
 *   with "/" the whole path from the chart folder (a leading "/" is dropped); a trailing "/" matches
 *   folders only; an ignored folder is skipped whole; Helm's default `templates/.?*` is added. A `!`
 *   rule is Helm's, not git's: any path it does NOT match is ignored (it makes an allow-list). Nothing
 *   else is skipped: not even `.git/`, unless .helmignore says so (Helm's default .helmignore does).
 * - Symbolic links are refused unless ignored (Helm follows them; a link out of the folder would pack
 *   files the author never meant to publish, and our archive reader refuses links anyway). So are
 *   sockets, FIFOs and devices, and names with a backslash (our reader refuses them).
 * - Files keep their bytes (Helm rewrites Chart.yaml from its metadata, sorting the keys; we keep the
 *   author's file, which parseChartYaml has validated). Entries: `<name>/Chart.yaml` first, then every
 *   other file by path in byte order; regular files only (no folder entries), mode 0644, uid/gid 0,
 *   no user or group names, mtime 0; gzip level 9 with mtime 0 in its header.
 * - The limits of the archive reader (DEFAULT_CHART_ARCHIVE_LIMITS) are enforced while walking, so a
 *   packaged chart is always one readChartFiles accepts.
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

interface IgnoreRule {
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

interface FoundFile {
  rel: string;
  abs: string;
  size: number;
}

/** Packages the chart folder `dir` like `helm package`, reproducibly (see the decisions above). */
export async function packageChart(
  dir: string,
  limits: Readonly<ChartArchiveLimits> = DEFAULT_CHART_ARCHIVE_LIMITS,
): Promise<PackagedChart> {
  const chartYamlInfo = await lstat(join(dir, 'Chart.yaml')).catch(() => null);
  if (chartYamlInfo === null || !chartYamlInfo.isFile()) {
    throw invalidChartFolder(`${JSON.stringify(dir)} has no Chart.yaml file; is it a chart folder?`);
  }
  const meta = parseChartYaml(await readFile(join(dir, 'Chart.yaml'), 'utf8'), invalidChartFolder);

  const ignoreInfo = await lstat(join(dir, '.helmignore')).catch(() => null);
  let ignoreText = '';
  if (ignoreInfo !== null) {
    if (!ignoreInfo.isFile()) throw invalidChartFolder('.helmignore is not a regular file.');
    ignoreText = await readFile(join(dir, '.helmignore'), 'utf8');
  }
  const rules = parseHelmignore(ignoreText);
  if (isIgnored(rules, 'Chart.yaml', false)) {
    throw invalidChartFolder('.helmignore excludes Chart.yaml; a chart cannot be packaged without it.');
  }

  const files = await walk(dir, rules, limits);
  const chartFirst = (f: FoundFile): number => (f.rel === 'Chart.yaml' ? 0 : 1);
  files.sort(
    (a, b) => chartFirst(a) - chartFirst(b) || Buffer.compare(Buffer.from(a.rel), Buffer.from(b.rel)),
  );

  const contents: Buffer[] = [];
  let expanded = 0;
  for (const file of files) {
    const content = await readFile(file.abs);
    // The file may have changed since the walk: check again what is actually packed.
    if (content.length > limits.maxFileBytes) throw tooLarge(file.rel, limits);
    expanded += 512 + Math.ceil(content.length / 512) * 512;
    if (expanded > limits.maxExpandedBytes) {
      throw invalidChartFolder(`its files add up to more than ${limits.maxExpandedBytes} bytes.`);
    }
    contents.push(content);
  }
  const tar = pack();
  files.forEach((file, i) => {
    const content = contents[i]!;
    tar.entry(
      {
        name: `${meta.name}/${file.rel}`,
        size: content.length,
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        mtime: new Date(0),
        type: 'file',
      },
      content,
    );
  });
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar as AsyncIterable<Buffer>) chunks.push(chunk);
  const archive = gzipSync(Buffer.concat(chunks), { level: 9 });
  if (archive.length > limits.maxCompressedBytes) {
    throw invalidChartFolder(`the packaged chart is larger than ${limits.maxCompressedBytes} bytes.`);
  }
  return { archive, name: meta.name, version: meta.version };
}

function tooLarge(rel: string, limits: Readonly<ChartArchiveLimits>): InvalidRequestError {
  return invalidChartFolder(
    `${JSON.stringify(rel)} is larger than the limit of ${limits.maxFileBytes} bytes per file; ` +
      'list it in .helmignore if the chart does not need it.',
  );
}

/** Every file to pack, with its path relative to the chart folder ("/"-separated). */
async function walk(
  root: string,
  rules: readonly IgnoreRule[],
  limits: Readonly<ChartArchiveLimits>,
): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const visit = async (relDir: string, depth: number): Promise<void> => {
    const entries: Dirent[] = await readdir(join(root, relDir), { withFileTypes: true });
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    for (const entry of entries) {
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      const abs = join(root, rel);
      if (entry.isSymbolicLink()) {
        // Whether Helm would see a folder decides "folder only" rules.
        const target = await stat(abs).catch(() => null);
        if (isIgnored(rules, rel, target?.isDirectory() ?? false)) continue;
        throw invalidChartFolder(
          `${JSON.stringify(rel)} is a symbolic link; replace it with the file or folder itself, or list it in .helmignore.`,
        );
      }
      const isDir = entry.isDirectory();
      if (isIgnored(rules, rel, isDir)) continue;
      if (entry.name.includes('\\')) {
        throw invalidChartFolder(`${JSON.stringify(rel)} has a backslash in its name; rename it.`);
      }
      if (depth + 1 > limits.maxDepth) {
        throw invalidChartFolder(`${JSON.stringify(rel)} is nested deeper than ${limits.maxDepth} folders.`);
      }
      if (isDir) {
        await visit(rel, depth + 1);
        continue;
      }
      if (!entry.isFile()) {
        throw invalidChartFolder(
          `${JSON.stringify(rel)} is not a regular file (a socket, FIFO or device); remove it or list it in .helmignore.`,
        );
      }
      const info = await lstat(abs);
      if (info.size > limits.maxFileBytes) throw tooLarge(rel, limits);
      found.push({ rel, abs, size: info.size });
      if (found.length > limits.maxEntries) {
        throw invalidChartFolder(
          `it has more than ${limits.maxEntries} files; list the ones not needed in .helmignore.`,
        );
      }
    }
  };
  await visit('', 0);
  return found;
}
