import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { ClusterNameParam, TenantParam } from '../http/parameters.js';
import { requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import type { TenantContext } from './cluster.service.js';
import {
  AgentTokenIssued,
  ClusterCreateBody,
  ClusterCreated,
  ClusterList,
  ClusterListQuery,
  ClusterPatchBody,
  ClusterView,
} from './cluster.schema.js';

const PREFIX = '/api/v1/tenants/:t/clusters';
const TenantParams = Type.Object({ t: TenantParam });
const ClusterParams = Type.Object({ t: TenantParam, name: ClusterNameParam });
/** A kubeconfig (256 KiB) and 50 assignments with their values fit well within 1 MiB. */
const BODY_LIMIT = 1024 * 1024;

/** Clusters of a tenant (SPEC §3): registration, assignments, status, the agent token. */
export function clusterRoutes(app: Http, s: AppServices): void {
  const context = async (req: FastifyRequest): Promise<TenantContext> => {
    const principal = await requirePrincipal(s.auth, req);
    return { principal, scope: await s.tenants.enter(principal, (req.params as { t: string }).t) };
  };
  const name = (req: FastifyRequest): string => (req.params as { name: string }).name;
  const doc = (summary: string, extra: Record<string, unknown>) => ({
    schema: { tags: ['clusters'], summary, security: bearerSecurity, ...extra },
  });

  app.get(
    PREFIX,
    doc('List clusters with their status', {
      params: TenantParams,
      querystring: ClusterListQuery,
      response: { 200: ClusterList, ...errorResponses },
    }),
    async (req) =>
      s.clusters.list(
        await context(req),
        req.query as { limit?: string; cursor?: string },
        s.hosted.baseUrl(req),
      ),
  );
  app.post(
    PREFIX,
    {
      bodyLimit: BODY_LIMIT,
      ...doc('Register a cluster (agent mode: its agent token is in this answer only)', {
        params: TenantParams,
        body: ClusterCreateBody,
        response: { 201: ClusterCreated, ...errorResponses },
      }),
    },
    async (req, reply) => {
      const created = await s.clusters.create(
        await context(req),
        req.body as ClusterCreateBody,
        s.hosted.baseUrl(req),
      );
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );
  app.get(
    `${PREFIX}/:name`,
    doc('One cluster: assignments, connection, plan and per-layer status', {
      params: ClusterParams,
      response: { 200: ClusterView, ...errorResponses },
    }),
    async (req) => s.clusters.get(await context(req), name(req), s.hosted.baseUrl(req)),
  );
  app.patch(
    `${PREFIX}/:name`,
    {
      bodyLimit: BODY_LIMIT,
      ...doc(
        'Change a cluster: description, kubeconfig, or its assigned profile versions (the list is replaced)',
        {
          params: ClusterParams,
          body: ClusterPatchBody,
          response: { 200: ClusterView, ...errorResponses },
        },
      ),
    },
    async (req) =>
      s.clusters.update(await context(req), name(req), req.body as ClusterPatchBody, s.hosted.baseUrl(req)),
  );
  app.delete(
    `${PREFIX}/:name`,
    doc('Delete a cluster (its agent token stops working)', {
      params: ClusterParams,
      response: { 204: Type.Null(), ...errorResponses },
    }),
    async (req, reply) => {
      await s.clusters.remove(await context(req), name(req));
      return reply.status(204).send();
    },
  );
  app.post(
    `${PREFIX}/:name/agent-token`,
    doc('A new agent token for the cluster, shown once; the old one stops working', {
      params: ClusterParams,
      response: { 200: AgentTokenIssued, ...errorResponses },
    }),
    async (req, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send(await s.clusters.rotateToken(await context(req), name(req))),
  );
}
