import { groupVersion, RESOURCE_TYPES, servedGroupVersions, VERBS, type ResourceType } from './resources.js';

/*
 * Discovery in its legacy (unaggregated) form: /api, /apis, /api/v1, /apis/{group}/{version}. Helm and
 * kubectl ask for aggregated discovery (apidiscovery.k8s.io/v2) first, with application/json as the
 * fallback in the same Accept header; answering plain JSON makes them read the per-group documents,
 * a few more requests but one format less to keep right.
 */

/** The Kubernetes version the cluster claims: within one minor of both kubectl 1.32 and 1.33. */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string, version: string): object {
  const gv = { groupVersion: `${group}/${version}`, version };
  return { name: group, versions: [gv], preferredVersion: gv };
}

export function apiGroupList(): object {
  const groups = servedGroupVersions()
    .filter((gv) => gv.group !== '')
    .map((gv) => groupEntry(gv.group, gv.version));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(group: string): object | undefined {
  const gv = servedGroupVersions().find((g) => g.group === group && group !== '');
  return gv ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(gv.group, gv.version) } : undefined;
}

function resourceEntry(type: ResourceType): object {
  return {
    name: type.plural,
    singularName: type.kind.toLowerCase(),
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: [...VERBS],
    ...(type.shortNames ? { shortNames: type.shortNames } : {}),
  };
}

export function apiResourceList(group: string, version: string): object | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(types[0]!),
    resources: types.map(resourceEntry),
  };
}
