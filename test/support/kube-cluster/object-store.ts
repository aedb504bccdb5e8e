import { randomUUID } from 'node:crypto';
import { groupVersion, qualifiedName, type ResourceType } from './resources.js';
import { errors } from './status.js';

/*
 * The cluster's "etcd": every object of every type, with a global resourceVersion counter and the
 * history of each key since the last compaction. The history is what lets a paginated list continue
 * at the revision its first page was read at (as etcd does), and what `compact()` drops, so an old
 * continue token then answers 410 Expired.
 */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

interface Revision {
  rv: number;
  object: KubeObject | null;
}

export interface StoredItem {
  key: string;
  object: KubeObject;
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function itemKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Fields besides metadata and status: a change there bumps `metadata.generation`. */
function specOf(object: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return JSON.stringify(rest);
}

export class ObjectStore {
  private revision = 0;
  private compacted = 0;
  private readonly byType = new Map<string, Map<string, Revision[]>>();

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest revision a list may still be read at; older continue tokens are 410 Expired. */
  get compactedRevision(): number {
    return this.compacted;
  }

  private keys(type: ResourceType): Map<string, Revision[]> {
    const id = qualifiedName(type);
    let keys = this.byType.get(id);
    if (!keys) this.byType.set(id, (keys = new Map()));
    return keys;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.keys(type).get(itemKey(namespace, name))?.at(-1)?.object;
    return object ? structuredClone(object) : undefined;
  }

  /** The live objects of a type, sorted by namespace then name, as the store was at `atRevision`. */
  list(
    type: ResourceType,
    /** `clone: false` hands out the stored objects themselves, for a caller that copies what it keeps. */
    opts: { namespace?: string; atRevision?: number; fromKey?: string; clone?: boolean } = {},
  ): StoredItem[] {
    const at = opts.atRevision ?? this.revision;
    const items: StoredItem[] = [];
    for (const [key, revisions] of this.keys(type)) {
      if (opts.namespace !== undefined && !key.startsWith(`${opts.namespace}/`)) continue;
      if (opts.fromKey !== undefined && key < opts.fromKey) continue;
      const object = revisions.findLast((r) => r.rv <= at)?.object;
      if (object) items.push({ key, object: opts.clone === false ? object : structuredClone(object) });
    }
    return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Stores `object` under its namespace and name, as a create when absent and an update otherwise,
   * filling what the server owns: uid, creationTimestamp and generation are kept from the stored
   * object, resourceVersion is the next revision. Callers check preconditions first.
   */
  write(type: ResourceType, object: KubeObject): KubeObject {
    const name = object.metadata.name!;
    const namespace = type.namespaced ? object.metadata.namespace : undefined;
    const revisions = this.keys(type).get(itemKey(namespace, name)) ?? [];
    const previous = revisions.at(-1)?.object ?? null;
    const stored: KubeObject = structuredClone(object);
    stored.apiVersion = groupVersion(type);
    stored.kind = type.kind;
    const meta = stored.metadata;
    if (type.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    meta.uid = previous?.metadata.uid ?? meta.uid ?? randomUUID();
    meta.creationTimestamp = previous?.metadata.creationTimestamp ?? meta.creationTimestamp ?? now();
    // Only objects with a spec carry a generation (a Secret or a Namespace has none).
    if ('spec' in stored && type.kind !== 'Namespace') {
      const generation = previous?.metadata.generation ?? 0;
      meta.generation = previous && specOf(previous) === specOf(stored) ? generation : generation + 1;
    } else delete meta.generation;
    meta.resourceVersion = String(++this.revision);
    revisions.push({ rv: this.revision, object: stored });
    this.keys(type).set(itemKey(namespace, name), revisions);
    return structuredClone(stored);
  }

  create(type: ResourceType, object: KubeObject): KubeObject {
    if (this.get(type, object.metadata.namespace, object.metadata.name!)) {
      throw errors.alreadyExists(type, object.metadata.name!);
    }
    return this.write(type, object);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const revisions = this.keys(type).get(itemKey(type.namespaced ? namespace : undefined, name));
    const object = revisions?.at(-1)?.object;
    if (!revisions || !object) return undefined;
    revisions.push({ rv: ++this.revision, object: null });
    return structuredClone(object);
  }

  /**
   * Forgets all history, as etcd compaction does. The revision moves on too, so every list read so
   * far (and so every continue token handed out) is older than the compaction.
   */
  compact(): void {
    this.compacted = ++this.revision;
    for (const keys of this.byType.values()) {
      for (const [key, revisions] of keys) {
        const last = revisions.at(-1)!;
        if (last.object) keys.set(key, [last]);
        else keys.delete(key);
      }
    }
  }
}
