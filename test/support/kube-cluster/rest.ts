import { randomBytes } from 'node:crypto';
import { now, type KubeObject, type ManagedFieldsEntry, type ObjectStore } from './object-store.js';
import {
  fieldSet,
  isObject,
  jsonPatch,
  mergePatch,
  removeKey,
  removeUnappliedFields,
  strategicMergePatch,
  type Json,
  type JsonObject,
} from './patch.js';
import { groupVersion, RESOURCE_TYPES, resolveResource, type ResourceType } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { errors, successStatus, type KubeStatus } from './status.js';

/*
 * The REST semantics of one resource type, independent of HTTP: what list, get, create, update, patch
 * and delete do to the store, with the checks and errors of kube-apiserver's generic registry.
 */

export type PatchType = 'apply' | 'merge' | 'strategic' | 'json';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/apply-patch+yaml': 'apply',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
};

export interface WriteOptions {
  /** `fieldManager`: the owner recorded in managedFields. */
  manager: string;
  /** How managedFields records the write: `Apply` for server-side apply. */
  operation?: ManagedFieldsEntry['operation'];
  dryRun: boolean;
}

export interface ListQuery {
  labelSelector?: string | null;
  fieldSelector?: string | null;
  limit?: string | null;
  continue?: string | null;
}

export interface ListResult {
  items: KubeObject[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

const NAMESPACES = resolveResource('namespaces');
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function fieldsOf(type: ResourceType, object: KubeObject): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': object.metadata.name ?? '' };
  if (type.namespaced) fields['metadata.namespace'] = object.metadata.namespace ?? '';
  if (type.kind === 'Secret') fields['type'] = String(object['type'] ?? '');
  if (type.kind === 'Namespace')
    fields['status.phase'] = String((object['status'] as { phase?: string })?.phase ?? '');
  return fields;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

function decodeContinue(raw: string): ContinueToken {
  try {
    const token = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as ContinueToken;
    if (token.v === 'meta.k8s.io/v1' && Number.isInteger(token.rv) && typeof token.start === 'string')
      return token;
  } catch {
    // reported below
  }
  throw errors.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

/** The list form of objects: a real server leaves out each item's apiVersion and kind. */
function listItem(object: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest as KubeObject;
}

export class ResourceApi {
  constructor(private readonly store: ObjectStore) {}

  list(type: ResourceType, namespace: string | undefined, query: ListQuery): ListResult {
    const labels = parseLabelSelector(query.labelSelector);
    const supported = Object.keys(fieldsOf(type, { apiVersion: '', kind: type.kind, metadata: {} }));
    const fields = parseFieldSelector(query.fieldSelector, supported);
    const limit = query.limit ? Number(query.limit) : 0;
    if (!Number.isInteger(limit) || limit < 0) throw errors.badRequest(`invalid limit "${query.limit}"`);
    let atRevision = this.store.resourceVersion;
    let fromKey: string | undefined;
    if (query.continue) {
      const token = decodeContinue(query.continue);
      if (token.rv < this.store.compactedRevision) throw errors.expired();
      atRevision = token.rv;
      fromKey = token.start;
    }
    const matching = this.store
      .list(type, {
        ...(namespace !== undefined ? { namespace } : {}),
        atRevision,
        ...(fromKey !== undefined ? { fromKey } : {}),
        // Only the page is copied (below): cloning every remaining object made paging quadratic.
        clone: false,
      })
      .filter(({ object }) => labels(object.metadata.labels ?? {}) && fields(fieldsOf(type, object)));
    const page = limit > 0 ? matching.slice(0, limit) : matching;
    const metadata: ListResult['metadata'] = { resourceVersion: String(atRevision) };
    if (page.length < matching.length) {
      metadata.continue = encodeContinue({
        v: 'meta.k8s.io/v1',
        rv: atRevision,
        start: `${page.at(-1)!.key}\u0000`,
      });
      // As on a real server: with a selector the count of what remains is unknown and left out.
      if (!query.labelSelector && !query.fieldSelector)
        metadata.remainingItemCount = matching.length - page.length;
    }
    return { items: page.map(({ object }) => listItem(structuredClone(object))), metadata };
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.store.get(type, namespace, name);
    if (!object) throw errors.notFound(type, name);
    return object;
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions): KubeObject {
    const object = this.checkBody(type, namespace, body);
    const meta = object.metadata;
    if (!meta.name && meta.generateName) {
      const suffix = Array.from(randomBytes(5), (b) => GENERATE_ALPHABET[b % GENERATE_ALPHABET.length]).join(
        '',
      );
      meta.name = `${meta.generateName}${suffix}`;
    }
    if (!meta.name)
      throw errors.invalid(type, '', 'metadata.name: Required value: name or generateName is required');
    this.checkName(type, meta.name);
    this.requireNamespace(type, namespace);
    if (this.store.get(type, namespace, meta.name)) throw errors.alreadyExists(type, meta.name);
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'deletionTimestamp'])
      removeKey(meta, field);
    applyDefaults(object);
    recordManager(
      object,
      opts.manager,
      opts.operation ?? 'Update',
      fieldSet(object as unknown as JsonObject),
    );
    return opts.dryRun ? object : this.store.create(type, object);
  }

  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource: string | undefined,
    opts: WriteOptions,
  ): KubeObject {
    const object = this.checkBody(type, namespace, body);
    if (object.metadata.name !== name) {
      throw errors.badRequest(
        `the name of the object (${object.metadata.name ?? ''}) does not match the name on the URL (${name})`,
      );
    }
    const live = this.get(type, namespace, name);
    this.checkResourceVersion(type, live, object.metadata.resourceVersion);
    applyDefaults(object);
    const next = subresource === 'status' ? { ...live, status: object['status'] } : object;
    next.metadata.managedFields = live.metadata.managedFields;
    recordManager(next, opts.manager, 'Update', fieldSet(object as unknown as JsonObject));
    return opts.dryRun ? next : this.store.write(type, next);
  }

  /** A PATCH; `created` is true when a server-side apply made a new object. */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    subresource: string | undefined,
    opts: WriteOptions,
  ): { object: KubeObject; created: boolean } {
    if (patchType === 'apply') return this.apply(type, namespace, name, patch, opts);
    const live = this.get(type, namespace, name);
    const patched =
      patchType === 'merge'
        ? mergePatch(live as unknown as Json, patch as Json)
        : patchType === 'strategic'
          ? strategicMergePatch(live as unknown as Json, patch as Json)
          : jsonPatch(live as unknown as Json, patch as Json);
    if (!isObject(patched) || !isObject(patched['metadata']))
      throw errors.unprocessable("the patch removed the object's metadata");
    const next = patched as unknown as KubeObject;
    this.checkResourceVersion(type, live, next.metadata.resourceVersion);
    if (next.metadata.name !== name)
      throw errors.invalid(type, name, 'metadata.name: Invalid value: a patch may not change the name');
    const result = subresource === 'status' ? { ...live, status: next['status'] } : next;
    applyDefaults(result);
    recordManager(result, opts.manager, 'Update', fieldSet(patch as JsonObject));
    return { object: opts.dryRun ? result : this.store.write(type, result), created: false };
  }

  private apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions,
  ): { object: KubeObject; created: boolean } {
    if (!isObject(body) || typeof body['apiVersion'] !== 'string' || typeof body['kind'] !== 'string') {
      throw errors.badRequest('an apply patch must be an object with apiVersion and kind');
    }
    const applied = this.checkBody(type, namespace, body);
    if ((applied.metadata.name ?? name) !== name) {
      throw errors.badRequest(
        `the name of the object (${applied.metadata.name ?? ''}) does not match the name on the URL (${name})`,
      );
    }
    const live = this.store.get(type, namespace, name);
    if (!live) {
      applied.metadata.name = name;
      return {
        object: this.create(type, namespace, applied, { ...opts, operation: 'Apply' }),
        created: true,
      };
    }
    const appliedFields = fieldSet(applied as unknown as JsonObject);
    const previous = live.metadata.managedFields?.find(
      (e) => e.manager === opts.manager && e.operation === 'Apply',
    );
    const base = structuredClone(live) as unknown as JsonObject;
    if (previous) removeUnappliedFields(base, previous.fieldsV1 as JsonObject, appliedFields);
    const { resourceVersion: _rv, managedFields: _mf, ...appliedMeta } = applied.metadata;
    const merged = strategicMergePatch(base, {
      ...applied,
      metadata: appliedMeta,
    } as unknown as JsonObject) as unknown as KubeObject;
    applyDefaults(merged);
    recordManager(merged, opts.manager, 'Apply', appliedFields);
    return { object: opts.dryRun ? merged : this.store.write(type, merged), created: false };
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: unknown): KubeStatus {
    const live = this.get(type, namespace, name);
    const opts = (isObject(options) ? options : {}) as {
      preconditions?: { uid?: string; resourceVersion?: string };
      dryRun?: string[];
    };
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== live.metadata.uid) {
      throw errors.conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${live.metadata.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion) {
      throw errors.conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${live.metadata.resourceVersion}`,
      );
    }
    if (!opts.dryRun?.length) {
      // A real namespace passes through Terminating while its contents are deleted; here both go at once.
      if (type === NAMESPACES) {
        for (const t of RESOURCE_TYPES.filter((r) => r.namespaced)) {
          for (const { object } of this.store.list(t, { namespace: name }))
            this.store.delete(t, name, object.metadata.name!);
        }
      }
      this.store.delete(type, namespace, name);
    }
    return successStatus(type, name, live.metadata.uid!);
  }

  /** The body as an object of this type in this namespace, or the 400 a real server answers. */
  private checkBody(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (!isObject(body)) throw errors.badRequest('the request body must be a JSON or YAML object');
    const object = structuredClone(body) as unknown as KubeObject;
    const expected = groupVersion(type);
    if (object.apiVersion && object.apiVersion !== expected) {
      throw errors.badRequest(
        `the API version in the data (${object.apiVersion}) does not match the expected API version (${expected})`,
      );
    }
    if (object.kind && object.kind !== type.kind) {
      throw errors.badRequest(
        `the kind in the data (${object.kind}) does not match the expected kind (${type.kind})`,
      );
    }
    object.apiVersion = expected;
    object.kind = type.kind;
    object.metadata = isObject(object.metadata) ? object.metadata : {};
    if (type.namespaced) {
      if (object.metadata.namespace && object.metadata.namespace !== namespace) {
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      object.metadata.namespace = namespace;
    }
    return object;
  }

  private checkName(type: ResourceType, name: string): void {
    const pattern = type === NAMESPACES ? DNS_LABEL : DNS_SUBDOMAIN;
    if (name.length > (type === NAMESPACES ? 63 : 253) || !pattern.test(name)) {
      throw errors.invalid(
        type,
        name,
        `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 ${type === NAMESPACES ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      );
    }
  }

  private requireNamespace(type: ResourceType, namespace: string | undefined): void {
    if (type.namespaced && !this.store.get(NAMESPACES, undefined, namespace!))
      throw errors.notFound(NAMESPACES, namespace!);
  }

  private checkResourceVersion(type: ResourceType, live: KubeObject, wanted: string | undefined): void {
    // An update without a resourceVersion is unconditional, as the built-in types allow.
    if (wanted && wanted !== live.metadata.resourceVersion) throw errors.conflict(type, live.metadata.name!);
  }
}

/** Server-side defaults clients rely on. */
export function applyDefaults(object: KubeObject): void {
  if (object.kind === 'Secret') {
    object['type'] ??= 'Opaque';
    // The server folds stringData into data and never stores it.
    const stringData = object['stringData'] as Record<string, string> | undefined;
    if (stringData) {
      const data = (object['data'] as Record<string, string> | undefined) ?? {};
      for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v).toString('base64');
      object['data'] = data;
      delete object['stringData'];
    }
  }
  if (object.kind === 'Namespace') {
    object['spec'] ??= { finalizers: ['kubernetes'] };
    object['status'] = { phase: 'Active' };
  }
}

function recordManager(
  object: KubeObject,
  manager: string,
  operation: ManagedFieldsEntry['operation'],
  fieldsV1: JsonObject,
): void {
  const entries = (object.metadata.managedFields ?? []).filter(
    (e) => !(e.manager === manager && e.operation === operation),
  );
  entries.push({
    manager,
    operation,
    apiVersion: object.apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1,
  });
  object.metadata.managedFields = entries;
}
