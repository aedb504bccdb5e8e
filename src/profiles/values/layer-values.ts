import { loadValuesYaml, SafeYamlError } from '../../protocol/helm/safe-yaml.js';
import { formatPath, isMapping } from './values-path.js';
import type { PathSegment } from './values-path.js';

/** A layer's values text, in UTF-8 bytes. */
export const MAX_VALUES_BYTES = 1024 * 1024;
/** Nesting allowed in values; js-yaml counts the scalar at the bottom as a level. */
export const MAX_VALUES_DEPTH = 64;

/** What is wrong and where: `path` is a {@link formatPath} path, `` for the whole document. */
export interface ValuesProblem {
  path: string;
  message: string;
}

export type ValuesParse =
  { ok: true; values: Record<string, unknown> } | { ok: false; problems: ValuesProblem[] };

/**
 * Parses a layer's values text ('' or whitespace/comments only = {}): a YAML mapping typed as Helm
 * types it (`loadValuesYaml`: numbers, booleans, null; `yes` is true, `0644` is 420), no anchors or
 * aliases, depth <= {@link MAX_VALUES_DEPTH}, size <= {@link MAX_VALUES_BYTES}. Keys are strings as
 * Helm makes them (`1:` is "1", `on:` is "true", as sigs.k8s.io/yaml does); `.inf` and `.nan` are
 * refused, since values travel as JSON and JSON has neither. Variable references are resolved first by
 * values-template.ts, see there; this function sees them as plain text. Messages never quote the text.
 * `sizeOf` is the text whose size counts, when `text` is a rewriting of what the user wrote (the
 * template's sentinels are not the user's bytes).
 */
export function parseValuesText(text: string, sizeOf: string = text): ValuesParse {
  const tooBig = sizeProblem(sizeOf);
  if (tooBig) return { ok: false, problems: [tooBig] };
  let document: unknown;
  try {
    document = loadValuesYaml(text, MAX_VALUES_DEPTH);
  } catch (error) {
    if (!(error instanceof SafeYamlError)) throw error;
    return { ok: false, problems: [{ path: '', message: yamlFailureMessage(error) }] };
  }
  return checkValuesDocument(document);
}

/**
 * What every values document must be once loaded: a mapping (nothing counts as {}), without what JSON
 * cannot carry. Shared with the chart's own values.yaml (chart-values.ts).
 */
export function checkValuesDocument(document: unknown): ValuesParse {
  // js-yaml gives undefined for an empty stream and null for `~` or comments only.
  if (document === undefined || document === null) return { ok: true, values: {} };
  if (!isMapping(document)) {
    const got = Array.isArray(document) ? 'a list' : `a single ${typeof document} value`;
    return {
      ok: false,
      problems: [
        { path: '', message: `values must be a YAML mapping of keys to values (key: value), not ${got}` },
      ],
    };
  }
  const problems: ValuesProblem[] = [];
  findNonJsonValues(document, [], problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values: document };
}

function sizeProblem(text: string): ValuesProblem | undefined {
  // A UTF-16 unit is never more than its UTF-8 bytes, so a text longer than the limit in units is too
  // big without counting bytes (a 10 MiB paste is refused without a pass over it).
  if (text.length <= MAX_VALUES_BYTES / 3) return undefined;
  if (text.length > MAX_VALUES_BYTES) {
    return {
      path: '',
      message: `values are larger than 1 MiB: at most ${MAX_VALUES_BYTES} bytes are allowed`,
    };
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_VALUES_BYTES) return undefined;
  return {
    path: '',
    message: `values are ${bytes} bytes: at most ${MAX_VALUES_BYTES} bytes (1 MiB) are allowed`,
  };
}

function yamlFailureMessage(error: SafeYamlError): string {
  const failure = error.failure;
  switch (failure.kind) {
    case 'anchors':
      return 'values may not use YAML anchors or aliases (&name, *name): write each value out in full';
    case 'depth':
      return `values nest deeper than ${MAX_VALUES_DEPTH} levels`;
    case 'syntax':
      return `values are not valid YAML: line ${failure.line}: ${failure.reason}`;
  }
}

/**
 * What JSON cannot carry: infinities and NaN, and mapping keys that are mappings (js-yaml names them
 * "[object Object]"; Helm refuses them). A list as a key (`? [a, b]`, which js-yaml joins into "a,b")
 * cannot be told from text after parsing and is let through: nobody writes one in values.
 */
function findNonJsonValues(node: unknown, at: PathSegment[], problems: ValuesProblem[]): void {
  if (typeof node === 'number' && !Number.isFinite(node)) {
    problems.push({
      path: formatPath(at),
      message: 'infinity and NaN (.inf, .nan) are not JSON numbers: quote the value if it is text',
    });
  } else if (Array.isArray(node)) {
    node.forEach((item, index) => findNonJsonValues(item, [...at, index], problems));
  } else if (isMapping(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '[object Object]') {
        problems.push({
          path: formatPath(at),
          message: 'a mapping key is itself a mapping: keys must be text',
        });
      } else findNonJsonValues(value, [...at, key], problems);
    }
  }
}
