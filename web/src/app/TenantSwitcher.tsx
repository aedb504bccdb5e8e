import { useId } from 'react';
import { useLocation, useNavigate } from 'react-router';
import type { MeView } from '../../../src/client/api-client.js';

/**
 * Switches between the user's tenants, staying on the same settings screen. A system administrator
 * looking at a tenant they are not a member of sees it in the list too.
 */
export function TenantSwitcher({ me, current }: { me: MeView; current: string | undefined }) {
  const id = useId();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const options = me.tenants.map((t) => ({ name: t.name, label: label(t.displayName, t.name) }));
  if (current && !options.some((o) => o.name === current)) options.unshift({ name: current, label: current });
  if (options.length === 0) return null;

  const section = /\/settings\/(members|registries)/.exec(pathname)?.[1] ?? 'registries';
  return (
    <div className="tenant-switcher">
      <label htmlFor={id}>Tenant</label>
      <select
        id={id}
        value={current ?? ''}
        onChange={(e) => {
          const next = e.currentTarget.value;
          if (next) void navigate(`/t/${encodeURIComponent(next)}/settings/${section}`);
        }}
      >
        {!current && (
          <option value="" disabled>
            Choose a tenant
          </option>
        )}
        {options.map((o) => (
          <option key={o.name} value={o.name}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

const label = (displayName: string, name: string): string =>
  displayName && displayName !== name ? `${displayName} (${name})` : name;
