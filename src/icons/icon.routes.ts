import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { ChartNameParam, ChartVersionParam, IconDigestParam } from '../http/parameters.js';
import type { Http } from '../http/types.js';
import { oneRegistryParams, registryRouteScopes } from '../registries/registry.scopes.js';
import { ICON_MEDIA_TYPES, ICON_SECURITY_HEADERS } from './icon-content.js';
import type { ServedIcon } from './icon.service.js';

const IconQuery = Type.Object({ version: Type.Optional(ChartVersionParam) });
const imageResponse = (description: string) => ({
  description,
  content: Object.fromEntries(
    ICON_MEDIA_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
  ),
});

/**
 * Chart icons (icon.service.ts). Under each registry scope, a chart's icon for API clients; its answer
 * names the icon's content URL in `Content-Location`, which needs no token, so the console's <img>
 * loads it from this origin (a browser cannot send a bearer token with an <img> request).
 */
export function iconRoutes(app: Http, s: AppServices): void {
  for (const v of registryRouteScopes(s)) {
    app.get(
      `${v.prefix}/:name/charts/:chart/icon`,
      {
        schema: {
          tags: [v.tag],
          summary:
            "A chart's icon (of its newest version, or `version`), fetched by the server from the URL in Chart.yaml",
          security: bearerSecurity,
          params: Type.Composite([oneRegistryParams(v), Type.Object({ chart: ChartNameParam })]),
          querystring: IconQuery,
          response: {
            200: imageResponse('The icon; `Content-Location` names it by content'),
            ...errorResponses,
          },
        },
      },
      async (req, reply) => {
        const p = req.params as { name: string; chart: string };
        const { version } = req.query as { version?: string };
        const icon = await s.icons.chartIcon(await v.context(req), p.name, p.chart, version);
        // Short and private: the chart's icon URL may change with the next sync.
        return sendIcon(req, reply, icon, 'private, max-age=300');
      },
    );
  }

  app.get(
    '/api/v1/icons/:digest',
    {
      schema: {
        tags: ['charts'],
        summary: 'A fetched chart icon by the sha256 of its bytes (no token: the digest is the capability)',
        params: Type.Object({ digest: IconDigestParam }),
        response: { 200: imageResponse('The icon'), 404: errorResponses[404] },
      },
    },
    async (req, reply) => {
      const icon = await s.icons.byContent((req.params as { digest: string }).digest);
      return sendIcon(req, reply, icon, 'public, max-age=31536000, immutable');
    },
  );
}

function sendIcon(req: FastifyRequest, reply: FastifyReply, icon: ServedIcon, cacheControl: string) {
  const etag = `"${icon.digest}"`;
  void reply
    .headers(ICON_SECURITY_HEADERS)
    .header('etag', etag)
    .header('cache-control', cacheControl)
    .header('content-location', `/api/v1/icons/${icon.digest}`);
  const match = req.headers['if-none-match'];
  if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
    return reply.code(304).send();
  }
  return reply.type(icon.mediaType).send(icon.bytes);
}
