import { useState, type FormEvent } from 'react';
import type { IssuedTokenView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { Field } from '../ui/Field';
import { simpleFormErrors, type SimpleFormErrors } from '../ui/form-errors';
import { useCreateToken } from './token-queries';

/** Lifetimes offered; the server's default is 90 days, and "never" must be chosen on purpose. */
const LIFETIMES: ReadonlyArray<{ value: string; label: string; days: number | null }> = [
  { value: '30', label: '30 days', days: 30 },
  { value: '90', label: '90 days', days: 90 },
  { value: '365', label: '1 year', days: 365 },
  { value: 'never', label: 'Never expires', days: null },
];

type TokenField = 'name' | 'expiresInDays';

export function CreateTokenForm({ onCreated }: { onCreated: (issued: IssuedTokenView) => void }) {
  const [name, setName] = useState('');
  const [lifetime, setLifetime] = useState('90');
  const [errors, setErrors] = useState<SimpleFormErrors<TokenField>>({ summary: null, fields: {} });
  const create = useCreateToken();

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (create.isPending) return;
    setErrors({ summary: null, fields: {} });
    const days = LIFETIMES.find((l) => l.value === lifetime)?.days ?? 90;
    create.mutate(
      { name: name.trim(), expiresInDays: days },
      {
        onSuccess: (issued) => {
          setName('');
          onCreated(issued);
        },
        onError: (error) => setErrors(simpleFormErrors(error, ['name', 'expiresInDays'] as const)),
      },
    );
  };

  return (
    <form className="token-form" onSubmit={onSubmit} noValidate aria-label="Create an API token">
      {errors.summary && (
        <div className="alert alert-error" role="alert">
          <div className="alert-body">{errors.summary}</div>
        </div>
      )}
      <Field label="Token name" hint="Where it is used, e.g. github-actions" error={errors.fields.name}>
        {(control) => (
          <input
            {...control}
            name="name"
            autoComplete="off"
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Expires" error={errors.fields.expiresInDays}>
        {(control) => (
          <select
            {...control}
            name="expires"
            value={lifetime}
            onChange={(e) => setLifetime(e.currentTarget.value)}
          >
            {LIFETIMES.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Button type="submit" variant="primary" busy={create.isPending}>
        Create token
      </Button>
    </form>
  );
}
