import type { LayerView, RegistryView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { Checkbox } from '../ui/Checkbox';
import { Field } from '../ui/Field';
import { CatalogChartFields } from './CatalogChartFields';
import { DependsOnPicker } from './DependsOnPicker';
import { LayerBadges } from './LayerBadges';
import { DEFAULT_NAMESPACE, type LayerErrors, type LayerForm } from './profile-form-model';
import { ProtectedChartFields } from './ProtectedChartFields';
import { RegistryPicker } from './RegistryPicker';
import { ValuesEditor } from './ValuesEditor';

interface LayerEditorProps {
  tenant: string;
  layer: LayerForm;
  index: number;
  count: number;
  /** Names of the version's other layers, for "Depends on". */
  otherLayers: string[];
  registries: readonly RegistryView[];
  errors: LayerErrors | undefined;
  /** The layer as last saved (its badges), when it has been. */
  saved: LayerView | undefined;
  onChange: (patch: Partial<LayerForm>) => void;
  onRename: (name: string) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}

/** One layer of a draft: where its chart comes from, how it installs, and its values. */
export function LayerEditor(props: LayerEditorProps) {
  const { tenant, layer, index, count, errors, saved, onChange } = props;
  const position = `Layer ${index + 1}`;
  const title = `${position}: ${layer.name || 'new layer'}`;
  const registry = props.registries.find((r) => r.name === layer.registry);
  const fields = errors?.fields ?? {};

  return (
    <fieldset className="layer-card" aria-label={title}>
      <legend className="layer-legend">{title}</legend>
      <div className="layer-head">
        {saved && <LayerBadges layer={saved} />}
        <div className="row-actions">
          <Button
            className="btn-small"
            variant="ghost"
            disabled={index === 0}
            onClick={() => props.onMove(-1)}
            aria-label={`Move ${position} up`}
          >
            Move up
          </Button>
          <Button
            className="btn-small"
            variant="ghost"
            disabled={index === count - 1}
            onClick={() => props.onMove(1)}
            aria-label={`Move ${position} down`}
          >
            Move down
          </Button>
          <Button
            className="btn-small"
            variant="ghost"
            onClick={props.onRemove}
            aria-label={`Remove ${position}`}
          >
            Remove
          </Button>
        </div>
      </div>
      <div className="field-row">
        <Field label="Layer name" hint="A DNS label, unique in this version." error={fields.name}>
          {(control) => (
            <input
              {...control}
              autoComplete="off"
              spellCheck={false}
              value={layer.name}
              onChange={(e) => props.onRename(e.currentTarget.value)}
            />
          )}
        </Field>
        <RegistryPicker
          registries={props.registries}
          value={layer.registry}
          error={fields.registry}
          onChange={(name) =>
            onChange({ registry: name, chart: '', version: '', versionConstraint: '', mode: 'exact' })
          }
        />
      </div>
      {registry &&
        (registry.protected ? (
          <ProtectedChartFields layer={layer} registry={registry.name} errors={fields} onChange={onChange} />
        ) : (
          <CatalogChartFields
            tenant={tenant}
            layer={layer}
            registry={registry}
            errors={fields}
            onChange={onChange}
          />
        ))}
      <div className="field-row">
        <Field
          label="Release name"
          hint={`Default: the layer name${layer.name ? ` (${layer.name})` : ''}.`}
          error={fields.releaseName}
        >
          {(control) => (
            <input
              {...control}
              autoComplete="off"
              spellCheck={false}
              placeholder={layer.name}
              value={layer.releaseName}
              onChange={(e) => onChange({ releaseName: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field label="Namespace" error={fields.namespace}>
          {(control) => (
            <input
              {...control}
              autoComplete="off"
              spellCheck={false}
              placeholder={DEFAULT_NAMESPACE}
              value={layer.namespace}
              onChange={(e) => onChange({ namespace: e.currentTarget.value })}
            />
          )}
        </Field>
      </div>
      <Checkbox
        label="Create the namespace"
        checked={layer.createNamespace}
        error={fields.createNamespace}
        onChange={(createNamespace) => onChange({ createNamespace })}
      />
      <DependsOnPicker
        layers={props.otherLayers}
        value={layer.dependsOn}
        error={fields.dependsOn}
        onChange={(dependsOn) => onChange({ dependsOn })}
      />
      <ValuesEditor
        tenant={tenant}
        layer={layer}
        registry={registry}
        defaultsVersion={layer.mode === 'exact' ? layer.version : (saved?.resolvedVersion ?? '')}
        problems={errors?.values ?? []}
        onChange={(values) => onChange({ values })}
      />
    </fieldset>
  );
}
