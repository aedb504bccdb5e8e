import { Button } from '../ui/Button';
import { emptyVariable, type DraftErrors, type VariableForm, type VariableType } from './profile-form-model';
import { VariableDefaultInput } from './VariableDefaultInput';

interface VariablesEditorProps {
  variables: readonly VariableForm[];
  errors: DraftErrors['variables'];
  onChange: (variables: VariableForm[]) => void;
}

const TYPES: readonly VariableType[] = ['string', 'number', 'boolean'];

/** The profile's variables: one row each, errors under their control. */
export function VariablesEditor({ variables, errors, onChange }: VariablesEditorProps) {
  const update = (index: number, patch: Partial<VariableForm>) =>
    onChange(variables.map((v, i) => (i === index ? { ...v, ...patch } : v)));
  return (
    <>
      {variables.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Variables" tabIndex={0}>
          <table className="data-table variables-table">
            <caption className="visually-hidden">Profile variables</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Required</th>
                <th scope="col">Default</th>
                <th scope="col">Sensitive</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {variables.map((v, i) => {
                const n = `variable ${i + 1}`;
                const e = errors[i] ?? {};
                return (
                  <tr key={v.key}>
                    <td>
                      <input
                        aria-label={`Name of ${n}`}
                        className="mono"
                        autoComplete="off"
                        spellCheck={false}
                        value={v.name}
                        aria-invalid={e.name ? true : undefined}
                        onChange={(ev) => update(i, { name: ev.currentTarget.value })}
                      />
                      {e.name && <div className="field-error">{e.name}</div>}
                      {e.general && <div className="field-error">{e.general}</div>}
                    </td>
                    <td>
                      <select
                        aria-label={`Type of ${n}`}
                        value={v.type}
                        onChange={(ev) =>
                          update(i, {
                            type: TYPES.find((t) => t === ev.currentTarget.value) ?? 'string',
                            defaultText: '',
                          })
                        }
                      >
                        {TYPES.map((t) => (
                          <option key={t}>{t}</option>
                        ))}
                      </select>
                      {e.type && <div className="field-error">{e.type}</div>}
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`${n} is required`}
                        checked={v.required}
                        onChange={(ev) => update(i, { required: ev.currentTarget.checked })}
                      />
                    </td>
                    <td>
                      <VariableDefaultInput
                        variable={v}
                        label={`Default of ${n}`}
                        onChange={(patch) => update(i, patch)}
                      />
                      {e.default && <div className="field-error">{e.default}</div>}
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`${n} is sensitive`}
                        checked={v.sensitive}
                        onChange={(ev) => update(i, { sensitive: ev.currentTarget.checked })}
                      />
                    </td>
                    <td className="cell-actions">
                      <Button
                        className="btn-small"
                        variant="ghost"
                        aria-label={`Remove ${n}`}
                        onClick={() => onChange(variables.filter((_, j) => j !== i))}
                      >
                        Remove
                      </Button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Button onClick={() => onChange([...variables, emptyVariable()])}>Add variable</Button>
    </>
  );
}
