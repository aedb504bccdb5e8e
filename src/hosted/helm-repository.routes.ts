import type { AppServices } from '../app.services.js';
import { pathParameterNotFound } from '../http/parameters.js';
import type { Http } from '../http/types.js';
import { AppError } from '../shared/errors.js';
import { chartmuseumRoutes } from './chartmuseum.routes.js';
import { classicRoutes } from './classic.routes.js';
import { closeIfUnread, dropPayloadHeaders, rawBodies } from './protocol-http.js';

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
