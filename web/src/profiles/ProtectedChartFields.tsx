import { Field } from '../ui/Field';
import type { LayerErrors, LayerForm } from './profile-form-model';

interface ProtectedChartFieldsProps {
  layer: LayerForm;
  registry: string;
  errors: LayerErrors['fields'];
  onChange: (patch: Partial<LayerForm>) => void;
}

/** A protected registry's chart is typed by hand: Charthouse never contacts it, so it has no lists. */
export function ProtectedChartFields({ layer, registry, errors, onChange }: ProtectedChartFieldsProps) {
  return (
    <div className="protected-fields">
      <p className="field-hint">
        <span className="badge badge-verification-unverified">unverified</span> {registry} is protected:
        Charthouse never contacts this registry, so the chart and version are checked for form only, until an
        agent pulls them.
      </p>
      <div className="field-row">
        <Field label="Chart name" error={errors.chart}>
          {(control) => (
            <input
              {...control}
              autoComplete="off"
              spellCheck={false}
              value={layer.chart}
              onChange={(e) => onChange({ chart: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field
          label="Version"
          hint="The exact version, such as 1.2.3."
          error={errors.version ?? errors.versionConstraint}
        >
          {(control) => (
            <input
              {...control}
              className="mono"
              autoComplete="off"
              spellCheck={false}
              value={layer.version}
              onChange={(e) => onChange({ version: e.currentTarget.value, mode: 'exact' })}
            />
          )}
        </Field>
      </div>
    </div>
  );
}
