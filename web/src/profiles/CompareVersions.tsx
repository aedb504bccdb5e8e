import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import type { ProfileView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { diffPath } from './profile-paths';

interface CompareVersionsProps {
  tenant: string;
  profile: ProfileView;
}

/** Two version drop-downs and Compare: opens the diff of the pair. */
export function CompareVersions({ tenant, profile }: CompareVersionsProps) {
  const navigate = useNavigate();
  const versions = profile.versions.map((v) => v.version);
  // Versions come newest first: compare the previous one with the newest by default.
  const [from, setFrom] = useState(versions[1] ?? versions[0] ?? '');
  const [to, setTo] = useState(versions[0] ?? '');
  if (versions.length < 2) return <div />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void navigate(diffPath(tenant, profile.name, from, to));
  };
  return (
    <form className="compare-form" onSubmit={onSubmit} aria-label="Compare versions">
      {/* Named by aria-label: a wrapping label's name would include the selected option. */}
      <label className="filter">
        <span className="field-label">Compare from</span>
        <select aria-label="Compare from" value={from} onChange={(e) => setFrom(e.currentTarget.value)}>
          {versions.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </label>
      <label className="filter">
        <span className="field-label">to</span>
        <select aria-label="Compare to" value={to} onChange={(e) => setTo(e.currentTarget.value)}>
          {versions.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </label>
      <Button type="submit" disabled={from === to}>
        Compare
      </Button>
    </form>
  );
}
