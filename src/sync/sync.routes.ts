import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import type { Http } from '../http/types.js';
import { oneRegistryParams, registryRouteScopes } from '../registries/registry.scopes.js';
import { RunsQuery, StartSyncQuery, StartSyncReply, SyncRunList } from './sync.schema.js';

/** "Sync now" and the sync history of a registry, in tenant and system scope. */
export function syncRoutes(app: Http, s: AppServices): void {
  for (const v of registryRouteScopes(s)) {
    const params = oneRegistryParams(v);
    app.post(
      `${v.prefix}/:name/sync`,
      {
        schema: {
          tags: [v.tag],
          summary: 'Start a sync now (409 for a protected registry or while one runs)',
          security: bearerSecurity,
          params,
          querystring: StartSyncQuery,
          response: { 202: StartSyncReply, ...errorResponses },
        },
      },
      async (req, reply) => {
        const run = await s.sync.syncNow(await v.context(req), (req.params as { name: string }).name, {
          force: req.query.force === 'true',
        });
        return reply.status(202).send({ run });
      },
    );
    app.get(
      `${v.prefix}/:name/syncs`,
      {
        schema: {
          tags: [v.tag],
          summary: 'Sync runs of a registry, newest first',
          security: bearerSecurity,
          params,
          querystring: RunsQuery,
          response: { 200: SyncRunList, ...errorResponses },
        },
      },
      async (req) => s.sync.list(await v.context(req), (req.params as { name: string }).name, req.query),
    );
  }
}
