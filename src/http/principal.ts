import type { FastifyRequest } from 'fastify';
import type { AuthService } from '../identity/auth.service.js';
import type { Principal } from '../shared/context.js';
import { AuthenticationError } from '../shared/errors.js';

/** The token of `Authorization: Bearer <token>`, or 401. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new AuthenticationError();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AuthenticationError('Send the token as "Authorization: Bearer <token>".');
  return match[1];
}

/** Resolve the caller from `Authorization: Bearer <token>`, or throw 401. */
export async function requirePrincipal(auth: AuthService, request: FastifyRequest): Promise<Principal> {
  return auth.authenticate(bearerToken(request));
}
