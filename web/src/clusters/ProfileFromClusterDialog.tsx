import { useState, type FormEvent } from 'react';
import type { ProfileFromClusterReply } from '../../../src/client/api-client.js';
import { Field } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';
import { simpleFormErrors, type SimpleFormErrors } from '../ui/form-errors';
import { useProfileFromCluster } from './discovery-queries';

type ProfileField = 'name' | 'description';
const FIELDS: readonly ProfileField[] = ['name', 'description'];

interface ProfileFromClusterDialogProps {
  tenant: string;
  cluster: string;
  onClose: () => void;
  onCreated: (reply: ProfileFromClusterReply) => void;
}

/** A draft profile with a layer per discovered release, from the chart's registry and the release's values. */
export function ProfileFromClusterDialog({
  tenant,
  cluster,
  onClose,
  onCreated,
}: ProfileFromClusterDialogProps) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<SimpleFormErrors<ProfileField>>({ summary: null, fields: {} });
  const create = useProfileFromCluster(tenant);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (create.isPending) return;
    setErrors({ summary: null, fields: {} });
    create.mutate(
      { cluster, name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) },
      { onSuccess: onCreated, onError: (error) => setErrors(simpleFormErrors(error, FIELDS)) },
    );
  };

  return (
    <FormDialog
      title="Create profile from cluster"
      onClose={onClose}
      onSubmit={onSubmit}
      pending={create.isPending}
      summary={errors.summary}
      submitLabel="Create profile"
    >
      <p>
        Makes a draft profile with a layer per release the last discovery found: the registry its chart
        matched, its chart version, release name, namespace and current values. Releases whose chart is in no
        registry are skipped: sync the discovered charts first.
      </p>
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
            rows={2}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}
