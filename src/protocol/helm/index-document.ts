import { UpstreamError } from '../../shared/errors.js';
import { readBlockYaml, UNSUPPORTED } from './block-yaml.js';
import type { IndexChunk } from './index-chunks.js';
import { loadHelmYaml, SafeYamlError } from './safe-yaml.js';

/**
 * The safe first parse of a Helm repository index (`index.yaml`, or its JSON form): decides whether a
 * document really is a Helm index and hands the entries on. Per-version validation is the caller's.
 */
export interface HelmIndexDocument {
  apiVersion: string;
  /** Chart name → its version entries (mappings only; null items are skipped as Helm does). */
  entries: Map<string, Record<string, unknown>[]>;
  chartCount: number;
  versionCount: number;
  warnings: string[];
}

export interface ParseHelmIndexOptions {
  /** Deepest nesting of mappings and lists accepted; Helm indexes need about 8. */
  maxDepth?: number;
}

export const DEFAULT_INDEX_MAX_DEPTH = 64;
const MAX_WARNINGS = 50;

function notAnIndex(reason: string): UpstreamError {
  return new UpstreamError(
    'not_a_helm_repository',
    `The endpoint did not return a Helm repository index: ${reason}`,
  );
}

const ANCHORS_REFUSED =
  'the document uses YAML anchors or aliases, which Helm never writes; Charthouse refuses them because they can ' +
  'expand into huge documents.';

function depthRefused(maxDepth: number): UpstreamError {
  return notAnIndex(`the document nests deeper than ${maxDepth} levels.`);
}

function parseYaml(text: string, maxDepth: number): unknown {
  // The common block style first (block-yaml.ts); js-yaml takes everything it leaves, errors included.
  // js-yaml counts scalars as a level, hence + 1 for both; the tree walk enforces the exact limit.
  const fast = readBlockYaml(text, maxDepth + 1);
  if (fast !== UNSUPPORTED) return fast;
  try {
    return loadHelmYaml(text, maxDepth + 1);
  } catch (error) {
    if (!(error instanceof SafeYamlError)) throw error;
    const f = error.failure;
    if (f.kind === 'anchors') throw notAnIndex(ANCHORS_REFUSED);
    if (f.kind === 'depth') throw depthRefused(maxDepth);
    throw notAnIndex(`it is not valid YAML or JSON (${f.reason} at line ${f.line}).`);
  }
}

function parseDocument(text: string, maxDepth: number): unknown {
  if (/^[{[]/.test(text)) {
    try {
      return JSON.parse(text); // Helm accepts JSON indexes (3.13+); V8's JSON.parse survives any nesting
    } catch {
      // Not JSON: YAML flow style also starts with "{"; let the YAML parser judge.
    }
  }
  return parseYaml(text, maxDepth);
}

/**
 * Walks the tree without recursion (JSON.parse accepts any nesting) and refuses nesting over maxDepth.
 * No node can be shared (an alias): JSON has none and the YAML listener refuses every anchor, even a
 * self-referencing `&a [*a]`, whose anchored node closes after its alias. Two flat stacks and no
 * visited set keep this walk at about 15 ms for a 20,000-version index.
 */
function checkTreeShape(root: unknown, maxDepth: number): void {
  const nodes: object[] = [];
  const depths: number[] = [];
  if (root !== null && typeof root === 'object') {
    nodes.push(root);
    depths.push(1);
  }
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) throw depthRefused(maxDepth);
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `the text "${String(value).slice(0, 40)}"`;
}

function describeTopLevel(value: unknown): string {
  if (value === null || value === undefined) return 'the document is empty.';
  if (typeof value === 'string') return 'the endpoint returned plain text, not a YAML mapping.';
  return `the top level is ${describe(value)}, not a mapping with apiVersion and entries.`;
}

function collectEntries(entries: Record<string, unknown>, warnings: string[]): HelmIndexDocument['entries'] {
  const result: HelmIndexDocument['entries'] = new Map();
  for (const [name, versions] of Object.entries(entries)) {
    if (!Array.isArray(versions)) {
      warnings.push(
        `Chart "${name}" was skipped: its entry is ${describe(versions)}, not a list of versions.`,
      );
      continue;
    }
    const mappings = versions.filter(isMapping);
    const skipped = versions.length - mappings.length;
    if (skipped > 0) {
      warnings.push(
        `Chart "${name}": ${skipped} version entries were skipped because they are not mappings.`,
      );
    }
    result.set(name, mappings);
  }
  return result;
}

/** The parse warnings of a document, capped as {@link parseHelmIndex} caps them. */
export function capWarnings(warnings: string[]): string[] {
  if (warnings.length <= MAX_WARNINGS) return warnings;
  return [...warnings.slice(0, MAX_WARNINGS), `... and ${warnings.length - MAX_WARNINGS} more warnings.`];
}

/** Parses and shape-checks index bytes; throws UpstreamError('not_a_helm_repository') saying what is wrong. */
export function parseHelmIndex(bytes: Buffer, options: ParseHelmIndexOptions = {}): HelmIndexDocument {
  const maxDepth = options.maxDepth ?? DEFAULT_INDEX_MAX_DEPTH;
  const text = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.length === 0) throw notAnIndex('the body is empty.');
  if (text.startsWith('<')) {
    throw notAnIndex('the endpoint returned HTML (a web page?), not a YAML or JSON document.');
  }
  const root = parseDocument(text, maxDepth);
  checkTreeShape(root, maxDepth);
  if (!isMapping(root)) throw notAnIndex(describeTopLevel(root));
  const apiVersion = root['apiVersion'];
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') {
    throw notAnIndex('no API version specified (the top-level apiVersion field is missing).');
  }
  if (typeof apiVersion !== 'string') throw notAnIndex('the top-level apiVersion is not a string.');
  // Helm loads a missing or null `entries` as an empty repository, and Go's JSON encoder writes an
  // empty map as null (`helm repo index --json` of an empty folder): both are valid, empty indexes.
  const rawEntries = root['entries'] ?? {};
  if (!isMapping(rawEntries)) {
    throw notAnIndex(`the top-level entries field is ${describe(rawEntries)}, not a mapping of chart names.`);
  }
  const warnings: string[] = [];
  const entries = collectEntries(rawEntries, warnings);
  let versionCount = 0;
  for (const versions of entries.values()) versionCount += versions.length;
  return { apiVersion, entries, chartCount: entries.size, versionCount, warnings: capWarnings(warnings) };
}

/**
 * The head of a split index (index-chunks.ts: every line but the charts'): whether it is a Helm index's
 * top level with an empty `entries`. False for anything else, errors included: the caller then parses
 * the whole document, whose own error is the one to report.
 */
export function isIndexHead(head: Buffer, options: ParseHelmIndexOptions = {}): boolean {
  try {
    return parseHelmIndex(head, options).entries.size === 0;
  } catch {
    return false;
  }
}

/** One chart of a split index, parsed alone: its version entries (null when skipped) and parse warnings. */
export interface IndexChart {
  versions: Record<string, unknown>[] | null;
  warnings: string[];
}

/**
 * One chart of a split index (index-chunks.ts), parsed as the one chart of `entries:\n<its lines>` (in
 * JSON `{"entries":{<its member>}}`), a document of the same shape and depth as the whole, so the chart
 * reads as it does there. Null when
 * those lines are not exactly that chart or do not parse (no error: the caller parses the whole
 * document, whose error names the right line).
 */
export function parseIndexChart(
  body: Buffer,
  format: 'yaml' | 'json',
  chunk: IndexChunk,
  options: ParseHelmIndexOptions = {},
): IndexChart | null {
  const maxDepth = options.maxDepth ?? DEFAULT_INDEX_MAX_DEPTH;
  const lines = body.toString('utf8', chunk.start, chunk.end);
  let root: unknown;
  try {
    root =
      format === 'json' ? JSON.parse(`{"entries":{${lines}}}`) : parseYaml(`entries:\n${lines}`, maxDepth);
    checkTreeShape(root, maxDepth);
  } catch {
    return null;
  }
  if (!isMapping(root)) return null;
  const entries = root['entries'];
  if (!isMapping(entries)) return null;
  const keys = Object.keys(entries);
  if (keys.length !== 1 || keys[0] !== chunk.name || Object.keys(root).length !== 1) return null;
  const warnings: string[] = [];
  const versions = collectEntries(entries, warnings).get(chunk.name) ?? null;
  return { versions, warnings };
}
