import { Field } from '../ui/Field';
import type { VariableInputForm } from './cluster-form-model';

interface VariableValueInputProps {
  variable: VariableInputForm;
  error: string | undefined;
  onChange: (patch: Partial<VariableInputForm>) => void;
}

/** What a variable's control tells besides its name: type, required, the version's default. */
function hintOf(v: VariableInputForm): string {
  const parts = [v.type, v.required ? 'required' : 'optional'];
  if (v.sensitive) parts.push('sensitive');
  if (v.hasDefault) parts.push(v.sensitive ? 'the version has a default' : `default ${v.defaultText}`);
  const head = parts.join(', ');
  return v.description ? `${head}. ${v.description}` : `${head}.`;
}

/**
 * One variable's value for this cluster, in its type. A sensitive value the cluster has is never sent
 * to the browser: it shows as "set", and can be kept, replaced or cleared.
 */
export function VariableValueInput({ variable: v, error, onChange }: VariableValueInputProps) {
  return (
    <Field label={v.name} hint={hintOf(v)} error={error}>
      {(control) => {
        if (v.sensitive && v.storedSecret) {
          return (
            <div className="secret-value">
              <select
                {...control}
                value={v.secretAction}
                onChange={(e) => {
                  const action = e.currentTarget.value;
                  onChange({
                    secretAction: action === 'replace' ? 'replace' : action === 'clear' ? 'clear' : 'keep',
                    text: '',
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
                  aria-label={`New value of ${v.name}`}
                  autoComplete="new-password"
                  value={v.text}
                  onChange={(e) => onChange({ text: e.currentTarget.value })}
                />
              )}
            </div>
          );
        }
        if (v.type === 'boolean' && !v.sensitive) {
          return (
            <select {...control} value={v.text} onChange={(e) => onChange({ text: e.currentTarget.value })}>
              <option value="">{v.hasDefault ? `default (${v.defaultText})` : 'not set'}</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          );
        }
        return (
          <input
            {...control}
            type={v.sensitive ? 'password' : 'text'}
            inputMode={v.type === 'number' ? 'decimal' : undefined}
            autoComplete={v.sensitive ? 'new-password' : 'off'}
            spellCheck={false}
            placeholder={v.sensitive ? 'not set' : v.hasDefault ? v.defaultText : undefined}
            value={v.text}
            onChange={(e) => onChange({ text: e.currentTarget.value })}
          />
        );
      }}
    </Field>
  );
}
