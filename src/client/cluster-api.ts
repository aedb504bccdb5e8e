import type {
  AgentHeartbeatBody,
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
    heartbeat: async (body: AgentHeartbeatBody = {}): Promise<void> => {
      await t.send('POST', '/api/v1/agent/heartbeat', { body });
    },
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
