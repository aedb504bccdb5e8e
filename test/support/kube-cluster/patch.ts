import { errors } from './status.js';

/*
 * The four PATCH flavours, approximated where the real server needs the Go types' schema:
 *
 * - merge-patch+json: RFC 7386, exact.
 * - json-patch+json: RFC 6902, exact (add, remove, replace, move, copy, test).
 * - strategic-merge-patch+json: maps merge, `null` deletes, and lists merge by the key the Go types
 *   declare (`patchMergeKey`). We know the keys by *field name* (MERGE_KEYS) instead of by type, which
 *   is right for the workload, Service and ConfigMap fields Helm and kubectl patch; any other list is
 *   replaced. Directives `$patch` (replace, delete, merge), `$setElementOrder/`, `$deleteFromPrimitiveList/`
 *   and `$retainKeys` are honoured.
 * - apply-patch+yaml (server-side apply): the applied configuration is merged as a strategic patch,
 *   and fields this manager applied last time but no longer applies are removed; ownership is
 *   recorded in `metadata.managedFields` (FieldsV1). Conflicts between managers are never reported
 *   (as if every apply were `force=true`).
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** `delete object[key]` for a key known only at run time (a JSON field name). */
export function removeKey(object: object, key: string): void {
  Reflect.deleteProperty(object, key);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) removeKey(result, key);
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** `patchMergeKey`s of the Kubernetes types, by list field name; the first key an element has wins. */
const MERGE_KEYS: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  // Container ports merge on containerPort, Service ports on port.
  ports: ['containerPort', 'port'],
  imagePullSecrets: ['name'],
  hostAliases: ['ip'],
  conditions: ['type'],
  ownerReferences: ['uid'],
  subjects: ['name'],
};

/** Primitive lists with `patchStrategy: merge`: a patch adds to them instead of replacing them. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, elements: Json[]): string | undefined {
  const candidates = MERGE_KEYS[field] ?? [];
  return candidates.find((key) => elements.some((el) => isObject(el) && key in el));
}

function sameKey(a: Json, b: Json, key: string): boolean {
  return isObject(a) && isObject(b) && JSON.stringify(a[key]) === JSON.stringify(b[key]);
}

function mergeList(field: string, original: Json | undefined, patch: Json[]): Json[] {
  if (patch.some((el) => isObject(el) && el['$patch'] === 'replace')) {
    return patch.filter((el) => !(isObject(el) && el['$patch'] === 'replace')).map(stripDirectives);
  }
  const current = Array.isArray(original) ? structuredClone(original) : [];
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((el) => !isObject(el))) {
    return [...current, ...patch.filter((el) => !current.includes(el))];
  }
  const key = mergeKeyFor(field, [...current, ...patch]);
  if (!key) return patch.map(stripDirectives);
  for (const el of patch) {
    const at = current.findIndex((existing) => sameKey(existing, el, key));
    if (isObject(el) && el['$patch'] === 'delete') {
      if (at >= 0) current.splice(at, 1);
    } else if (at >= 0) current[at] = strategicMergePatch(current[at], el) ?? null;
    else current.push(stripDirectives(el));
  }
  return current;
}

function stripDirectives(value: Json): Json {
  return isObject(value) ? (strategicMergePatch({}, value) ?? null) : value;
}

/** Orders a merged list as `$setElementOrder/field` says; elements it does not name keep their place at the end. */
function applyElementOrder(field: string, list: Json[], order: Json[]): Json[] {
  const key = mergeKeyFor(field, order);
  const position = (el: Json) =>
    order.findIndex((o) => (key ? sameKey(o, el, key) : JSON.stringify(o) === JSON.stringify(el)));
  const ranked = list.map((el, index) => ({ el, rank: position(el), index }));
  ranked.sort((a, b) => (a.rank < 0 ? 1e9 : a.rank) - (b.rank < 0 ? 1e9 : b.rank) || a.index - b.index);
  return ranked.map((r) => r.el);
}

/** A strategic merge patch (see the file comment); `undefined` when the patch deletes the whole map. */
export function strategicMergePatch(original: Json | undefined, patch: Json): Json | undefined {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch['$patch'] === 'delete') return undefined;
  const replace = patch['$patch'] === 'replace';
  const result: JsonObject = isObject(original) && !replace ? structuredClone(original) : {};
  const orders: [string, Json[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/')) {
      if (Array.isArray(value)) orders.push([key.slice('$setElementOrder/'.length), value]);
    } else if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = result[field];
      if (Array.isArray(list) && Array.isArray(value)) result[field] = list.filter((v) => !value.includes(v));
    } else if (value === null) removeKey(result, key);
    else if (Array.isArray(value)) result[key] = mergeList(key, result[key], value);
    else if (isObject(value)) {
      const merged = strategicMergePatch(result[key], value);
      if (merged === undefined) removeKey(result, key);
      else result[key] = merged;
    } else result[key] = value;
  }
  for (const [field, order] of orders) {
    const list = result[field];
    if (Array.isArray(list)) result[field] = applyElementOrder(field, list, order);
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) removeKey(result, key);
  }
  return result;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw errors.unprocessable(`invalid JSON pointer "${pointer}" in the json patch`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function parentOf(doc: Json, pointer: string): { parent: JsonObject | Json[]; token: string } {
  const tokens = decodePointer(pointer);
  const token = tokens.pop();
  if (token === undefined) throw errors.unprocessable('a json patch may not replace the whole object');
  let node: Json = doc;
  for (const t of tokens) {
    const next: Json | undefined = Array.isArray(node)
      ? node[Number(t)]
      : isObject(node)
        ? node[t]
        : undefined;
    if (next === undefined) throw errors.unprocessable(`json patch path "${pointer}" does not exist`);
    node = next;
  }
  if (!Array.isArray(node) && !isObject(node))
    throw errors.unprocessable(`json patch path "${pointer}" does not exist`);
  return { parent: node, token };
}

function getAt(doc: Json, pointer: string): Json {
  const { parent, token } = parentOf(doc, pointer);
  const value = Array.isArray(parent) ? parent[Number(token)] : parent[token];
  if (value === undefined) throw errors.unprocessable(`json patch path "${pointer}" does not exist`);
  return value;
}

function removeAt(doc: Json, pointer: string): Json {
  const value = getAt(doc, pointer);
  const { parent, token } = parentOf(doc, pointer);
  if (Array.isArray(parent)) parent.splice(Number(token), 1);
  else removeKey(parent, token);
  return value;
}

function addAt(doc: Json, pointer: string, value: Json, replace = false): void {
  const { parent, token } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    const index = token === '-' ? parent.length : Number(token);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw errors.unprocessable(`json patch index "${token}" is out of range at "${pointer}"`);
    }
    parent.splice(index, replace ? 1 : 0, structuredClone(value));
  } else parent[token] = structuredClone(value);
}

/** RFC 6902 JSON patch. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw errors.badRequest('a json patch must be a JSON array of operations');
  const doc = structuredClone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op['path'] !== 'string')
      throw errors.unprocessable('json patch operation without a "path"');
    const path = op['path'];
    const from = typeof op['from'] === 'string' ? op['from'] : '';
    switch (op['op']) {
      case 'add':
        addAt(doc, path, op['value'] ?? null);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'replace':
        getAt(doc, path);
        addAt(doc, path, op['value'] ?? null, true);
        break;
      case 'move':
        addAt(doc, path, removeAt(doc, from));
        break;
      case 'copy':
        addAt(doc, path, getAt(doc, from));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op['value'])) {
          throw errors.unprocessable(`json patch test operation failed at "${path}"`);
        }
        break;
      default:
        throw errors.unprocessable(`unknown json patch operation "${String(op['op'])}"`);
    }
  }
  return doc;
}

/**
 * The FieldsV1 tree of the fields `value` sets (`f:name` for a field, `k:{"name":"web"}` for a
 * list element with a merge key, `.` for "this map itself"); lists without a merge key are atomic.
 */
export function fieldSet(value: JsonObject, parentField = ''): JsonObject {
  const tree: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (parentField === '' && (key === 'apiVersion' || key === 'kind' || key === 'status')) continue;
    if (
      parentField === 'metadata' &&
      !['labels', 'annotations', 'ownerReferences', 'finalizers'].includes(key)
    )
      continue;
    tree[`f:${key}`] = fieldsOfValue(key, child);
  }
  return tree;
}

function fieldsOfValue(field: string, value: Json): JsonObject {
  if (isObject(value)) return Object.keys(value).length ? { '.': {}, ...fieldSet(value, field) } : {};
  if (Array.isArray(value)) {
    const key = mergeKeyFor(field, value);
    if (!key) return {};
    const tree: JsonObject = { '.': {} };
    for (const el of value) {
      if (isObject(el))
        tree[`k:${JSON.stringify({ [key]: el[key] ?? null })}`] = { '.': {}, ...fieldSet(el, field) };
    }
    return tree;
  }
  return {};
}

/** Removes from `live` the fields in `previous` (a manager's last applied set) that `next` no longer has. */
export function removeUnappliedFields(live: Json, previous: JsonObject, next: JsonObject): void {
  for (const [key, subtree] of Object.entries(previous)) {
    if (key === '.') continue;
    const stillApplied = next[key];
    if (key.startsWith('f:') && isObject(live)) {
      const field = key.slice(2);
      if (stillApplied === undefined) removeKey(live, field);
      else if (isObject(subtree) && live[field] !== undefined) {
        removeUnappliedFields(live[field]!, subtree, isObject(stillApplied) ? stillApplied : {});
      }
    } else if (key.startsWith('k:') && Array.isArray(live)) {
      const match = JSON.parse(key.slice(2)) as JsonObject;
      const at = live.findIndex(
        (el) =>
          isObject(el) &&
          Object.entries(match).every(([k, v]) => JSON.stringify(el[k]) === JSON.stringify(v)),
      );
      if (at < 0) continue;
      if (stillApplied === undefined) live.splice(at, 1);
      else if (isObject(subtree))
        removeUnappliedFields(live[at]!, subtree, isObject(stillApplied) ? stillApplied : {});
    }
  }
}
