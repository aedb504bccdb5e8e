import type { RegistryView } from '../../../src/client/api-client.js';
import { Toggle } from '../ui/Toggle';
import { ChartCombobox } from './ChartCombobox';
import { ConstraintField } from './ConstraintField';
import type { LayerErrors, LayerForm } from './profile-form-model';
import { VersionSelect } from './VersionSelect';

interface CatalogChartFieldsProps {
  tenant: string;
  layer: LayerForm;
  registry: RegistryView;
  errors: LayerErrors['fields'];
  onChange: (patch: Partial<LayerForm>) => void;
}

/** An unprotected or hosted registry's chart, picked from the catalog: chart, then version or constraint. */
export function CatalogChartFields({ tenant, layer, registry, errors, onChange }: CatalogChartFieldsProps) {
  return (
    <div className="catalog-fields">
      <div className="field-row">
        <ChartCombobox
          tenant={tenant}
          registry={registry.name}
          value={layer.chart}
          error={errors.chart}
          onChange={(chart) => onChange({ chart, version: '' })}
        />
        {layer.mode === 'constraint' ? (
          <ConstraintField
            value={layer.versionConstraint}
            error={errors.versionConstraint ?? errors.version}
            onChange={(versionConstraint) => onChange({ versionConstraint })}
          />
        ) : (
          <VersionSelect
            tenant={tenant}
            registry={registry.name}
            chart={layer.chart}
            value={layer.version}
            error={errors.version ?? errors.versionConstraint}
            onChange={(version) => onChange({ version })}
          />
        )}
      </div>
      <Toggle
        label="Use a constraint"
        checked={layer.mode === 'constraint'}
        onChange={(on) => onChange({ mode: on ? 'constraint' : 'exact' })}
        description="A SemVer range resolved to the newest matching version when the profile is published."
      />
    </div>
  );
}
