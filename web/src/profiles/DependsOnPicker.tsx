import { useId } from 'react';

interface DependsOnPickerProps {
  /** The version's other layers, by name. */
  layers: readonly string[];
  value: readonly string[];
  error: string | undefined;
  onChange: (value: string[]) => void;
}

/** Layers this one installs after: a group of checkboxes (a multi-select that keyboards and readers handle). */
export function DependsOnPicker({ layers, value, error, onChange }: DependsOnPickerProps) {
  const id = useId();
  // A name the layer still depends on but no layer carries any more stays visible until unticked.
  const names = [...new Set([...layers, ...value])];
  return (
    <fieldset
      className={error ? 'depends-on field-invalid' : 'depends-on'}
      aria-describedby={error ? `${id}-error` : undefined}
    >
      <legend className="field-label">Depends on</legend>
      {names.length === 0 ? (
        <p className="field-hint">No other layers.</p>
      ) : (
        <div className="depends-on-options">
          {names.map((name) => (
            <label key={name} className="depends-on-option">
              <input
                type="checkbox"
                checked={value.includes(name)}
                onChange={(e) =>
                  onChange(e.currentTarget.checked ? [...value, name] : value.filter((v) => v !== name))
                }
              />{' '}
              {name}
            </label>
          ))}
        </div>
      )}
      {error && (
        <div id={`${id}-error`} className="field-error">
          {error}
        </div>
      )}
    </fieldset>
  );
}
