import type { RegistryView } from '../../../src/client/api-client.js';
import { KIND_LABELS } from '../registries/registry-format';
import { Field } from '../ui/Field';

interface RegistryPickerProps {
  registries: readonly RegistryView[];
  value: string;
  error: string | undefined;
  onChange: (name: string) => void;
}

/** "helm-stable (Helm)", "internal (Helm, protected)", "platform (OCI, system)". */
export function registryLabel(r: RegistryView): string {
  const notes = [
    KIND_LABELS[r.kind],
    r.protected ? 'protected' : null,
    r.scope === 'system' ? 'system' : null,
  ];
  return `${r.name} (${notes.filter(Boolean).join(', ')})`;
}

/** Every registry the tenant sees; a layer's chart comes from one of them. */
export function RegistryPicker({ registries, value, error, onChange }: RegistryPickerProps) {
  const known = value === '' || registries.some((r) => r.name === value);
  return (
    <Field label="Registry" error={error}>
      {(control) => (
        <select {...control} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          <option value="">Choose a registry…</option>
          {registries.map((r) => (
            <option key={`${r.scope}:${r.name}`} value={r.name}>
              {registryLabel(r)}
            </option>
          ))}
          {!known && <option value={value}>{value} (no longer listed)</option>}
        </select>
      )}
    </Field>
  );
}
