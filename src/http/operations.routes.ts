import { Type } from '@sinclair/typebox';
import type { AppServices } from '../app.services.js';
import type { Metrics } from './metrics.js';
import type { Http } from './types.js';

/** Liveness, readiness and Prometheus metrics: unauthenticated, as orchestrators expect. */
export function operationsRoutes(app: Http, s: AppServices, metrics: Metrics): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers and the server is not shutting down',
        response: {
          200: Type.Object({ status: Type.String(), database: Type.String() }),
          503: Type.Object({ status: Type.String(), database: Type.String() }),
        },
      },
    },
    async (_req, reply) => {
      // Draining (SIGTERM): out of the load balancer's rotation at once, while in-flight work ends.
      if (s.lifecycle.draining) {
        return reply.status(503).send({ status: 'draining', database: s.storage.dialect });
      }
      try {
        await s.storage.ping();
        return { status: 'ready', database: s.storage.dialect };
      } catch {
        return reply.status(503).send({ status: 'unavailable', database: s.storage.dialect });
      }
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } },
    async (_req, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  );
}
