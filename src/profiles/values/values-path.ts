/** One step into a values tree: a mapping key or a list index. */
export type PathSegment = string | number;

/** Longest key shown in a path: a path names where to look, it does not echo the document. */
const MAX_KEY_CHARS = 80;
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * The dotted path users read and every values module shares: `ingress.hosts[0].host`, `` for the
 * root. A key that would be ambiguous after a dot (`nginx.ingress.kubernetes.io/rewrite`, spaces,
 * brackets, an empty key) is written as a JSON string in brackets: `annotations["a.b/c"]`. Keys are
 * cut at 80 characters, the same way everywhere, so paths from the template and the schema still
 * compare equal.
 */
export function formatPath(segments: readonly PathSegment[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else {
      const key = segment.length > MAX_KEY_CHARS ? `${segment.slice(0, MAX_KEY_CHARS)}…` : segment;
      if (PLAIN_KEY.test(segment)) path += path === '' ? key : `.${key}`;
      else path += `[${JSON.stringify(key)}]`;
    }
  }
  return path;
}

/** Sets an own property without `__proto__` reaching the prototype setter. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
