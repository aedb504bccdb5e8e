import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import type { RequestContext } from '../shared/context.js';
import { PermissionError } from '../shared/errors.js';
import {
  ListQuery,
  RegistryCreateBody,
  RegistryList,
  RegistryPatchBody,
  RegistryView,
} from './registry.schema.js';

const NameParam = Type.String({ minLength: 1, maxLength: 255 });

/**
 * The same five registry endpoints exist twice: under a tenant (its registries plus the read-only
 * system ones) and under /system (the system administrator's). Only the way the context is built differs.
 */
export function registryRoutes(app: Http, s: AppServices): void {
  const tenantContext = async (req: FastifyRequest, tenant: string): Promise<RequestContext> => {
    const principal = await requirePrincipal(s.auth, req);
    return { principal, scope: await s.tenants.enter(principal, tenant) };
  };
  const systemContext = async (req: FastifyRequest): Promise<RequestContext> => {
    const principal = await requirePrincipal(s.auth, req);
    if (!principal.isSystemAdmin)
      throw new PermissionError('Only the system administrator can manage system registries.');
    return { principal, scope: { kind: 'system' } };
  };

  const variants = [
    {
      prefix: '/api/v1/tenants/:t/registries/helm',
      tag: 'registries',
      params: Type.Object({ t: Type.String({ maxLength: 63 }) }),
      context: (req: FastifyRequest) => tenantContext(req, (req.params as { t: string }).t),
    },
    {
      prefix: '/api/v1/system/registries/helm',
      tag: 'system registries',
      params: Type.Object({}),
      context: systemContext,
    },
  ];

  for (const v of variants) {
    const one = Type.Composite([v.params, Type.Object({ name: NameParam })]);
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
