import { Type } from '@sinclair/typebox';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { ChartNameParam, ChartVersionParam } from '../http/parameters.js';
import type { Http } from '../http/types.js';
import { oneRegistryParams, registryRouteScopes } from '../registries/registry.scopes.js';
import {
  ChartDetail,
  ChartDetailQuery,
  ChartSearchQuery,
  ChartSearchResult,
  ChartVersionDetail,
} from './catalog.schema.js';

const ChartParam = Type.Object({ chart: ChartNameParam });
const VersionParam = Type.Object({ version: ChartVersionParam });

type ChartParams = { name: string; chart: string };
type VersionParams = ChartParams & { version: string };

/** The chart catalog (SPEC §3): search in tenant scope, chart and version detail in both scopes. */
export function catalogRoutes(app: Http, s: AppServices): void {
  const scopes = registryRouteScopes(s);
  const tenant = scopes.find((v) => v.prefix.startsWith('/api/v1/tenants/'));
  if (!tenant) throw new Error('catalogRoutes: no tenant route scope');

  app.get(
    '/api/v1/tenants/:t/charts',
    {
      schema: {
        tags: ['charts'],
        summary:
          'Search the charts of every registry the tenant sees (latest version of each: newest stable unless devel=true)',
        security: bearerSecurity,
        params: tenant.params,
        querystring: ChartSearchQuery,
        response: { 200: ChartSearchResult, ...errorResponses },
      },
    },
    async (req) => s.catalog.search(await tenant.context(req), req.query),
  );

  for (const v of scopes) {
    const chartParams = Type.Composite([oneRegistryParams(v), ChartParam]);
    app.get(
      `${v.prefix}/:name/charts/:chart`,
      {
        schema: {
          tags: [v.tag],
          summary: 'A chart with its versions, newest first (latest: newest stable unless devel=true)',
          security: bearerSecurity,
          params: chartParams,
          querystring: ChartDetailQuery,
          response: { 200: ChartDetail, ...errorResponses },
        },
      },
      async (req) => {
        const p = req.params as ChartParams;
        const q = req.query as ChartDetailQuery;
        return s.catalog.chart(await v.context(req), p.name, p.chart, { devel: q.devel === 'true' });
      },
    );
    app.get(
      `${v.prefix}/:name/charts/:chart/versions/:version`,
      {
        schema: {
          tags: [v.tag],
          summary: "One chart version's metadata",
          security: bearerSecurity,
          params: Type.Composite([chartParams, VersionParam]),
          response: { 200: ChartVersionDetail, ...errorResponses },
        },
      },
      async (req) => {
        const p = req.params as VersionParams;
        return s.catalog.version(await v.context(req), p.name, p.chart, p.version);
      },
    );
  }
}
