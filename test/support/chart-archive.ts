import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateRawSync, gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { extract } from 'tar-stream';

/*
 * Test helper that packages chart source folders the way `helm package` does
 * (helm pkg/chartutil/save.go, pkg/ignore), but deterministically:
 * - entries are regular files only, all under `<chart name>/`, mode 0644, one fixed mtime;
 * - order: Chart.yaml, Chart.lock, values.yaml, values.schema.json, templates/..., other files,
 *   then charts/... (subchart folders recursively in the same order), each group sorted;
 * - Chart.yaml is re-serialised from the parsed metadata with sorted keys, as helm does;
 *   every other file keeps its bytes;
 * - .helmignore is applied, plus helm's default rule `templates/.?*`;
 * - USTAR headers, a ustar prefix for long ASCII paths, PAX only where USTAR cannot hold the path
 *   (Go's archive/tar makes the same choice);
 * - gzip with helm's header (comment `Helm`, its Extra bytes, mtime 0, OS 255).
 * Known differences from helm: Chart.lock keeps its bytes (helm re-serialises it), charts/*.tgz stay
 * archives (helm expands them), missing dependencies are not an error, Chart.yaml is not validated.
 */

export interface TarEntry {
  /** Stored as given: tests of upload validation may need `../x`, `/abs` or `./Chart.yaml`. */
  path: string;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink';
  content?: Buffer | string;
  /** Defaults to 0o644 (0o755 for directories). */
  mode?: number;
  linkname?: string;
  mtime?: Date;
}

export interface TgzOptions {
  /** Default mtime of entries without their own. */
  mtime?: Date;
}

export interface PackagedChart {
  tgz: Buffer;
  /** Chart.yaml as helm's chart.Metadata would hold it (see chartMetadata). */
  metadata: Record<string, unknown>;
  name: string;
  version: string;
  /** `<name>-<version>.tgz`, the file name helm package writes. */
  fileName: string;
  /** Entry paths in archive order. */
  entries: string[];
}

export const DEFAULT_MTIME = new Date('2024-01-01T00:00:00Z');

/** helm's gzip Extra field (pkg/chartutil/save.go headerBytes), kept for fidelity. */
const HELM_GZIP_EXTRA = Buffer.from('+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=');

export async function packageChartDir(dir: string, opts: TgzOptions = {}): Promise<PackagedChart> {
  const files = await walkChart(dir);
  const chartYaml = files.get('Chart.yaml');
  if (!chartYaml) throw new Error(`${dir}: Chart.yaml is missing`);
  const metadata = chartMetadata(parseChartYaml(chartYaml, `${dir}/Chart.yaml`));
  const name = metadata['name'];
  const version = metadata['version'];
  if (typeof name !== 'string' || !name || typeof version !== 'string' || !version) {
    throw new Error(`${dir}/Chart.yaml: name and version are required`);
  }
  const entries = orderChartFiles(files, name);
  const tgz = createTgz(entries, opts);
  return {
    tgz,
    metadata,
    name,
    version,
    fileName: `${name}-${version}.tgz`,
    entries: entries.map((e) => e.path),
  };
}

/** A gzip-compressed tar of the entries, byte-for-byte reproducible. */
export function createTgz(entries: TarEntry[], opts: TgzOptions = {}): Buffer {
  return gzipLikeHelm(createTar(entries, opts));
}

export function createTar(entries: TarEntry[], opts: TgzOptions = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const content = type === 'file' ? toBuffer(entry.content ?? '') : Buffer.alloc(0);
    const mtime = entry.mtime ?? opts.mtime ?? DEFAULT_MTIME;
    const mode = entry.mode ?? (type === 'directory' ? 0o755 : 0o644);
    const linkname = entry.linkname ?? '';
    const pax: Record<string, string> = {};
    let name = entry.path;
    let prefix = '';
    if (Buffer.byteLength(name) > 100 || !isAscii(name)) {
      const split = splitUstarPath(name);
      if (split) {
        [prefix, name] = split;
      } else {
        pax['path'] = name;
        name = truncateBytes(name, 100);
      }
    }
    if (Buffer.byteLength(linkname) > 100 || !isAscii(linkname)) pax['linkpath'] = linkname;
    if (Object.keys(pax).length > 0) {
      const body = paxRecords(pax);
      const paxName = truncateBytes(`PaxHeaders.0/${entry.path.split('/').pop() ?? ''}`, 100);
      blocks.push(
        header({
          name: paxName,
          prefix: '',
          mode: 0o644,
          size: body.length,
          mtime,
          typeflag: 'x',
          linkname: '',
        }),
      );
      blocks.push(padded(body));
    }
    const typeflag = { file: '0', directory: '5', symlink: '2', hardlink: '1' }[type];
    blocks.push(
      header({
        name,
        prefix,
        mode,
        size: content.length,
        mtime,
        typeflag,
        linkname: truncateBytes(linkname, 100),
      }),
    );
    if (content.length > 0) blocks.push(padded(content));
  }
  // End of archive: two zero blocks (no padding to a 10 KiB record, as Go's writer).
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** Gzip with the header helm writes (Go's compress/gzip: mtime 0, XFL 0, OS 255, Extra, Comment). */
export function gzipLikeHelm(data: Buffer): Buffer {
  const FEXTRA = 0x04;
  const FCOMMENT = 0x10;
  const head = Buffer.from([0x1f, 0x8b, 0x08, FEXTRA | FCOMMENT, 0, 0, 0, 0, 0, 0xff]);
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(HELM_GZIP_EXTRA.length);
  const comment = Buffer.from('Helm\0', 'latin1');
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([head, xlen, HELM_GZIP_EXTRA, comment, deflateRawSync(data), trailer]);
}

// js-yaml's default schema turns `version: 1.10` into the number 1.1. Helm unmarshals Chart.yaml into
// string fields, keeping the scalar's text, so only null and booleans are resolved here.
// js-yaml exports its built-in types at run time; @types/js-yaml does not declare them.
const builtinTypes = (yaml as unknown as { types: { null: yaml.Type; bool: yaml.Type } }).types;
const CHART_YAML_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: [builtinTypes.null, builtinTypes.bool] });

export function parseChartYaml(text: Buffer | string, where = 'Chart.yaml'): Record<string, unknown> {
  const doc: unknown = yaml.load(text.toString().replace(/^\uFEFF/, ''), { schema: CHART_YAML_SCHEMA });
  if (!isRecord(doc)) throw new Error(`${where}: not a YAML mapping`);
  return doc;
}

const METADATA_FIELDS: [string, FieldKind][] = [
  ['name', 'string'],
  ['home', 'string'],
  ['sources', 'strings'],
  ['version', 'string'],
  ['description', 'string'],
  ['keywords', 'strings'],
  ['maintainers', 'maintainers'],
  ['icon', 'string'],
  ['apiVersion', 'string'],
  ['condition', 'string'],
  ['tags', 'string'],
  ['appVersion', 'string'],
  ['deprecated', 'bool'],
  ['annotations', 'map'],
  ['kubeVersion', 'string'],
  ['dependencies', 'dependencies'],
  ['type', 'string'],
];
type FieldKind = 'string' | 'strings' | 'bool' | 'map' | 'maintainers' | 'dependencies';

/**
 * Chart.yaml reduced to helm's chart.Metadata: its fields only, in Go struct order, empty ones left
 * out (Go's omitempty), annotation keys sorted. JSON.stringify of it (with Go's escaping, see oci-push)
 * is the config blob `helm push` uploads.
 */
export function chartMetadata(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, kind] of METADATA_FIELDS) {
    const value = normalizeField(raw[key], kind);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function normalizeField(value: unknown, kind: FieldKind): unknown {
  switch (kind) {
    case 'string':
      return value === undefined || value === null || value === '' ? undefined : String(value);
    case 'bool':
      return value === true || value === 'true' ? true : undefined;
    case 'strings': {
      const list = Array.isArray(value) ? value.map((v) => String(v)) : [];
      return list.length > 0 ? list : undefined;
    }
    case 'map': {
      if (!isRecord(value)) return undefined;
      const keys = Object.keys(value).sort();
      if (keys.length === 0) return undefined;
      return Object.fromEntries(keys.map((k) => [k, String(value[k] ?? '')]));
    }
    case 'maintainers': {
      const list = (Array.isArray(value) ? value : []).filter(isRecord).map((m) => {
        const person: Record<string, string> = {};
        for (const k of ['name', 'email', 'url']) {
          const v = m[k];
          if (v !== undefined && v !== null && v !== '') person[k] = String(v);
        }
        return person;
      });
      return list.length > 0 ? list : undefined;
    }
    case 'dependencies': {
      const list = (Array.isArray(value) ? value : []).filter(isRecord).map(normalizeDependency);
      return list.length > 0 ? list : undefined;
    }
  }
}

function normalizeDependency(d: Record<string, unknown>): Record<string, unknown> {
  const text = (v: unknown): string | undefined =>
    v === undefined || v === null || v === '' ? undefined : String(v);
  // name and repository have no omitempty in helm's chart.Dependency.
  const out: Record<string, unknown> = { name: String(d['name'] ?? '') };
  const version = text(d['version']);
  if (version !== undefined) out['version'] = version;
  out['repository'] = String(d['repository'] ?? '');
  const condition = text(d['condition']);
  if (condition !== undefined) out['condition'] = condition;
  if (Array.isArray(d['tags']) && d['tags'].length > 0) out['tags'] = d['tags'].map((t) => String(t));
  if (d['enabled'] === true || d['enabled'] === 'true') out['enabled'] = true;
  if (Array.isArray(d['import-values']) && d['import-values'].length > 0)
    out['import-values'] = d['import-values'];
  const alias = text(d['alias']);
  if (alias !== undefined) out['alias'] = alias;
  return out;
}

// ---- chart folder walking -------------------------------------------------------------------------

/** Relative path (forward slashes) -> bytes, after .helmignore. */
async function walkChart(root: string): Promise<Map<string, Buffer>> {
  const rules = parseHelmignore(await readFile(join(root, '.helmignore'), 'utf8').catch(() => ''));
  const files = new Map<string, Buffer>();
  const visit = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = join(root, path);
      // helm follows symlinks (sympath.Walk), so stat, not lstat, decides file or folder.
      const info = await stat(abs).catch(async () => lstat(abs));
      if (isIgnored(rules, path, info.isDirectory())) continue;
      if (info.isDirectory()) await visit(path);
      else if (info.isFile()) files.set(path, await readFile(abs));
      else throw new Error(`${abs}: not a regular file`);
    }
  };
  await visit('');
  return files;
}

function orderChartFiles(files: Map<string, Buffer>, base: string): TarEntry[] {
  const paths = [...files.keys()].sort();
  const entries: TarEntry[] = [];
  const add = (rel: string, content: Buffer): void => {
    entries.push({ path: `${base}/${rel}`, content });
  };
  const chartYaml = files.get('Chart.yaml');
  if (chartYaml) {
    const metadata = chartMetadata(parseChartYaml(chartYaml));
    add('Chart.yaml', Buffer.from(yaml.dump(metadata, { sortKeys: true, lineWidth: -1 })));
  }
  for (const fixed of ['Chart.lock', 'values.yaml', 'values.schema.json']) {
    const content = files.get(fixed);
    if (content) add(fixed, content);
  }
  const fixedNames = new Set(['Chart.yaml', 'Chart.lock', 'values.yaml', 'values.schema.json']);
  for (const p of paths.filter((p) => p.startsWith('templates/'))) add(p, files.get(p)!);
  for (const p of paths.filter(
    (p) => !fixedNames.has(p) && !p.startsWith('templates/') && !p.startsWith('charts/'),
  )) {
    add(p, files.get(p)!);
  }

  // Subchart folders under charts/ are charts of their own; other files there (archives) stay as they are.
  const subcharts = new Map<string, Map<string, Buffer>>();
  for (const p of paths.filter((p) => p.startsWith('charts/'))) {
    const [, dirName, ...rest] = p.split('/');
    if (rest.length === 0 || dirName === undefined) {
      add(p, files.get(p)!);
      continue;
    }
    const sub = subcharts.get(dirName) ?? new Map<string, Buffer>();
    sub.set(rest.join('/'), files.get(p)!);
    subcharts.set(dirName, sub);
  }
  for (const [dirName, sub] of [...subcharts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!sub.has('Chart.yaml')) {
      for (const [rel, content] of [...sub].sort(([a], [b]) => (a < b ? -1 : 1)))
        add(`charts/${dirName}/${rel}`, content);
      continue;
    }
    entries.push(...orderChartFiles(sub, `${base}/charts/${dirName}`));
  }
  return entries;
}

interface IgnoreRule {
  negate: boolean;
  mustDir: boolean;
  match: (path: string) => boolean;
}

// helm's pkg/ignore: a pattern without `/` matches the base name, one with `/` the whole relative
// path, a leading `/` anchors, a trailing `/` matches folders only.
function parseHelmignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of [...text.split(/\r?\n/), 'templates/.?*']) {
    let rule = line.trim();
    if (rule === '' || rule.startsWith('#')) continue;
    if (rule.includes('**'))
      throw new Error(`.helmignore: double-star (**) syntax is not supported: ${rule}`);
    const negate = rule.startsWith('!');
    if (negate) rule = rule.slice(1);
    const mustDir = rule.endsWith('/');
    if (mustDir) rule = rule.slice(0, -1);
    const whole = rule.includes('/');
    if (rule.startsWith('/')) rule = rule.slice(1);
    const re = globToRegExp(rule);
    rules.push({ negate, mustDir, match: (p) => re.test(whole ? p : (p.split('/').pop() ?? p)) });
  }
  return rules;
}

function isIgnored(rules: IgnoreRule[], path: string, isDir: boolean): boolean {
  for (const r of rules) {
    // helm's odd negation: a negated rule that does not match ignores the path.
    if (r.negate) {
      if (r.mustDir && !isDir) return true;
      if (!r.match(path)) return true;
      continue;
    }
    if (r.mustDir && !isDir) continue;
    if (r.match(path)) return true;
  }
  return false;
}

/** Go's filepath.Match syntax: `*`, `?`, `[...]` / `[^...]`, `\` escapes; none cross `/`. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) re += escapeRegExp(glob[++i]!);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('^')) cls = `^${cls.slice(1).replace(/\\/g, '\\\\')}`;
        else cls = cls.replace(/\\/g, '\\\\');
        re += `[${cls}]`;
        i = end;
      }
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---- tar details ----------------------------------------------------------------------------------

interface HeaderFields {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: Date;
  typeflag: string;
  linkname: string;
}

function header(h: HeaderFields): Buffer {
  const block = Buffer.alloc(512);
  block.write(h.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, Math.max(0, Math.floor(h.mtime.getTime() / 1000)));
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  block.write(h.typeflag, 156, 1, 'latin1');
  block.write(h.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 6, 'latin1');
  block.write('00', 263, 2, 'latin1');
  writeOctal(block, 329, 8, 0); // devmajor
  writeOctal(block, 337, 8, 0); // devminor
  block.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

function padded(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

function paxRecords(records: Record<string, string>): Buffer {
  let out = '';
  for (const [key, value] of Object.entries(records)) {
    // "<len> <key>=<value>\n" where len counts itself, so grow until stable.
    const body = ` ${key}=${value}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len)
      len = String(len).length + Buffer.byteLength(body);
    out += `${len}${body}`;
  }
  return Buffer.from(out, 'utf8');
}

/** [prefix, name] when an ASCII path fits USTAR's 155+100 split (Go's splitUSTARPath). */
function splitUstarPath(path: string): [string, string] | undefined {
  if (!isAscii(path) || path.length <= 100) return undefined;
  let length = path.length;
  if (length > 156) length = 156;
  else if (path.endsWith('/')) length--;
  const i = path.lastIndexOf('/', length - 1);
  const nameLength = path.length - i - 1;
  if (i <= 0 || nameLength > 100 || nameLength === 0 || i > 155) return undefined;
  return [path.slice(0, i), path.slice(i + 1)];
}

function truncateBytes(s: string, max: number): string {
  const bytes = Buffer.from(s, 'utf8');
  return bytes.length <= max
    ? s
    : bytes
        .subarray(0, max)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function toBuffer(content: Buffer | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The header fields of a .tgz's entries that a reproducible packager fixes, in archive order. */
export interface ListedEntry {
  name: string;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
  mtime: number | undefined;
  type: string | null | undefined;
}

export async function listTgz(archive: Buffer): Promise<ListedEntry[]> {
  const tar = extract();
  const entries: ListedEntry[] = [];
  const done = (async () => {
    for await (const entry of tar) {
      const h = entry.header;
      entries.push({
        name: h.name,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        uname: h.uname,
        gname: h.gname,
        mtime: h.mtime?.getTime(),
        type: h.type,
      });
      entry.resume();
    }
  })();
  tar.end(gunzipSync(archive));
  await done;
  return entries;
}
