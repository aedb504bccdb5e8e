import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useRemoveMember } from './member-queries';

interface RemoveMemberDialogProps {
  tenant: string;
  username: string;
  /** The signed-in user removing themselves: "leave" rather than "remove". */
  self: boolean;
  onClose: () => void;
  onRemoved: (username: string) => void;
}

/** Asks before removing a member, and reports a refusal (the last administrator) inside the dialog. */
export function RemoveMemberDialog({ tenant, username, self, onClose, onRemoved }: RemoveMemberDialogProps) {
  const remove = useRemoveMember(tenant);
  return (
    <ConfirmDialog
      title={self ? 'Leave tenant' : 'Remove member'}
      confirmLabel={self ? 'Leave' : 'Remove member'}
      busy={remove.isPending}
      failure={remove.isError ? { title: 'Nothing was changed', error: remove.error } : null}
      onConfirm={() => remove.mutate(username, { onSuccess: () => onRemoved(username) })}
      onClose={onClose}
    >
      <p className="confirm-text">
        {self ? (
          <>
            Leave <strong>{tenant}</strong>?
          </>
        ) : (
          <>
            Remove <strong className="break-anywhere">{username}</strong> from {tenant}?
          </>
        )}
      </p>
      <p>
        {self ? 'You lose' : 'They lose'} access at once, in the console, the API and from Helm and OCI
        clients. An administrator can invite {self ? 'you' : 'them'} again.
      </p>
    </ConfirmDialog>
  );
}
