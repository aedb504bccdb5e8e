import { createHash } from 'node:crypto';
import { RESOURCE_TYPES, servedGroupVersions, type ResourceType } from './resources.js';

/*
 * OpenAPI v3, only as much as clients read. Helm 4 and kubectl fetch /openapi/v3, then the document of
 * each group-version they write to, and look for a PATCH operation tagged with the kind's
 * `x-kubernetes-group-version-kind` that takes a `fieldValidation` query parameter
 * (cli-runtime's QueryParamVerifierV3). Finding it, they leave validation to the server and send
 * `fieldValidation=Strict`; not finding it, they validate client-side against schemas we do not
 * serve. A 404 for a document fails `helm install` ("failed to download openapi"). So the documents
 * list every path and operation, with no component schemas.
 */

function operation(type: ResourceType, action: string, query: string[]): object {
  return {
    operationId: `${action}${type.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
    parameters: query.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } })),
    responses: { '200': { description: 'OK' } },
  };
}

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

function pathsOf(type: ResourceType): Record<string, object> {
  const prefix = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const collection = type.namespaced
    ? `${prefix}/namespaces/{namespace}/${type.plural}`
    : `${prefix}/${type.plural}`;
  const listParams = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion'];
  const paths: Record<string, object> = {
    [collection]: { get: operation(type, 'list', listParams), post: operation(type, 'post', WRITE_PARAMS) },
    [`${collection}/{name}`]: {
      get: operation(type, 'get', []),
      put: operation(type, 'put', WRITE_PARAMS),
      patch: operation(type, 'patch', [...WRITE_PARAMS, 'force']),
      delete: operation(type, 'delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy']),
    },
  };
  if (type.namespaced) paths[`${prefix}/${type.plural}`] = { get: operation(type, 'list', listParams) };
  return paths;
}

function documentOf(group: string, version: string): object {
  const paths: Record<string, object> = {};
  for (const type of RESOURCE_TYPES.filter((t) => t.group === group && t.version === version)) {
    Object.assign(paths, pathsOf(type));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}

/** `api/v1`, `apis/apps/v1`: the keys of the /openapi/v3 index. */
function indexKey(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The /openapi/v3 index and the documents it points to, keyed by path below /openapi/v3/. */
export function openApiV3(): { index: object; documents: Map<string, object> } {
  const documents = new Map<string, object>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of servedGroupVersions()) {
    const key = indexKey(group, version);
    const document = documentOf(group, version);
    const hash = createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
    documents.set(key, document);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { index: { paths }, documents };
}
