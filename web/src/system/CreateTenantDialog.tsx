import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { TenantBody } from '../../../src/client/api-client.js';
import { meQueryKey } from '../app/me';
import { useApi } from '../app/session';
import { Field } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';
import { simpleFormErrors, type SimpleFormErrors } from '../ui/form-errors';
import { tenantsQueryKey } from './tenant-queries';

type TenantField = 'name' | 'displayName';
const FIELDS: readonly TenantField[] = ['name', 'displayName'];

export function CreateTenantDialog({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (name: string) => void;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [errors, setErrors] = useState<SimpleFormErrors<TenantField>>({ summary: null, fields: {} });
  const create = useMutation({
    mutationFn: (body: TenantBody) => api.tenants.create(body),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: tenantsQueryKey }),
        queryClient.invalidateQueries({ queryKey: meQueryKey }),
      ]),
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (create.isPending) return;
    setErrors({ summary: null, fields: {} });
    const body: TenantBody = { name: name.trim() };
    if (displayName.trim()) body.displayName = displayName.trim();
    create.mutate(body, {
      onSuccess: (tenant) => onCreated(tenant.name),
      onError: (error) => setErrors(simpleFormErrors(error, FIELDS)),
    });
  };

  return (
    <FormDialog
      title="Create Tenant"
      onClose={onClose}
      onSubmit={onSubmit}
      pending={create.isPending}
      summary={errors.summary}
    >
      <Field
        label="Name"
        hint='Lowercase letters, digits and "-", up to 63 characters; used in URLs and cannot change.'
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
      <Field label="Display name" note="optional" error={errors.fields.displayName}>
        {(control) => (
          <input
            {...control}
            name="displayName"
            autoComplete="off"
            value={displayName}
            onChange={(e) => setDisplayName(e.currentTarget.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}
