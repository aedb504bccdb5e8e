import { useId } from 'react';
import type { RegistryView } from '../../../src/client/api-client.js';
import { useChartVersion } from '../charts/chart-queries';
import type { LayerForm, ValuesProblem } from './profile-form-model';

interface ValuesEditorProps {
  tenant: string;
  layer: LayerForm;
  registry: RegistryView | undefined;
  /** The chart version whose values.yaml is shown beside the editor; empty when none is chosen. */
  defaultsVersion: string;
  problems: readonly ValuesProblem[];
  onChange: (values: string) => void;
}

/** The layer's values as YAML text, the chart's own defaults beside them, and schema errors by path. */
export function ValuesEditor({
  tenant,
  layer,
  registry,
  defaultsVersion,
  problems,
  onChange,
}: ValuesEditorProps) {
  const id = useId();
  const problemsId = `${id}-problems`;
  return (
    <div className="values-editor">
      <div className={problems.length > 0 ? 'field field-invalid' : 'field'}>
        <label htmlFor={id} className="field-label">
          Values (YAML)
        </label>
        <textarea
          id={id}
          className="mono values-text"
          rows={12}
          spellCheck={false}
          value={layer.values}
          onChange={(e) => onChange(e.currentTarget.value)}
          aria-invalid={problems.length > 0 || undefined}
          aria-describedby={problems.length > 0 ? problemsId : undefined}
        />
        {problems.length > 0 && (
          <ul id={problemsId} className="values-problems" aria-label="Problems in the values">
            {problems.map((p, i) => (
              <li key={i} className="field-error">
                <code className="values-path">{p.path || '(the whole document)'}</code> {p.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      <ChartDefaults
        tenant={tenant}
        registry={registry}
        chart={layer.chart.trim()}
        version={defaultsVersion}
      />
    </div>
  );
}

interface ChartDefaultsProps {
  tenant: string;
  registry: RegistryView | undefined;
  chart: string;
  version: string;
}

function ChartDefaults({ tenant, registry, chart, version }: ChartDefaultsProps) {
  const ready = registry !== undefined && !registry.protected && chart !== '' && version !== '';
  const detail = useChartVersion(tenant, registry?.name ?? '', chart, ready ? version : undefined);
  const text = !registry
    ? 'Choose a registry and chart to see its defaults.'
    : registry.protected
      ? 'No defaults known: Charthouse never contacts a protected registry.'
      : !ready
        ? 'Choose a version to see the chart defaults.'
        : detail.isPending
          ? 'Loading the chart defaults…'
          : detail.isError
            ? 'The chart defaults could not be loaded.'
            : null;
  return (
    <section className="values-defaults" aria-label="Chart defaults">
      <h3 className="field-label">
        Chart defaults{ready && detail.data ? ` (values.yaml of ${chart} ${version})` : ''}
      </h3>
      {text !== null ? (
        <p className="field-hint">{text}</p>
      ) : detail.data?.valuesYaml ? (
        <pre className="code-block values-text" tabIndex={0}>
          {detail.data.valuesYaml}
        </pre>
      ) : (
        <p className="field-hint">No defaults known for this version.</p>
      )}
    </section>
  );
}
