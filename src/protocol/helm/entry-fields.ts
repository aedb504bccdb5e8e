/*
 * Reading one index entry's fields: each reader takes what Helm would accept, drops or trims the rest
 * with a warning on the entry's context (see the policy in chart-version.ts).
 */
import { resolveHelmReference } from '../registry-endpoint.js';
import type {
  ChartApiVersion,
  ChartDependency,
  ChartImportValue,
  ChartMaintainer,
  SyncWarning,
} from './chart-version-record.js';

export const MAX_SYNC_WARNINGS = 1000;

export const MAX_DESCRIPTION_LENGTH = 10_000;
export const MAX_TEXT_LENGTH = 2_048;
/** Icons may be inline `data:` URLs. */
export const MAX_ICON_LENGTH = 65_536;
export const MAX_ANNOTATION_VALUE_LENGTH = 65_536;
export const MAX_ANNOTATION_KEY_LENGTH = 256;
export const MAX_LIST_ITEMS = 100;
export const MAX_ANNOTATIONS = 100;

// `helm create`'s character set; a leading "." or "-" is refused too (".", "..", hidden files, CLI flags).
export const CHART_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
// Helm's `aliasNameFormat` (pkg/chart/dependency.go).
export const DEPENDENCY_ALIAS = /^[a-zA-Z0-9_-]+$/;
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
export const HAS_CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
export const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
// YAML 1.1 booleans, which Helm's YAML decoder (go-yaml v2) reads for bool fields such as `deprecated`.
export const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE']);
export const YAML11_FALSE = new Set([
  'n',
  'N',
  'no',
  'No',
  'NO',
  'off',
  'Off',
  'OFF',
  'false',
  'False',
  'FALSE',
]);
export const CHART_URL_SCHEMES = new Set(['http:', 'https:', 'oci:']);

/** Why a chart name is unusable (path-like, odd characters, too long), or null when it is fine. */

export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text).replace(
    /[\u007f-\u009f]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The chart or version as a warning field: the value itself when clean, else an escaped, cut form. */
export function label(text: string): string {
  return text.length <= 256 && !HAS_CONTROL_CHARACTERS.test(text) ? text : quote(text).slice(1, -1);
}

export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

/** A value in a message: quoted text, or what it is instead. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? quote(value) : `(${kindOf(value)})`;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export class WarningList {
  readonly items: SyncWarning[] = [];
  private dropped = 0;

  add(warning: SyncWarning): void {
    if (this.items.length < MAX_SYNC_WARNINGS) this.items.push(warning);
    else this.dropped += 1;
  }

  /** Warnings added so far, kept or not. */
  get count(): number {
    return this.items.length + this.dropped;
  }

  /** Takes `other`'s warnings after this list's own, as if they had been added here. */
  append(other: WarningList): void {
    for (const warning of other.items) this.add(warning);
    this.dropped += other.dropped;
  }

  finish(): SyncWarning[] {
    if (this.dropped > 0) {
      this.items.push({ message: `${this.dropped} more warnings were not recorded.` });
    }
    return this.items;
  }
}

/**
 * The entry being normalized: its names, and its field warnings until the entry is done. One per index,
 * reused. `cleanControls` is off on the first pass over an entry: looking for control characters once
 * in the entry's hash input is much cheaper than in each of its fields, and they are rare.
 */
export class EntryContext {
  chart = '';
  version = '';
  cleanControls = false;
  private pending: SyncWarning[] = [];

  constructor(private readonly warnings: WarningList) {}

  start(chart: string, version: string, cleanControls: boolean): void {
    this.chart = chart;
    this.version = version;
    this.cleanControls = cleanControls;
    if (this.pending.length > 0) this.pending = [];
  }

  warn(message: string): void {
    this.pending.push({
      chart: label(this.chart),
      version: label(this.version),
      message: `Chart ${quote(this.chart)} version ${quote(this.version)}: ${message}`,
    });
  }

  finish(): void {
    if (this.pending.length === 0) return;
    for (const warning of this.pending) this.warnings.add(warning);
    this.pending = [];
  }
}

export interface TextRule {
  max: number;
  /** Cut to `max` (descriptions) instead of dropping the value. */
  truncate?: boolean;
}
export const TEXT: TextRule = { max: MAX_TEXT_LENGTH };
export const DESCRIPTION: TextRule = { max: MAX_DESCRIPTION_LENGTH, truncate: true };
export const ICON: TextRule = { max: MAX_ICON_LENGTH };
export const ANNOTATION_VALUE: TextRule = { max: MAX_ANNOTATION_VALUE_LENGTH };

/*
 * The readers below name the field in their warnings as `what` (a constant) plus, for annotations, the
 * key: the label is only put together when there is something to warn about, because this runs for
 * every field of tens of thousands of entries.
 */
export function fieldLabel(what: string, key: string | undefined): string {
  return key === undefined ? what : `${what} ${quote(key)}`;
}

/** A scalar as text, or undefined (with a warning) when it has the wrong type or is too long. */
export function readText(
  value: unknown,
  what: string,
  ctx: EntryContext,
  rule: TextRule = TEXT,
  key?: string,
): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = String(value);
  else {
    ctx.warn(`${fieldLabel(what, key)} is ${kindOf(value)}, not text: it was ignored.`);
    return undefined;
  }
  if (ctx.cleanControls && HAS_CONTROL_CHARACTERS.test(text)) {
    text = text.replace(CONTROL_CHARACTERS, '');
    ctx.warn(`control characters were removed from ${fieldLabel(what, key)}.`);
  }
  if (text.length > rule.max) {
    if (rule.truncate === true) {
      ctx.warn(`${fieldLabel(what, key)} is longer than ${rule.max} characters: it was cut to that length.`);
      return text.slice(0, rule.max);
    }
    ctx.warn(`${fieldLabel(what, key)} is longer than ${rule.max} characters: it was ignored.`);
    return undefined;
  }
  return text;
}

/** An optional text field: null when absent, null or empty (Helm's `omitempty`). */
export function optionalText(
  value: unknown,
  what: string,
  ctx: EntryContext,
  rule?: TextRule,
): string | null {
  if (value === undefined || value === null || value === '') return null;
  return readText(value, what, ctx, rule) ?? null;
}

/** A list field; a single value where a list belongs is dropped whole, not guessed into a list. */
export function readList(value: unknown, what: string, ctx: EntryContext): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    ctx.warn(`${what} is ${kindOf(value)}, not a list: it was ignored.`);
    return [];
  }
  if (value.length > MAX_LIST_ITEMS) {
    ctx.warn(`${what} has ${value.length} items: only the first ${MAX_LIST_ITEMS} were kept.`);
    return value.slice(0, MAX_LIST_ITEMS);
  }
  return value;
}

/** `itemWhat` names one item in warnings ("an item of keywords"). */
export function readTextList(value: unknown, what: string, itemWhat: string, ctx: EntryContext): string[] {
  const result: string[] = [];
  for (const item of readList(value, what, ctx)) {
    if (item === null || item === undefined) {
      ctx.warn(`${what} has an empty item: it was ignored.`);
      continue;
    }
    const text = readText(item, itemWhat, ctx);
    if (text !== undefined) result.push(text);
  }
  return result;
}

export function readBoolean(value: unknown, what: string, ctx: EntryContext): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && YAML11_TRUE.has(value)) return true;
  if (typeof value === 'string' && YAML11_FALSE.has(value)) return false;
  ctx.warn(`${what} is ${kindOf(value)}, not true or false: it was ignored.`);
  return undefined;
}

export function readMaintainers(value: unknown, ctx: EntryContext): ChartMaintainer[] {
  const result: ChartMaintainer[] = [];
  for (const item of readList(value, 'maintainers', ctx)) {
    if (!isMapping(item)) {
      ctx.warn(`a maintainer is ${kindOf(item)}, not a mapping with name, email and url: it was ignored.`);
      continue;
    }
    // Helm accepts a maintainer without a name; the record keeps "" rather than dropping the person.
    const maintainer: ChartMaintainer = { name: optionalText(item['name'], 'a maintainer name', ctx) ?? '' };
    const email = optionalText(item['email'], 'a maintainer email', ctx);
    if (email !== null) maintainer.email = email;
    const url = optionalText(item['url'], 'a maintainer url', ctx);
    if (url !== null) maintainer.url = url;
    result.push(maintainer);
  }
  return result;
}

export function readImportValues(value: unknown, ctx: EntryContext): ChartImportValue[] | undefined {
  if (value === undefined || value === null) return undefined;
  const result: ChartImportValue[] = [];
  for (const item of readList(value, 'a dependency import-values', ctx)) {
    if (typeof item === 'string') {
      result.push(item);
    } else if (isMapping(item) && typeof item['child'] === 'string' && typeof item['parent'] === 'string') {
      result.push({ child: item['child'], parent: item['parent'] });
    } else {
      ctx.warn('an import-values item is neither a path nor a child/parent mapping: it was ignored.');
    }
  }
  return result;
}

export function readDependencies(value: unknown, ctx: EntryContext): ChartDependency[] {
  const result: ChartDependency[] = [];
  for (const item of readList(value, 'dependencies', ctx)) {
    if (!isMapping(item)) {
      ctx.warn(`a dependency is ${kindOf(item)}, not a mapping: it was ignored.`);
      continue;
    }
    // Keys in one fixed order: the content hash serializes the record as built.
    const dependency: ChartDependency = { name: optionalText(item['name'], 'a dependency name', ctx) ?? '' };
    const version = optionalText(item['version'], 'a dependency version', ctx);
    if (version !== null) dependency.version = version;
    const repository = optionalText(item['repository'], 'a dependency repository', ctx);
    if (repository !== null) dependency.repository = repository;
    const condition = optionalText(item['condition'], 'a dependency condition', ctx);
    if (condition !== null) dependency.condition = condition;
    if (item['tags'] !== undefined && item['tags'] !== null) {
      dependency.tags = readTextList(item['tags'], 'a dependency tags', 'a dependency tag', ctx);
    }
    const alias = optionalText(item['alias'], 'a dependency alias', ctx);
    if (alias !== null) dependency.alias = alias;
    const enabled = readBoolean(item['enabled'], 'a dependency enabled', ctx);
    if (enabled !== undefined) dependency.enabled = enabled;
    const importValues = readImportValues(item['import-values'], ctx);
    if (importValues !== undefined) dependency.importValues = importValues;
    result.push(dependency);
  }
  return result;
}

export function readAnnotations(value: unknown, ctx: EntryContext): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isMapping(value)) {
    ctx.warn(`annotations is ${kindOf(value)}, not a mapping: it was ignored.`);
    return {};
  }
  // Sorted keys: the same annotations hash the same whatever order the index wrote them in.
  const keys = Object.keys(value).sort();
  if (keys.length > MAX_ANNOTATIONS) {
    ctx.warn(`there are ${keys.length} annotations: only the first ${MAX_ANNOTATIONS} were kept.`);
    keys.length = MAX_ANNOTATIONS;
  }
  const result: [string, string][] = [];
  for (const key of keys) {
    if (key.length > MAX_ANNOTATION_KEY_LENGTH || (ctx.cleanControls && HAS_CONTROL_CHARACTERS.test(key))) {
      ctx.warn(`the annotation key ${quote(key)} is too long or has control characters: it was ignored.`);
      continue;
    }
    const item = value[key];
    if (typeof item !== 'string' && typeof item !== 'boolean') {
      ctx.warn(`annotation ${quote(key)} is ${kindOf(item)}, not text: it was ignored.`);
      continue;
    }
    const text = readText(item, 'annotation', ctx, ANNOTATION_VALUE, key);
    if (text !== undefined) result.push([key, text]);
  }
  // fromEntries defines own properties: an annotation named "__proto__" is kept, not turned into a prototype.
  return Object.fromEntries(result);
}

/** The digest as 64 lowercase hex characters, or null. ChartMuseum writes "sha256:<hex>"; Helm 4 strips it. */
export function sha256Hex(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const hex = value.startsWith('sha256:') ? value.slice('sha256:'.length) : value;
  return SHA256_HEX.test(hex) ? hex.toLowerCase() : null;
}

export function readDigest(value: unknown, ctx: EntryContext): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') {
    ctx.warn(`digest is ${kindOf(value)}, not text: it was ignored.`);
    return null;
  }
  const hex = sha256Hex(value);
  if (hex === null) {
    ctx.warn(`digest ${quote(value)} is not a SHA-256 digest (64 hexadecimal characters): it was ignored.`);
  }
  return hex;
}

/**
 * Helm downloads `urls[0]` only, resolved with ResolveReferenceURL: relative to the repository URL with
 * one trailing "/" added, and the repository URL's query string (a signed-URL token) carried over.
 */
export function resolveChartUrl(urls: string[], repositoryUrl: URL, ctx: EntryContext): string | null {
  const first = urls[0];
  if (first === undefined || first === '') {
    ctx.warn('the entry has no chart URL, so the chart cannot be downloaded (Helm says the same).');
    return null;
  }
  let resolved: URL;
  try {
    resolved = resolveHelmReference(repositoryUrl, first);
  } catch {
    ctx.warn(`the chart URL ${quote(first)} is not a valid URL: the chart cannot be downloaded.`);
    return null;
  }
  if (!CHART_URL_SCHEMES.has(resolved.protocol)) {
    ctx.warn(
      `the chart URL ${quote(first)} uses the "${resolved.protocol}" scheme: only http, https and oci are used.`,
    );
    return null;
  }
  return resolved.href;
}

export function readApiVersion(value: unknown): ChartApiVersion | undefined {
  // Helm's loadIndex treats an empty apiVersion as v1.
  if (value === undefined || value === null || value === '') return 'v1';
  return value === 'v1' || value === 'v2' || value === 'v3' ? value : undefined;
}

/** Which Helm rule makes the entry unusable, or null. Checked before anything is warned about its fields. */
export function entrySkipReason(entry: Record<string, unknown>, key: string): string | null {
  const name = entry['name'];
  if (name === undefined || name === null || name === '') return 'it has no name';
  if (typeof name !== 'string') return `its name is ${kindOf(name)}, not text`;
  // The key was checked with our rules; a differing inner name (only ever shown in a warning) only has
  // to pass Helm's own: not "." or "..", no "/" (`name == filepath.Base(name)`).
  if (name !== key && (name === '.' || name === '..' || name.includes('/'))) {
    return `its name ${quote(name)} is a path, which Helm refuses`;
  }
  if (readApiVersion(entry['apiVersion']) === undefined) {
    return `its apiVersion ${shown(entry['apiVersion'])} is not a chart API version (v1, v2 or v3)`;
  }
  const type = entry['type'];
  if (type !== undefined && type !== null && type !== '' && type !== 'application' && type !== 'library') {
    return `its type ${shown(type)} is neither "application" nor "library"`;
  }
  // Helm refuses null maintainers and dependencies (CVE-2025-55198 made them a skip, not a panic).
  const maintainers = entry['maintainers'];
  if (Array.isArray(maintainers) && maintainers.some((item) => item === null)) {
    return 'its maintainers list has an empty item';
  }
  const dependencies = entry['dependencies'];
  if (Array.isArray(dependencies)) {
    for (const dependency of dependencies) {
      if (dependency === null) return 'its dependencies list has an empty item';
      const alias = isMapping(dependency) ? dependency['alias'] : undefined;
      if (typeof alias === 'string' && alias !== '' && !DEPENDENCY_ALIAS.test(alias)) {
        return `the dependency alias ${quote(alias)} may only contain letters, digits, "_" and "-"`;
      }
    }
  }
  return null;
}
