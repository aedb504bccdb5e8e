import { useState, type FormEvent } from 'react';
import type { AddMemberResult, MemberBody } from '../../../src/client/api-client.js';
import { Field } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';
import { simpleFormErrors, type SimpleFormErrors } from '../ui/form-errors';
import { useAddMember } from './member-queries';

type MemberField = 'username' | 'password' | 'role';
const FIELDS: readonly MemberField[] = ['username', 'password', 'role'];

interface AddMemberDialogProps {
  tenant: string;
  /**
   * `add`: a system administrator, who adds users at once and creates new ones with a password.
   * `invite`: a tenant administrator, whose addition is an invitation the user accepts (README "Members").
   */
  mode: 'add' | 'invite';
  onClose: () => void;
  onDone: (result: AddMemberResult) => void;
}

export function AddMemberDialog({ tenant, mode, onClose, onDone }: AddMemberDialogProps) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<MemberBody['role']>('member');
  const [errors, setErrors] = useState<SimpleFormErrors<MemberField>>({ summary: null, fields: {} });
  const add = useAddMember(tenant);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (add.isPending) return;
    setErrors({ summary: null, fields: {} });
    const body: MemberBody = { username: username.trim(), role };
    if (mode === 'add' && password) body.password = password;
    add.mutate(body, {
      onSuccess: onDone,
      onError: (error) => setErrors(simpleFormErrors(error, FIELDS)),
    });
  };

  return (
    <FormDialog
      title={mode === 'add' ? 'Add Member' : 'Invite Member'}
      onClose={onClose}
      onSubmit={onSubmit}
      pending={add.isPending}
      summary={errors.summary}
    >
      {mode === 'invite' && (
        <p className="field-hint">
          The user joins {tenant} when they accept the invitation, after signing in. It waits 14 days.
        </p>
      )}
      <Field label="Username" error={errors.fields.username}>
        {(control) => (
          <input
            {...control}
            name="username"
            autoComplete="off"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            data-autofocus
          />
        )}
      </Field>
      {mode === 'add' && (
        <Field
          label="Password"
          note="for a new user"
          hint="Needed only when this user does not exist yet; an existing user keeps their password."
          error={errors.fields.password}
        >
          {(control) => (
            <input
              {...control}
              name="password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      <Field label="Role" error={errors.fields.role}>
        {(control) => (
          <select
            {...control}
            name="role"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value === 'admin' ? 'admin' : 'member')}
          >
            <option value="member">Member: uses the tenant's registries</option>
            <option value="admin">Administrator: also manages registries and members</option>
          </select>
        )}
      </Field>
    </FormDialog>
  );
}
