import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { LayerNameParam, ProfileNameParam } from '../http/parameters.js';
import { bearerToken } from '../http/principal.js';
import type { Http } from '../http/types.js';
import type { AgentCaller, AgentFile } from './agent.service.js';
import {
  AgentHeartbeatBody,
  AgentHeartbeatReply,
  AgentPlan,
  AgentReportAccepted,
  AgentReportBody,
} from './agent.schema.js';

/** A report of 1,000 layers with reasons fits in 1 MiB; anything larger is not a report. */
const REPORT_BODY_LIMIT = 1024 * 1024;
const FileParams = Type.Object({ profile: ProfileNameParam, layer: LayerNameParam });

/** The agent's side (SPEC §3): the token alone names the cluster. */
export function agentRoutes(app: Http, s: AppServices): void {
  const caller = (req: FastifyRequest): Promise<AgentCaller> => s.agents.authenticate(bearerToken(req));
  const doc = (summary: string, extra: Record<string, unknown>) => ({
    schema: { tags: ['agent'], summary, security: bearerSecurity, ...extra },
  });

  app.get(
    '/api/v1/agent/plan',
    doc("The cluster's plan (strong ETag; 304 when If-None-Match names it)", {
      response: { 200: AgentPlan, 304: Type.Null(), ...errorResponses },
    }),
    async (req, reply) => {
      const plan = await s.agents.plan(
        await caller(req),
        s.hosted.baseUrl(req),
        req.headers['if-none-match'],
      );
      // The plan can hold a protected registry's credentials: never kept by a shared cache.
      void reply.header('cache-control', 'private, no-cache');
      if (plan === null) return reply.status(304).send();
      return reply
        .header('etag', plan.etag)
        .type('application/json; charset=utf-8')
        .serializer((body) => body as string)
        .send(plan.body);
    },
  );
  app.post(
    '/api/v1/agent/reports',
    {
      bodyLimit: REPORT_BODY_LIMIT,
      ...doc('Per-layer results of the agent: pulled, verified, installed or failed', {
        body: AgentReportBody,
        response: { 200: AgentReportAccepted, ...errorResponses },
      }),
    },
    async (req) => s.agents.report(await caller(req), req.body as AgentReportBody, s.hosted.baseUrl(req)),
  );
  app.post(
    '/api/v1/agent/heartbeat',
    {
      bodyLimit: 4096,
      ...doc('The agent is alive (a cluster without one for 10 minutes is disconnected)', {
        body: Type.Optional(AgentHeartbeatBody),
        response: { 200: AgentHeartbeatReply, ...errorResponses },
      }),
    },
    async (req) => s.agents.heartbeat(await caller(req), (req.body as AgentHeartbeatBody | undefined) ?? {}),
  );
  const file = async (req: FastifyRequest, reply: FastifyReply, kind: 'chart' | 'provenance') => {
    const { profile, layer } = req.params as { profile: string; layer: string };
    const found: AgentFile = await s.agents.file(
      await caller(req),
      profile,
      layer,
      kind,
      s.hosted.baseUrl(req),
    );
    const stream = await found.open();
    void reply.header('cache-control', 'private, no-store').type(found.contentType);
    if (found.size !== null) void reply.header('content-length', found.size);
    return reply.send(stream);
  };
  app.get(
    '/api/v1/agent/charts/:profile/:layer',
    doc("A layer's chart archive, for layers the plan pulls through Charthouse", {
      params: FileParams,
      response: errorResponses,
    }),
    (req, reply) => file(req, reply, 'chart'),
  );
  app.get(
    '/api/v1/agent/charts/:profile/:layer/provenance',
    doc("A layer's provenance file (.prov), 404 when the chart has none", {
      params: FileParams,
      response: errorResponses,
    }),
    (req, reply) => file(req, reply, 'provenance'),
  );
}
