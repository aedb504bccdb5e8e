import { Type, type TObject } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../app.services.js';
import { RegistryNameParam, TenantParam } from '../http/parameters.js';
import { requirePrincipal } from '../http/principal.js';
import type { RequestContext } from '../shared/context.js';
import { PermissionError } from '../shared/errors.js';

export interface RegistryRouteScope {
  /** Route prefix of the registry collection. */
  prefix: string;
  tag: string;
  params: TObject;
  context(req: FastifyRequest): Promise<RequestContext>;
}

/**
 * Registry endpoints exist twice: under a tenant (its registries plus the read-only system ones) and
 * under /system (the system administrator's). Only the way the request context is built differs.
 */
export function registryRouteScopes(s: AppServices): RegistryRouteScope[] {
  return [
    {
      prefix: '/api/v1/tenants/:t/registries/helm',
      tag: 'registries',
      params: Type.Object({ t: TenantParam }),
      context: async (req) => {
        const principal = await requirePrincipal(s.auth, req);
        return { principal, scope: await s.tenants.enter(principal, (req.params as { t: string }).t) };
      },
    },
    {
      prefix: '/api/v1/system/registries/helm',
      tag: 'system registries',
      params: Type.Object({}),
      context: async (req) => {
        const principal = await requirePrincipal(s.auth, req);
        if (!principal.isSystemAdmin) {
          throw new PermissionError('Only the system administrator can manage system registries.');
        }
        return { principal, scope: { kind: 'system' } };
      },
    },
  ];
}

/** The path parameters of one registry under a scope's prefix. */
export const oneRegistryParams = (scope: RegistryRouteScope): TObject =>
  Type.Composite([scope.params, Type.Object({ name: RegistryNameParam })]);
