import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { ClusterNameParam, TenantParam } from '../http/parameters.js';
import { bearerToken, requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import type { TenantContext } from './discovery.service.js';
import {
  AgentReleasesBody,
  AgentReleasesReply,
  DiscoverBody,
  DiscoverReply,
  DiscoveryRunList,
  ListQuery,
  ProfileFromClusterBody,
  ProfileFromClusterReply,
  ReleaseList,
  ReleaseListQuery,
  SyncReleasesReply,
} from './discovery.schema.js';

const TenantParams = Type.Object({ t: TenantParam });
const ClusterParams = Type.Object({ t: TenantParam, name: ClusterNameParam });
/** The agent sends releases in posts of at most 4 MiB of payloads (one release may reach 8 MiB alone). */
const AGENT_RELEASES_BODY_LIMIT = 32 * 1024 * 1024;

/** Brownfield discovery (SPEC §3): runs, releases, syncing discovered charts, a profile from a cluster. */
export function discoveryRoutes(app: Http, s: AppServices): void {
  const context = async (req: FastifyRequest): Promise<TenantContext> => {
    const principal = await requirePrincipal(s.auth, req);
    return { principal, scope: await s.tenants.enter(principal, (req.params as { t: string }).t) };
  };
  const name = (req: FastifyRequest): string => (req.params as { name: string }).name;
  const doc = (summary: string, extra: Record<string, unknown>) => ({
    schema: { tags: ['discovery'], summary, security: bearerSecurity, ...extra },
  });
  const prefix = '/api/v1/tenants/:t/clusters/:name';

  app.post(
    `${prefix}/discover`,
    {
      // "Discover now" needs no body: an empty POST means every namespace.
      preValidation: async (req: FastifyRequest) => {
        req.body ??= {};
      },
      ...doc(
        "Discover the cluster's Helm releases now (an agent cluster's agent does it at its next heartbeat)",
        {
          params: ClusterParams,
          body: DiscoverBody,
          response: { 202: DiscoverReply, ...errorResponses },
        },
      ),
    },
    async (req, reply) => {
      const run = await s.discovery.discover(await context(req), name(req), req.body as DiscoverBody);
      return reply.status(202).send(run);
    },
  );
  app.get(
    `${prefix}/discoveries`,
    doc('Discovery runs of the cluster, newest first', {
      params: ClusterParams,
      querystring: ListQuery,
      response: { 200: DiscoveryRunList, ...errorResponses },
    }),
    async (req) => s.discovery.runs(await context(req), name(req), req.query as ListQuery),
  );
  app.get(
    `${prefix}/releases`,
    doc('Releases of the newest finished discovery, with the catalog versions they match', {
      params: ClusterParams,
      querystring: ReleaseListQuery,
      response: { 200: ReleaseList, ...errorResponses },
    }),
    async (req) => s.discovery.releases(await context(req), name(req), req.query as ReleaseListQuery),
  );
  app.post(
    `${prefix}/releases/sync`,
    doc('Sync discovered charts: rebuild every chart with no content match into the hosted registry', {
      params: ClusterParams,
      response: { 200: SyncReleasesReply, ...errorResponses },
    }),
    async (req) => s.adoption.syncReleases(await context(req), name(req), s.hosted.baseUrl(req)),
  );
  app.post(
    '/api/v1/tenants/:t/profiles/from-cluster',
    doc("A draft profile with a layer per release discovered in a cluster, with each release's values", {
      params: TenantParams,
      body: ProfileFromClusterBody,
      response: { 201: ProfileFromClusterReply, ...errorResponses },
    }),
    async (req, reply) =>
      reply
        .status(201)
        .send(await s.adoption.profileFromCluster(await context(req), req.body as ProfileFromClusterBody)),
  );
  app.post(
    '/api/v1/agent/releases',
    {
      bodyLimit: AGENT_RELEASES_BODY_LIMIT,
      ...doc('Releases the agent discovered in its cluster (the last post of a run says done)', {
        body: AgentReleasesBody,
        response: { 200: AgentReleasesReply, ...errorResponses },
      }),
    },
    async (req) =>
      s.discovery.agentReleases(await s.agents.authenticate(bearerToken(req)), req.body as AgentReleasesBody),
  );
}
