import { useId, type ReactNode } from 'react';

interface ToggleProps {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  description?: ReactNode;
  error?: string | undefined;
  disabled?: boolean;
}

/**
 * An on/off switch. It is a native checkbox with role="switch", so Space toggles it, it takes part in
 * the form's tab order and screen readers announce "on"/"off"; the track is drawn in CSS.
 */
export function Toggle({ label, checked, onChange, description, error, disabled }: ToggleProps) {
  const id = useId();
  const describedBy = [description ? `${id}-desc` : null, error ? `${id}-error` : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={error ? 'toggle-field field-invalid' : 'toggle-field'}>
      <label className="toggle" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={checked}
          disabled={disabled}
          onChange={(e) => onChange(e.currentTarget.checked)}
          aria-describedby={describedBy || undefined}
          aria-invalid={error ? true : undefined}
        />
        <span className="toggle-track" aria-hidden="true">
          <span className="toggle-thumb" />
        </span>
        <span className="toggle-label">{label}</span>
      </label>
      {description && (
        <div id={`${id}-desc`} className="field-hint toggle-desc">
          {description}
        </div>
      )}
      {error && (
        <div id={`${id}-error`} className="field-error">
          {error}
        </div>
      )}
    </div>
  );
}
