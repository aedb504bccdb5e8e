import type {
  AgentHeartbeatBody,
  AgentHeartbeatReply,
  AgentPlan,
  AgentReportAccepted,
  AgentReportBody,
} from '../clusters/agent.schema.js';
import type {
  AgentTokenIssued,
  ClusterCreateBody,
  ClusterCreated,
  ClusterList,
  ClusterPatchBody,
  ClusterView,
} from '../clusters/cluster.schema.js';
import type {
  AgentReleasesBody,
  AgentReleasesReply,
  DiscoverBody,
  DiscoverReply,
  DiscoveryRunList,
  ProfileFromClusterBody,
  ProfileFromClusterReply,
  ReleaseList,
  SyncReleasesReply,
} from '../discovery/discovery.schema.js';
import type { Collect, ListOptions, Transport } from './transport.js';

const seg = (s: string): string => encodeURIComponent(s);
const clustersPath = (tenant: string): string => `/api/v1/tenants/${seg(tenant)}/clusters`;

/** Clusters of a tenant (SPEC §2): the agent token is shown once, on create and on rotation. */
export function clusterApi(t: Transport, collect: Collect) {
  const api = {
    list: (tenant: string, options: ListOptions = {}): Promise<ClusterList> =>
      t.call('GET', clustersPath(tenant), { query: { ...options } }),
    listAll: (tenant: string): Promise<ClusterView[]> => collect((cursor) => api.list(tenant, { cursor })),
    get: (tenant: string, name: string): Promise<ClusterView> =>
      t.call('GET', `${clustersPath(tenant)}/${seg(name)}`),
    create: (tenant: string, body: ClusterCreateBody): Promise<ClusterCreated> =>
      t.call('POST', clustersPath(tenant), { body }),
    update: (tenant: string, name: string, patch: ClusterPatchBody): Promise<ClusterView> =>
      t.call('PATCH', `${clustersPath(tenant)}/${seg(name)}`, { body: patch }),
    remove: (tenant: string, name: string): Promise<void> =>
      t.call('DELETE', `${clustersPath(tenant)}/${seg(name)}`),
    /** A new agent token; the old one stops working at once. */
    rotateToken: (tenant: string, name: string): Promise<AgentTokenIssued> =>
      t.call('POST', `${clustersPath(tenant)}/${seg(name)}/agent-token`),
    /** Discover the cluster's Helm releases now (an agent cluster's agent does it at its next heartbeat). */
    discover: (tenant: string, name: string, body: DiscoverBody = {}): Promise<DiscoverReply> =>
      t.call('POST', `${clustersPath(tenant)}/${seg(name)}/discover`, { body }),
    /** Discovery runs, newest first. */
    discoveries: (tenant: string, name: string, options: ListOptions = {}): Promise<DiscoveryRunList> =>
      t.call('GET', `${clustersPath(tenant)}/${seg(name)}/discoveries`, { query: { ...options } }),
    /** The releases of the newest finished discovery, with the catalog versions they match. */
    releases: (
      tenant: string,
      name: string,
      options: ListOptions & { namespace?: string; q?: string } = {},
    ): Promise<ReleaseList> =>
      t.call('GET', `${clustersPath(tenant)}/${seg(name)}/releases`, { query: { ...options } }),
    /** "Sync discovered charts": rebuild the unmatched ones into the hosted registry. */
    syncReleases: (tenant: string, name: string): Promise<SyncReleasesReply> =>
      t.call('POST', `${clustersPath(tenant)}/${seg(name)}/releases/sync`),
    /** A draft profile with a layer per discovered release. */
    profileFromCluster: (tenant: string, body: ProfileFromClusterBody): Promise<ProfileFromClusterReply> =>
      t.call('POST', `/api/v1/tenants/${seg(tenant)}/profiles/from-cluster`, { body }),
  };
  return api;
}

/** The agent's side (`/api/v1/agent/*`): the client's token must be a cluster's agent token. */
export function agentApi(t: Transport) {
  return {
    /** The cluster's plan; `{notModified: true}` when `etag` is still current (a 304). */
    plan: async (
      etag?: string,
    ): Promise<{ notModified: true } | { notModified: false; plan: AgentPlan; etag: string }> => {
      const { res, bytes } = await t.send('GET', '/api/v1/agent/plan', {
        ...(etag === undefined ? {} : { headers: { 'if-none-match': etag } }),
        allowNotModified: true,
      });
      if (res.status === 304) return { notModified: true };
      const plan = JSON.parse(new TextDecoder().decode(bytes)) as AgentPlan;
      return { notModified: false, plan, etag: res.headers.get('etag') ?? '' };
    },
    report: (body: AgentReportBody): Promise<AgentReportAccepted> =>
      t.call('POST', '/api/v1/agent/reports', { body }),
    /** The agent is alive; the answer says whether the cluster asks for a discovery. */
    heartbeat: (body: AgentHeartbeatBody = {}): Promise<AgentHeartbeatReply> =>
      t.call('POST', '/api/v1/agent/heartbeat', { body }),
    /** Releases the agent discovered, in posts of at most 200; the last one says `done`. */
    releases: (body: AgentReleasesBody): Promise<AgentReleasesReply> =>
      t.call('POST', '/api/v1/agent/releases', { body }),
    /** A file the plan names with `via: charthouse` (a chart archive or its `.prov`), byte for byte. */
    download: async (path: string): Promise<Uint8Array> => {
      // The plan comes from the server, but a path outside the agent's area would send the token elsewhere on it.
      if (!path.startsWith('/api/v1/agent/')) {
        throw t.fail('invalid_path', 'The plan names a download outside /api/v1/agent/.');
      }
      return (await t.send('GET', path, { accept: 'application/octet-stream' })).bytes;
    },
  };
}
