import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { MemberBody } from '../../../src/client/api-client.js';
import { useApi } from '../app/session';
import { Field } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';
import { simpleFormErrors, type SimpleFormErrors } from '../ui/form-errors';
import { membersQueryKey } from './member-queries';

type MemberField = 'username' | 'password' | 'role';
const FIELDS: readonly MemberField[] = ['username', 'password', 'role'];

interface AddMemberDialogProps {
  tenant: string;
  onClose: () => void;
  onAdded: (username: string) => void;
}

export function AddMemberDialog({ tenant, onClose, onAdded }: AddMemberDialogProps) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<MemberBody['role']>('member');
  const [errors, setErrors] = useState<SimpleFormErrors<MemberField>>({ summary: null, fields: {} });
  const add = useMutation({
    mutationFn: (body: MemberBody) => api.members.add(tenant, body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: membersQueryKey(tenant) }),
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (add.isPending) return;
    setErrors({ summary: null, fields: {} });
    const body: MemberBody = { username: username.trim(), role };
    if (password) body.password = password;
    add.mutate(body, {
      onSuccess: (member) => onAdded(member.username),
      onError: (error) => setErrors(simpleFormErrors(error, FIELDS)),
    });
  };

  return (
    <FormDialog
      title="Add Member"
      onClose={onClose}
      onSubmit={onSubmit}
      pending={add.isPending}
      summary={errors.summary}
    >
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
