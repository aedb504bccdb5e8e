import { Type } from '@sinclair/typebox';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import type { Http } from '../http/types.js';
import {
  ListQuery,
  RegistryCreateBody,
  RegistryList,
  RegistryPatchBody,
  RegistryView,
} from './registry.schema.js';
import { oneRegistryParams, registryRouteScopes } from './registry.scopes.js';

/** List, add, read, change and remove registries, in tenant and system scope alike. */
export function registryRoutes(app: Http, s: AppServices): void {
  const variants = registryRouteScopes(s);
  for (const v of variants) {
    const one = oneRegistryParams(v);
    app.get(
      v.prefix,
      {
        schema: {
          tags: [v.tag],
          summary: 'List Helm registries (for a tenant: its own and the system registries)',
          security: bearerSecurity,
          params: v.params,
          querystring: ListQuery,
          response: { 200: RegistryList, ...errorResponses },
        },
      },
      async (req) => s.registries.list(await v.context(req), req.query),
    );
    app.post(
      v.prefix,
      {
        schema: {
          tags: [v.tag],
          summary: 'Add a Helm registry (unprotected ones are validated first)',
          security: bearerSecurity,
          params: v.params,
          body: RegistryCreateBody,
          response: { 201: RegistryView, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(await s.registries.create(await v.context(req), req.body)),
    );
    app.get(
      `${v.prefix}/:name`,
      {
        schema: {
          tags: [v.tag],
          summary: 'One Helm registry',
          security: bearerSecurity,
          params: one,
          response: { 200: RegistryView, ...errorResponses },
        },
      },
      async (req) => s.registries.get(await v.context(req), (req.params as { name: string }).name),
    );
    app.patch(
      `${v.prefix}/:name`,
      {
        schema: {
          tags: [v.tag],
          summary: 'Change a Helm registry (re-validated when endpoint, credentials or TLS change)',
          security: bearerSecurity,
          params: one,
          body: RegistryPatchBody,
          response: { 200: RegistryView, ...errorResponses },
        },
      },
      async (req) =>
        s.registries.update(await v.context(req), (req.params as { name: string }).name, req.body),
    );
    app.delete(
      `${v.prefix}/:name`,
      {
        schema: {
          tags: [v.tag],
          summary: 'Remove a Helm registry',
          security: bearerSecurity,
          params: one,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (req, reply) => {
        await s.registries.remove(await v.context(req), (req.params as { name: string }).name);
        return reply.status(204).send(null);
      },
    );
  }
}
