import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import {
  ChartFileParam,
  ChartNameParam,
  ChartVersionParam,
  pathParameterNotFound,
  TenantParam,
} from '../http/parameters.js';
import type { Http } from '../http/types.js';
import { AppError } from '../shared/errors.js';
import { chartmuseumRoutes } from './chartmuseum.routes.js';
import { classicRoutes } from './classic.routes.js';
import type { HostedAction, HostedTarget } from './hosted-access.js';
import { closeIfUnread, dropPayloadHeaders, rawBodies } from './protocol-http.js';

export type SlugParams = { t: string };

/** Path parameters of the /helm routes: checked before a handler runs (404 when they fail). */
export const helmParams = {
  slug: Type.Object({ t: TenantParam }),
  file: Type.Object({ t: TenantParam, file: ChartFileParam }),
  chart: Type.Object({ t: TenantParam, name: ChartNameParam }),
  // ChartMuseum's `latest` stands for the newest release.
  version: Type.Object({
    t: TenantParam,
    name: ChartNameParam,
    version: Type.Union([ChartVersionParam, Type.Literal('latest')], { title: 'Chart version' }),
  }),
};

/**
 * The classic chart repository and the ChartMuseum API of every hosted registry, under /helm/{t}. Errors
 * take ChartMuseum's shape, `{"error": "..."}` (helm cm-push prints exactly that field), and a missing or
 * wrong credential is a 401 with a Basic challenge so helm sends its repository credentials.
 */
export async function helmRepositoryRoutes(app: Http, s: AppServices): Promise<void> {
  await app.register(
    async (scoped: Http) => {
      rawBodies(scoped);
      scoped.setErrorHandler((thrown, req, reply) => {
        dropPayloadHeaders(reply);
        closeIfUnread(req, reply, thrown);
        // A path parameter that cannot name anything is ChartMuseum's 404, like a name that names nothing.
        const error = pathParameterNotFound(thrown, req) ?? thrown;
        if (error instanceof AppError) {
          if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="Charthouse"');
          if (error.status >= 500) req.log.error({ err: error }, 'request failed');
          return reply.status(error.status).send({ error: error.message });
        }
        const status = (error as { statusCode?: number }).statusCode;
        if (typeof status === 'number' && status >= 400 && status < 500) {
          return reply.status(status).send({ error: (error as Error).message });
        }
        req.log.error({ err: error }, 'unexpected error');
        return reply.status(500).send({ error: 'Something went wrong on the server.' });
      });
      scoped.setNotFoundHandler((_req, reply) => reply.status(404).send({ error: 'not found' }));
      classicRoutes(scoped, s);
      chartmuseumRoutes(scoped, s);
    },
    { prefix: '/helm' },
  );
}

/** The caller's hosted registry of `t`, opened for `action` (401 / 403 / 404 otherwise). */
export async function openHosted(
  s: AppServices,
  req: FastifyRequest,
  slug: string,
  action: HostedAction,
): Promise<HostedTarget> {
  const principal = await s.hosted.access.caller(req.headers.authorization, req.ip);
  return s.hosted.access.open(principal, slug, action);
}

export type Reply = FastifyReply;
