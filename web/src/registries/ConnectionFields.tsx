import { Field } from '../ui/Field';
import { Toggle } from '../ui/Toggle';
import type { FieldKey, RegistryFormValues } from './registry-form-model';

interface ConnectionFieldsProps {
  values: RegistryFormValues;
  initial: RegistryFormValues;
  set: <K extends keyof RegistryFormValues>(key: K, value: RegistryFormValues[K]) => void;
  errors: Partial<Record<FieldKey, string>>;
  editing: boolean;
}

/** Name, endpoint, Protected, No Authentication and the credentials it reveals. */
export function ConnectionFields({ values, initial, set, errors, editing }: ConnectionFieldsProps) {
  const keepsPassword = editing && !initial.noAuth;
  return (
    <>
      <Field
        label="Registry name"
        hint='Letters, digits, ".", "_" and "-"; unique among your registries.'
        error={errors.name}
      >
        {(control) => (
          <input
            {...control}
            name="name"
            autoComplete="off"
            spellCheck={false}
            maxLength={63}
            value={values.name}
            onChange={(e) => set('name', e.currentTarget.value)}
            data-autofocus
          />
        )}
      </Field>
      <Field
        label="Endpoint"
        hint="https://charts.example.com for a Helm repository, oci://registry.example.com/charts for an OCI registry."
        error={errors.endpoint}
      >
        {(control) => (
          <input
            {...control}
            name="endpoint"
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://charts.example.com"
            value={values.endpoint}
            onChange={(e) => set('endpoint', e.currentTarget.value)}
          />
        )}
      </Field>
      <Toggle
        label="Protected"
        checked={values.protected}
        onChange={(on) => set('protected', on)}
        error={errors.protected}
        description={
          <>
            Turn on for a registry inside a private network. Charthouse never connects to a protected
            registry: its charts are not synchronized, <strong>Last Synced</strong> shows n/a, and chart names
            and versions are typed by hand in cluster profiles. The agent in your network pulls them.
          </>
        }
      />
      <Toggle
        label="No Authentication"
        checked={values.noAuth}
        onChange={(on) => set('noAuth', on)}
        error={errors.noAuth}
        description="Turn off if the registry needs a username and password."
      />
      {!values.noAuth && (
        <div className="field-row">
          <Field label="Username" error={errors.username}>
            {(control) => (
              <input
                {...control}
                name="username"
                autoComplete="off"
                spellCheck={false}
                value={values.username}
                onChange={(e) => set('username', e.currentTarget.value)}
              />
            )}
          </Field>
          <Field
            label="Password"
            error={errors.password}
            hint={keepsPassword ? 'Leave empty to keep the current password.' : undefined}
          >
            {(control) => (
              <input
                {...control}
                name="password"
                type="password"
                autoComplete="new-password"
                placeholder={keepsPassword ? '(unchanged)' : ''}
                value={values.password}
                onChange={(e) => set('password', e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
      )}
    </>
  );
}
