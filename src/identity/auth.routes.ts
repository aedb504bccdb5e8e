import { Type } from '@sinclair/typebox';
import type { AppServices } from '../app.services.js';
import { bearerSecurity, errorResponses } from '../http/api-shapes.js';
import { idParam } from '../http/parameters.js';
import { bearerToken, requirePrincipal } from '../http/principal.js';
import type { Http } from '../http/types.js';
import { IssuedTokenView, LoginBody, SessionView, TokenBody, TokenList } from './auth.schema.js';

const TokenIdParams = Type.Object({ id: idParam('API token') });

export function authRoutes(app: Http, s: AppServices): void {
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a username (any case) and password; returns a session token',
        body: LoginBody,
        response: { 200: SessionView, ...errorResponses },
      },
    },
    // Limited per client address inside AuthService, with the same counter as Basic auth and OCI tokens.
    async (req) => s.auth.login(req.body.username, req.body.password, req.ip),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign out: end the session whose token is sent (refused at once afterwards)',
        security: bearerSecurity,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await s.auth.logout(bearerToken(req));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary:
          'Create a personal API token (shown once); expires in 90 days unless expiresInDays says otherwise (null: never)',
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
    '/api/v1/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Your personal API tokens: name, created, last used, expiry (never the secret)',
        security: bearerSecurity,
        response: { 200: TokenList, ...errorResponses },
      },
    },
    async (req) => ({ items: await s.auth.listTokens(await requirePrincipal(s.auth, req)) }),
  );

  app.delete(
    '/api/v1/auth/tokens/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke one of your personal API tokens (refused at once, on every protocol)',
        security: bearerSecurity,
        params: TokenIdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await s.auth.revokeToken(await requirePrincipal(s.auth, req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
