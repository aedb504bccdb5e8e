import { useState, type FormEvent } from 'react';
import type { ProfileVersionView } from '../../../src/client/api-client.js';
import { Field } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';
import { simpleFormErrors, type SimpleFormErrors } from '../ui/form-errors';
import { useCreateProfile } from './profile-queries';

type ProfileField = 'name' | 'description';
const FIELDS: readonly ProfileField[] = ['name', 'description'];

interface NewProfileDialogProps {
  tenant: string;
  onClose: () => void;
  onCreated: (view: ProfileVersionView) => void;
}

/** A new profile starts as draft 1.0.0 with no layers; its editor opens next. */
export function NewProfileDialog({ tenant, onClose, onCreated }: NewProfileDialogProps) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<SimpleFormErrors<ProfileField>>({ summary: null, fields: {} });
  const create = useCreateProfile(tenant);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (create.isPending) return;
    setErrors({ summary: null, fields: {} });
    create.mutate(
      {
        name: name.trim(),
        version: '1.0.0',
        layers: [],
        ...(description.trim() ? { description: description.trim() } : {}),
      },
      { onSuccess: onCreated, onError: (error) => setErrors(simpleFormErrors(error, FIELDS)) },
    );
  };

  return (
    <FormDialog
      title="New profile"
      onClose={onClose}
      onSubmit={onSubmit}
      pending={create.isPending}
      summary={errors.summary}
    >
      <Field
        label="Profile name"
        hint='Lowercase letters, digits and "-", at most 63 characters.'
        error={errors.fields.name}
      >
        {(control) => (
          <input
            {...control}
            name="name"
            autoComplete="off"
            spellCheck={false}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-autofocus
          />
        )}
      </Field>
      <Field label="Description" note="optional" error={errors.fields.description}>
        {(control) => (
          <textarea
            {...control}
            name="description"
            rows={3}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
        )}
      </Field>
      <p className="field-hint">The profile starts with draft version 1.0.0, without layers.</p>
    </FormDialog>
  );
}
