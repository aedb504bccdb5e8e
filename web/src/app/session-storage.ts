import type { SessionView } from '../../../src/client/api-client.js';

/**
 * The sign-in session as kept in localStorage: the bearer token from POST /api/v1/auth/login and its
 * expiry, so a reload keeps the user signed in and an expired session is dropped before it is used.
 */
export type StoredSession = SessionView;

const KEY = 'charthouse.session';

export function readSession(now = Date.now()): StoredSession | null {
  let raw: string | null;
  try {
    raw = localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the user signs in for this page only
  }
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'token' in parsed &&
      'expiresAt' in parsed &&
      typeof parsed.token === 'string' &&
      typeof parsed.expiresAt === 'string' &&
      parsed.token !== ''
    ) {
      const expires = Date.parse(parsed.expiresAt);
      if (Number.isNaN(expires) || expires <= now) {
        clearSession();
        return null;
      }
      return { token: parsed.token, expiresAt: parsed.expiresAt };
    }
  } catch {
    // not ours or corrupted: fall through and forget it
  }
  clearSession();
  return null;
}

export function writeSession(session: StoredSession): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ token: session.token, expiresAt: session.expiresAt }));
  } catch {
    // storage disabled or full: the session lasts until the page is closed
  }
}

export function clearSession(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing to clear
  }
}

/** Other tabs see sign-in and sign-out through the storage event on this key. */
export const SESSION_STORAGE_KEY = KEY;
