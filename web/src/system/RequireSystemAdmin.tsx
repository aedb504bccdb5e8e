import type { ReactNode } from 'react';
import { isSystemAdmin, useMe } from '../app/me';

/** The System area is for the system administrator; others get an explanation, not an empty screen. */
export function RequireSystemAdmin({ children }: { children: ReactNode }) {
  const { data: me } = useMe();
  if (!isSystemAdmin(me)) {
    return (
      <section className="page">
        <h1>System</h1>
        <p>Only the system administrator can open the System area.</p>
      </section>
    );
  }
  return children;
}
