import { Type } from '@sinclair/typebox';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { idParam, TenantParam, UsernameParam } from '../http/parameters.js';
import { requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import {
  InvitationList,
  InvitationView,
  MemberBody,
  MemberList,
  MemberView,
  RoleBody,
  TENANT_NAME_PATTERN,
  TenantBody,
  TenantList,
  TenantView,
} from './tenant.schema.js';

const TenantParams = Type.Object({ t: TenantParam });
const MemberParams = Type.Object({ t: TenantParam, username: UsernameParam });
const InvitationParams = Type.Object({ t: TenantParam, id: idParam('Invitation') });
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
        summary:
          'Add a member: a system admin adds at once (creating the user if new); a tenant admin invites (202)',
        security: bearerSecurity,
        params: TenantParams,
        body: MemberBody,
        response: { 201: MemberView, 202: InvitationView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = await requirePrincipal(s.auth, req);
      const scope = await s.tenants.enter(p, req.params.t);
      const result = await s.members.add(p, scope, req.body);
      return result.status === 'added'
        ? reply.status(201).send(result.member)
        : reply.status(202).send(result.invitation);
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
      return { items: await s.members.list(scope) };
    },
  );

  app.patch(
    '/api/v1/tenants/:t/members/:username',
    {
      schema: {
        tags: ['tenants'],
        summary: "Change a member's role (tenant admin); the last admin cannot be demoted (409)",
        security: bearerSecurity,
        params: MemberParams,
        body: RoleBody,
        response: { 200: MemberView, ...errorResponses },
      },
    },
    async (req) => {
      const p = await requirePrincipal(s.auth, req);
      const scope = await s.tenants.enter(p, req.params.t);
      return s.members.setRole(scope, req.params.username, req.body.role);
    },
  );

  app.delete(
    '/api/v1/tenants/:t/members/:username',
    {
      schema: {
        tags: ['tenants'],
        summary:
          'Remove a member (tenant admin, or a member leaving); the last admin cannot be removed (409)',
        security: bearerSecurity,
        params: MemberParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = await requirePrincipal(s.auth, req);
      const scope = await s.tenants.enter(p, req.params.t);
      await s.members.remove(p, scope, req.params.username);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/tenants/:t/invitations',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Invitations waiting for an answer (tenant admin)',
        security: bearerSecurity,
        params: TenantParams,
        response: { 200: InvitationList, ...errorResponses },
      },
    },
    async (req) => {
      const p = await requirePrincipal(s.auth, req);
      const scope = await s.tenants.enter(p, req.params.t);
      return { items: await s.members.pendingInvitations(scope) };
    },
  );

  app.delete(
    '/api/v1/tenants/:t/invitations/:id',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Withdraw an invitation (tenant admin)',
        security: bearerSecurity,
        params: InvitationParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = await requirePrincipal(s.auth, req);
      const scope = await s.tenants.enter(p, req.params.t);
      await s.members.revokeInvitation(scope, req.params.id);
      return reply.status(204).send(null);
    },
  );
}
