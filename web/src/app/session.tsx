import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiClient } from '../../../src/client/api-client.js';
import {
  clearSession,
  readSession,
  SESSION_STORAGE_KEY,
  writeSession,
  type StoredSession,
} from './session-storage';

/** Why there is no session: the login page says "your session has ended" only for `expired`. */
export type SignedOutReason = 'signed-out' | 'expired' | null;

interface SessionContextValue {
  session: StoredSession | null;
  /** The API client for this session (anonymous when signed out: only login works then). */
  api: ApiClient;
  signedOutReason: SignedOutReason;
  signIn: (session: StoredSession) => void;
  signOut: (reason?: Exclude<SignedOutReason, null>) => void;
  /** The Sign out button: ends the session on the server (its token stops working), then here. */
  endSession: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** setTimeout takes at most 2^31-1 ms; a session longer than ~24 days is re-checked then. */
const MAX_TIMER_MS = 2_147_483_647;

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<StoredSession | null>(() => readSession());
  const [signedOutReason, setSignedOutReason] = useState<SignedOutReason>(null);

  const signOut = useCallback(
    (reason: Exclude<SignedOutReason, null> = 'signed-out') => {
      clearSession();
      setSession(null);
      setSignedOutReason(reason);
      // The next user of this browser must not see the previous user's cached data.
      queryClient.clear();
    },
    [queryClient],
  );

  const signIn = useCallback(
    (next: StoredSession) => {
      queryClient.clear();
      writeSession(next);
      setSignedOutReason(null);
      setSession(next);
    },
    [queryClient],
  );

  const token = session?.token;
  const api = useMemo(
    () =>
      new ApiClient({
        baseUrl: window.location.origin,
        ...(token ? { token } : {}),
        // Every 401 to a signed-in request means the token is no longer good (expired, revoked, or
        // the server's sessions were reset): drop it, and RequireSession sends the user to sign in.
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (response.status === 401 && token) {
            // A late answer to a request made with an older token must not end a newer session.
            const stored = readSession();
            if (!stored || stored.token === token) signOut('expired');
          }
          return response;
        },
      }),
    [token, signOut],
  );

  // Sign out when the session's own expiry passes, even if the page makes no request.
  const expiresAt = session?.expiresAt;
  useEffect(() => {
    if (!expiresAt) return;
    const ms = Date.parse(expiresAt) - Date.now();
    const timer = setTimeout(
      () => {
        if (readSession() === null) signOut('expired');
      },
      Math.min(Math.max(ms, 0), MAX_TIMER_MS),
    );
    return () => clearTimeout(timer);
  }, [expiresAt, signOut]);

  // Signing in or out in another tab applies here too.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== SESSION_STORAGE_KEY && event.key !== null) return;
      const stored = readSession();
      if (stored?.token === token) return;
      queryClient.clear();
      setSession(stored);
      setSignedOutReason(stored ? null : 'signed-out');
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [token, queryClient]);

  const endSession = useCallback(async () => {
    // Signed out here whatever the server says: an unreachable server must not keep anyone signed in.
    await api.logout().catch(() => undefined);
    signOut('signed-out');
  }, [api, signOut]);

  const value = useMemo(
    () => ({ session, api, signedOutReason, signIn, signOut, endSession }),
    [session, api, signedOutReason, signIn, signOut, endSession],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession must be used inside <SessionProvider>');
  return value;
}

/** The API client of the current session. */
export function useApi(): ApiClient {
  return useSession().api;
}
