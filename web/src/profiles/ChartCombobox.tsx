import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useApi } from '../app/session';
import { Field } from '../ui/Field';
import { useDebouncedValue } from './use-debounced-value';

const SUGGESTIONS = 50;

interface ChartComboboxProps {
  tenant: string;
  registry: string;
  value: string;
  error: string | undefined;
  onChange: (chart: string) => void;
}

/**
 * A searchable chart drop-down: a text input whose suggestions (a native <datalist>, so the browser
 * gives it the combobox role and its keyboard handling) come from the catalog search of one registry.
 */
export function ChartCombobox({ tenant, registry, value, error, onChange }: ChartComboboxProps) {
  const api = useApi();
  const listId = useId();
  const q = useDebouncedValue(value.trim());
  const search = useQuery({
    queryKey: ['charts', 'profile-search', tenant, registry, q],
    queryFn: () =>
      api.charts.search(tenant, { registry, q: q || undefined, limit: SUGGESTIONS, devel: true }),
  });
  const charts = search.data?.items ?? [];
  const hint = search.isError
    ? 'The catalog could not be searched; type the chart name.'
    : search.isSuccess && charts.length === 0
      ? q
        ? `No chart in ${registry} matches "${q}".`
        : `${registry} has no charts yet.`
      : `Type to search the charts of ${registry}.`;

  return (
    <Field label="Chart" hint={hint} error={error}>
      {(control) => (
        <>
          <input
            {...control}
            role="combobox"
            list={listId}
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(e) => onChange(e.currentTarget.value)}
          />
          <datalist id={listId} data-testid="chart-suggestions">
            {charts.map((c) => (
              <option key={c.name} value={c.name}>
                {c.description ?? c.latestVersion}
              </option>
            ))}
          </datalist>
        </>
      )}
    </Field>
  );
}
