import { useState, type FormEvent } from 'react';
import type { ProfileView, VersionCreateBody } from '../../../src/client/api-client.js';
import { Field } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';
import { simpleFormErrors, type SimpleFormErrors } from '../ui/form-errors';
import { suggestNextVersion } from './profile-form-model';
import { useCreateVersion } from './profile-queries';

type VersionField = 'version' | 'from';
const FIELDS: readonly VersionField[] = ['version', 'from'];
/** The "from" choice for a draft without content. */
const FRESH = '';

interface NewVersionDialogProps {
  tenant: string;
  profile: ProfileView;
  onClose: () => void;
  onCreated: (version: string) => void;
}

/** A new draft: a copy of an existing version (published or not), or empty. */
export function NewVersionDialog({ tenant, profile, onClose, onCreated }: NewVersionDialogProps) {
  const [version, setVersion] = useState(() => suggestNextVersion(profile.latestVersion));
  const [from, setFrom] = useState(profile.latestVersion ?? FRESH);
  const [errors, setErrors] = useState<SimpleFormErrors<VersionField>>({ summary: null, fields: {} });
  const create = useCreateVersion(tenant, profile.name);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (create.isPending) return;
    setErrors({ summary: null, fields: {} });
    const body: VersionCreateBody = { version: version.trim() };
    if (from !== FRESH) body.from = from;
    create.mutate(body, {
      onSuccess: (view) => onCreated(view.version),
      onError: (error) => setErrors(simpleFormErrors(error, FIELDS)),
    });
  };

  return (
    <FormDialog
      title="New version"
      onClose={onClose}
      onSubmit={onSubmit}
      pending={create.isPending}
      summary={errors.summary}
    >
      <Field label="Version number" hint="A SemVer version such as 1.1.0." error={errors.fields.version}>
        {(control) => (
          <input
            {...control}
            name="version"
            className="input-short mono"
            autoComplete="off"
            spellCheck={false}
            value={version}
            onChange={(e) => setVersion(e.currentTarget.value)}
            data-autofocus
          />
        )}
      </Field>
      <Field
        label="From"
        hint="Copies the layers and variables of that version into the new draft."
        error={errors.fields.from}
      >
        {(control) => (
          <select {...control} name="from" value={from} onChange={(e) => setFrom(e.currentTarget.value)}>
            {profile.versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version} ({v.status})
              </option>
            ))}
            <option value={FRESH}>Fresh: an empty draft</option>
          </select>
        )}
      </Field>
    </FormDialog>
  );
}
