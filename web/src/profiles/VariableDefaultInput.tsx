import type { VariableForm } from './profile-form-model';

interface VariableDefaultInputProps {
  variable: VariableForm;
  label: string;
  onChange: (patch: Partial<VariableForm>) => void;
}

/**
 * A variable's default in its type. A stored sensitive default is never sent to the browser: it shows
 * as "set", and can be kept, replaced or cleared.
 */
export function VariableDefaultInput({ variable: v, label, onChange }: VariableDefaultInputProps) {
  if (v.sensitive && v.storedSecret) {
    return (
      <div className="secret-default">
        <select
          aria-label={`${label}: set`}
          value={v.secretAction}
          onChange={(e) => {
            const action = e.currentTarget.value;
            onChange({
              secretAction: action === 'replace' ? 'replace' : action === 'clear' ? 'clear' : 'keep',
              defaultText: '',
            });
          }}
        >
          <option value="keep">set (keep)</option>
          <option value="replace">replace</option>
          <option value="clear">clear</option>
        </select>
        {v.secretAction === 'replace' && (
          <input
            type="password"
            aria-label={label}
            autoComplete="new-password"
            value={v.defaultText}
            onChange={(e) => onChange({ defaultText: e.currentTarget.value })}
          />
        )}
      </div>
    );
  }
  if (v.type === 'boolean') {
    return (
      <select
        aria-label={label}
        value={v.defaultText}
        onChange={(e) => onChange({ defaultText: e.currentTarget.value })}
      >
        <option value="">none</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  }
  return (
    <input
      aria-label={label}
      type={v.sensitive ? 'password' : 'text'}
      inputMode={v.type === 'number' ? 'decimal' : undefined}
      autoComplete={v.sensitive ? 'new-password' : 'off'}
      placeholder={v.sensitive ? 'not set' : undefined}
      spellCheck={false}
      value={v.defaultText}
      onChange={(e) => onChange({ defaultText: e.currentTarget.value })}
    />
  );
}
