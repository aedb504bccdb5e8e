import type { Draft } from './schema-drafts.js';

/*
 * A chart's schema may `$ref` a URI outside itself (kubernetes-json-schema on GitHub is the usual one).
 * Helm fetches those; Charthouse never does: a registry manager that fetched URIs named in untrusted
 * chart files would be an SSRF tool. Ajv v8 dropped `missingRefs: "ignore"`, so before compiling, each
 * `$ref` that does not resolve inside the schema (by JSON pointer, anchor, or an `$id` the schema itself
 * declares) is removed, which makes it accept anything (as the `true` schema would), and reported.
 *
 * The walk follows the keywords where subschemas live, as Ajv does (json-schema-traverse's list):
 * a `$ref` inside an unknown keyword or inside `enum`/`const`/`default`/`examples` data is never
 * compiled by Ajv either, and a property named "$ref" under `properties` is a name, not a reference.
 */
const SCHEMA_VALUE = new Set([
  'additionalItems',
  'additionalProperties',
  'contains',
  'contentSchema',
  'else',
  'if',
  'items',
  'not',
  'propertyNames',
  'then',
  'unevaluatedItems',
  'unevaluatedProperties',
]);
const SCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items']);
const SCHEMA_MAP = new Set([
  '$defs',
  'definitions',
  'dependencies',
  'dependentSchemas',
  'patternProperties',
  'properties',
]);

type Visit = (schema: Record<string, unknown>, base: string) => void;

/** Calls `visit` on every subschema Ajv would compile, the root included, parents first. */
export function forEachSubschema(
  schema: Record<string, unknown>,
  draft: Draft,
  visit: (schema: Record<string, unknown>) => void,
): void {
  walk(schema, '', draft === '04' ? 'id' : '$id', visit);
}

function walk(node: unknown, base: string, idKey: string, visit: Visit): void {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
  const schema = node as Record<string, unknown>;
  const id = schema[idKey];
  // A `$id` that is only a fragment ("#foo", draft 6/7's anchors) does not change the base.
  if (typeof id === 'string' && !id.startsWith('#')) base = resolveUri(base, id);
  visit(schema, base);
  for (const [keyword, value] of Object.entries(schema)) {
    if (SCHEMA_LIST.has(keyword) && Array.isArray(value)) {
      for (const item of value) walk(item, base, idKey, visit);
    } else if (SCHEMA_VALUE.has(keyword)) {
      walk(value, base, idKey, visit);
    } else if (SCHEMA_MAP.has(keyword) && typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) walk(item, base, idKey, visit);
    }
  }
}

/** `ref` against `base`; a relative ref against no base stays as written (Ajv does the same). */
function resolveUri(base: string, ref: string): string {
  try {
    return new URL(ref, base || undefined).href;
  } catch {
    // Not a URL against this base (no base, or a relative `$id`): compared as written.
    return ref;
  }
}

function withoutFragment(uri: string): string {
  const hash = uri.indexOf('#');
  return hash === -1 ? uri : uri.slice(0, hash);
}

/**
 * Removes, in place, every `$ref` that points outside the schema, and returns those refs as written
 * (first-seen order, each once). `$dynamicRef`/`$recursiveRef` are left: they only resolve inside.
 */
export function removeRemoteRefs(schema: Record<string, unknown>, draft: Draft): string[] {
  const idKey = draft === '04' ? 'id' : '$id';
  const documents = new Set<string>(['']);
  walk(schema, '', idKey, (_node, base) => documents.add(withoutFragment(base)));
  const remote: string[] = [];
  walk(schema, '', idKey, (node, base) => {
    const ref = node.$ref;
    if (typeof ref !== 'string') return;
    if (ref.startsWith('#') || documents.has(withoutFragment(resolveUri(base, ref)))) return;
    delete node.$ref;
    if (!remote.includes(ref)) remote.push(ref);
  });
  return remote;
}
