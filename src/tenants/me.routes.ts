import { Type } from '@sinclair/typebox';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { idParam } from '../http/parameters.js';
import { requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import { InvitationList, JoinedView, MeView } from './tenant.schema.js';

const Params = Type.Object({ id: idParam('Invitation') });

/** The signed-in user's own view: who they are, their tenants, and the invitations waiting for them. */
export function meRoutes(app: Http, s: AppServices): void {
  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user, system role, tenant memberships and pending invitations',
        security: bearerSecurity,
        response: { 200: MeView, ...errorResponses },
      },
    },
    async (req) => {
      const p = await requirePrincipal(s.auth, req);
      const [tenants, invitations] = await Promise.all([
        s.tenants.membershipsOf(p.userId),
        s.members.invitationsFor(p),
      ]);
      return {
        id: p.userId,
        username: p.username,
        systemRole: p.isSystemAdmin ? ('admin' as const) : null,
        tenants: tenants.map((t) => ({ name: t.name, displayName: t.display_name, role: t.role })),
        invitations,
      };
    },
  );

  app.get(
    '/api/v1/invitations',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Invitations to join tenants that wait for your answer',
        security: bearerSecurity,
        response: { 200: InvitationList, ...errorResponses },
      },
    },
    async (req) => ({ items: await s.members.invitationsFor(await requirePrincipal(s.auth, req)) }),
  );

  app.post(
    '/api/v1/invitations/:id/accept',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Accept an invitation: join the tenant in the role it offers',
        security: bearerSecurity,
        params: Params,
        response: { 200: JoinedView, ...errorResponses },
      },
    },
    async (req) => s.members.accept(await requirePrincipal(s.auth, req), req.params.id),
  );

  app.delete(
    '/api/v1/invitations/:id',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Decline an invitation',
        security: bearerSecurity,
        params: Params,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await s.members.decline(await requirePrincipal(s.auth, req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
