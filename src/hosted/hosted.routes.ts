import { Type } from '@sinclair/typebox';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { TenantParam } from '../http/parameters.js';
import { requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import { HostedPatchBody, HostedView } from './hosted.schema.js';

const Params = Type.Object({ t: TenantParam });

/** The JSON API of a tenant's hosted registry: where to push and pull, and who may read it. */
export function hostedRoutes(app: Http, s: AppServices): void {
  app.get(
    '/api/v1/tenants/:t/hosted',
    {
      schema: {
        tags: ['hosted'],
        summary: "The tenant's hosted registry: URLs for helm and OCI clients, and the caller's rights",
        security: bearerSecurity,
        params: Params,
        response: { 200: HostedView, ...errorResponses },
      },
    },
    async (req) => s.hosted.view(await requirePrincipal(s.auth, req), req.params.t, s.hosted.baseUrl(req)),
  );
  app.patch(
    '/api/v1/tenants/:t/hosted',
    {
      schema: {
        tags: ['hosted'],
        summary: 'Turn anonymous pulls (public read) on or off (tenant admin)',
        security: bearerSecurity,
        params: Params,
        body: HostedPatchBody,
        response: { 200: HostedView, ...errorResponses },
      },
    },
    async (req) =>
      s.hosted.setPublicRead(
        await requirePrincipal(s.auth, req),
        req.params.t,
        req.body.publicRead,
        s.hosted.baseUrl(req),
      ),
  );
}
