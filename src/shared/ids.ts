import { createHash, randomBytes, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

export const nowIso = (): string => new Date().toISOString();

/**
 * API and session tokens: 32 random bytes behind a readable prefix (`chs_` session, `chp_` personal)
 * so leaked tokens are easy to spot and scan for. Only the SHA-256 is stored: the token has full
 * entropy, so a slow KDF would add nothing.
 */
export function newToken(prefix: 'chs' | 'chp'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
