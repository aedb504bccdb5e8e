import { useState } from 'react';
import { ApiError } from '../../../src/client/api-client.js';
import { useChart } from '../charts/chart-queries';
import { Field } from '../ui/Field';
import { Toggle } from '../ui/Toggle';
import { pickableVersions } from './profile-form-model';
import { useDebouncedValue } from './use-debounced-value';

interface VersionSelectProps {
  tenant: string;
  registry: string;
  chart: string;
  value: string;
  error: string | undefined;
  onChange: (version: string) => void;
}

/** The chart's catalog versions, newest first; pre-releases only behind "Show pre-releases". */
export function VersionSelect(props: VersionSelectProps) {
  const chart = useDebouncedValue(props.chart.trim());
  if (!chart) {
    return (
      <Field label="Version" hint="Choose a chart first." error={props.error}>
        {(control) => (
          <select {...control} disabled value="">
            <option value="">—</option>
          </select>
        )}
      </Field>
    );
  }
  return <ChartVersions key={`${props.registry}/${chart}`} {...props} chart={chart} />;
}

function ChartVersions({ tenant, registry, chart, value, error, onChange }: VersionSelectProps) {
  const detail = useChart(tenant, registry, chart);
  const [showPrereleases, setShowPrereleases] = useState(false);
  const all = detail.data?.versions ?? [];
  const versions = pickableVersions(all, showPrereleases);
  // The chosen version stays listed even while pre-releases are hidden, so the choice is never lost.
  const listed = value === '' || versions.some((v) => v.version === value);
  const hint = detail.isPending
    ? 'Loading the versions…'
    : detail.isError
      ? detail.error instanceof ApiError && detail.error.status === 404
        ? `No chart "${chart}" in ${registry}.`
        : 'The versions could not be loaded.'
      : undefined;

  return (
    <div>
      <Field label="Version" hint={hint} error={error}>
        {(control) => (
          <select {...control} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
            <option value="">Choose a version…</option>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
                {v.prerelease ? ' (pre-release)' : ''}
                {v.deprecated ? ' (deprecated)' : ''}
              </option>
            ))}
            {!listed && <option value={value}>{value}</option>}
          </select>
        )}
      </Field>
      {all.some((v) => v.prerelease) && (
        <Toggle label="Show pre-releases" checked={showPrereleases} onChange={setShowPrereleases} />
      )}
    </div>
  );
}
