import { YAMLException, load } from 'js-yaml';
import type { LoadOptions } from 'js-yaml';
import { VALUES_SCHEMA } from '../../protocol/helm/safe-yaml.js';
import { checkValuesDocument, MAX_VALUES_DEPTH } from './layer-values.js';
import type { ValuesParse } from './layer-values.js';
import { isMapping, setOwn } from './values-path.js';

/** A chart's own values.yaml: bigger than a layer's may be (kube-prometheus-stack's is ~200 KiB). */
export const MAX_CHART_VALUES_BYTES = 4 * 1024 * 1024;
/** Nodes a chart's values may expand to once aliases are followed: an alias bomb stops here. */
export const MAX_EXPANDED_NODES = 1_000_000;

class TooLarge extends Error {}

/**
 * A chart's own values.yaml (its defaults), typed as a layer's values are. Unlike a layer's values,
 * anchors and aliases are allowed: the chart's author wrote them, Helm expands them, and real charts
 * use them (alertmanager's `port: *containerPortName`), so refusing them would drop a chart's
 * defaults. An alias bomb is still refused: js-yaml shares an aliased node instead of copying it, so
 * the nodes the document expands to are counted per distinct node (linear time) before anything walks
 * the tree, at most {@link MAX_EXPANDED_NODES} and {@link MAX_VALUES_DEPTH} deep once expanded; the
 * result is then copied into a plain tree, so no two paths share an object a caller might change.
 */
export function parseChartValuesYaml(text: string): ValuesParse {
  if (text.length > MAX_CHART_VALUES_BYTES || Buffer.byteLength(text, 'utf8') > MAX_CHART_VALUES_BYTES) {
    return refuse(`the chart's values.yaml is larger than ${MAX_CHART_VALUES_BYTES / (1024 * 1024)} MiB`);
  }
  let document: unknown;
  try {
    document = load(text, { schema: VALUES_SCHEMA, json: false, maxDepth: MAX_VALUES_DEPTH } as LoadOptions);
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    if (error.reason.includes('maxDepth'))
      return refuse(`values nest deeper than ${MAX_VALUES_DEPTH} levels`);
    // The reason and line only: the snippet would echo the document.
    return refuse(`values are not valid YAML: line ${error.mark.line + 1}: ${error.reason}`);
  }
  try {
    expanded(document, new Map(), 0);
  } catch (error) {
    if (error instanceof TooLarge) return refuse(error.message);
    throw error;
  }
  return checkValuesDocument(copyTree(document));
}

function refuse(message: string): ValuesParse {
  return { ok: false, problems: [{ path: '', message }] };
}

interface Extent {
  nodes: number;
  height: number;
}

/**
 * Nodes and height of the tree as if every alias were copied, each distinct node measured once (an
 * aliased subtree may sit deeper than where it was written, so height is checked at each use).
 */
function expanded(node: unknown, seen: Map<object, Extent>, depth: number): Extent {
  if (typeof node !== 'object' || node === null) return { nodes: 1, height: 1 };
  let extent = seen.get(node);
  if (!extent) {
    extent = { nodes: 1, height: 1 };
    for (const child of Object.values(node)) {
      const inner = expanded(child, seen, depth + 1);
      extent.nodes += inner.nodes;
      extent.height = Math.max(extent.height, inner.height + 1);
      if (extent.nodes > MAX_EXPANDED_NODES) {
        throw new TooLarge(
          `the chart's values.yaml expands to more than ${MAX_EXPANDED_NODES} values through its aliases`,
        );
      }
    }
    seen.set(node, extent);
  }
  if (depth + extent.height > MAX_VALUES_DEPTH)
    throw new TooLarge(`values nest deeper than ${MAX_VALUES_DEPTH} levels`);
  return extent;
}

function copyTree(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(copyTree);
  if (!isMapping(node)) return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) setOwn(copy, key, copyTree(value));
  return copy;
}
