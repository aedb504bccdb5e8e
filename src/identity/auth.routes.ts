import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import { RateLimitedError } from '../shared/errors.js';
import { IssuedTokenView, LoginBody, MeView, SessionView, TokenBody } from './auth.schema.js';

export function authRoutes(app: Http, s: AppServices): void {
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a username and password; returns a session token',
        body: LoginBody,
        response: { 200: SessionView, ...errorResponses },
      },
      config: {
        // Per client address: slows password guessing without letting one client lock out a user.
        rateLimit: {
          max: s.config.loginRateLimitPerMinute,
          timeWindow: 60_000,
          errorResponseBuilder: (_req: unknown, ctx: { ttl: number }) =>
            new RateLimitedError(
              'Too many sign-in attempts: wait a minute and try again.',
              Math.ceil(ctx.ttl / 1000),
            ),
        },
      },
    },
    async (req) => s.auth.login(req.body.username, req.body.password),
  );

  app.post(
    '/api/v1/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a personal API token (shown once)',
        security: bearerSecurity,
        body: TokenBody,
        response: {
          201: IssuedTokenView,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const principal = await requirePrincipal(s.auth, req);
      const issued = await s.auth.createPersonalToken(principal, req.body.name, req.body.expiresInDays);
      return reply.status(201).send(issued);
    },
  );

  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user, system role and tenant memberships',
        security: bearerSecurity,
        response: {
          200: MeView,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = await requirePrincipal(s.auth, req);
      const tenants = await s.tenants.membershipsOf(p.userId);
      return {
        id: p.userId,
        username: p.username,
        systemRole: p.isSystemAdmin ? ('admin' as const) : null,
        tenants: tenants.map((t) => ({ name: t.name, displayName: t.display_name, role: t.role })),
      };
    },
  );
}
