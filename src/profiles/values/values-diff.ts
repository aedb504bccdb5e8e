import { formatPath, isMapping } from './values-path.js';
import type { PathSegment } from './values-path.js';

export interface ValuesChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

/**
 * What changed from values `a` to values `b`, for the profile diff. Mappings are compared key by key;
 * a key only in `b` is one `added` change carrying its whole value (a new subtree is not exploded
 * into leaves), only in `a` one `removed`. Lists of the same length are compared item by item (a
 * changed host shows as `ingress.hosts[0].host`); lists of different lengths are one `changed` of the
 * whole list, since an insertion would otherwise show as a change of every later item. A key holding
 * null is not an absent key. Order is deterministic: keys in code-unit order at each level, list
 * items by index, a parent's changes before its children's. Values are returned as given: the caller
 * passes unrendered values, so no sensitive variable value is in them.
 */
export function diffValues(a: Record<string, unknown>, b: Record<string, unknown>): ValuesChange[] {
  const changes: ValuesChange[] = [];
  diffMappings(a, b, [], changes);
  return changes;
}

function diffMappings(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  at: PathSegment[],
  changes: ValuesChange[],
): void {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) =>
    x < y ? -1 : x > y ? 1 : 0,
  );
  for (const key of keys) {
    const inA = Object.hasOwn(a, key);
    const inB = Object.hasOwn(b, key);
    const path = [...at, key];
    if (!inB) changes.push({ path: formatPath(path), kind: 'removed', from: a[key] });
    else if (!inA) changes.push({ path: formatPath(path), kind: 'added', to: b[key] });
    else diffNodes(a[key], b[key], path, changes);
  }
}

function diffNodes(a: unknown, b: unknown, at: PathSegment[], changes: ValuesChange[]): void {
  if (isMapping(a) && isMapping(b)) diffMappings(a, b, at, changes);
  else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, index) => diffNodes(item, b[index], [...at, index], changes));
  } else if (!sameValue(a, b)) changes.push({ path: formatPath(at), kind: 'changed', from: a, to: b });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => sameValue(item, b[index]));
  }
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key]))
    );
  }
  return false;
}
