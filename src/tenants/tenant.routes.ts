import { Type } from '@sinclair/typebox';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { TenantParam } from '../http/parameters.js';
import { requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import {
  MemberBody,
  MemberList,
  MemberView,
  TENANT_NAME_PATTERN,
  TenantBody,
  TenantList,
  TenantView,
} from './tenant.schema.js';

const TenantParams = Type.Object({ t: TenantParam });
const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
    // The cursor is the last tenant's name.
    cursor: Type.Optional(Type.String({ pattern: TENANT_NAME_PATTERN.source, maxLength: 63 })),
  },
  { additionalProperties: false },
);

export function tenantRoutes(app: Http, s: AppServices): void {
  app.post(
    '/api/v1/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant (system admin)',
        security: bearerSecurity,
        body: TenantBody,
        response: { 201: TenantView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = await requirePrincipal(s.auth, req);
      return reply.status(201).send(await s.tenants.create(p, req.body));
    },
  );

  app.get(
    '/api/v1/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'List tenants (system admin)',
        security: bearerSecurity,
        querystring: ListQuery,
        response: { 200: TenantList, ...errorResponses },
      },
    },
    async (req) => {
      const p = await requirePrincipal(s.auth, req);
      const limit = Math.min(Math.max(Number(req.query.limit ?? 100), 1), 500);
      return s.tenants.list(p, limit, req.query.cursor);
    },
  );

  app.post(
    '/api/v1/tenants/:t/members',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Add a member (creates the user if new; tenant admin)',
        security: bearerSecurity,
        params: TenantParams,
        body: MemberBody,
        response: { 201: MemberView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = await requirePrincipal(s.auth, req);
      const scope = await s.tenants.enter(p, req.params.t);
      return reply.status(201).send(await s.tenants.addMember(scope, req.body));
    },
  );

  app.get(
    '/api/v1/tenants/:t/members',
    {
      schema: {
        tags: ['tenants'],
        summary: 'List members (tenant member)',
        security: bearerSecurity,
        params: TenantParams,
        response: { 200: MemberList, ...errorResponses },
      },
    },
    async (req) => {
      const p = await requirePrincipal(s.auth, req);
      const scope = await s.tenants.enter(p, req.params.t);
      return { items: await s.tenants.listMembers(scope) };
    },
  );
}
