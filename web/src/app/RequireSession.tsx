import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useSession } from './session';

/**
 * Screens behind sign-in. Without a session (never signed in, signed out, or a 401 just ended it) the
 * user goes to /login, which brings them back here afterwards through `next`.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const { session, signedOutReason } = useSession();
  const location = useLocation();
  if (!session) {
    const here = location.pathname + location.search;
    // After "Sign out" the next person starts afresh; after an expired session, the same person resumes.
    const to =
      here === '/' || signedOutReason === 'signed-out' ? '/login' : `/login?next=${encodeURIComponent(here)}`;
    return <Navigate to={to} replace />;
  }
  return children;
}
