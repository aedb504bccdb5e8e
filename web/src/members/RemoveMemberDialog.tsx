import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';
import { ErrorMessage } from '../ui/ErrorMessage';
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
  const confirm = () => {
    if (remove.isPending) return;
    remove.mutate(username, { onSuccess: () => onRemoved(username) });
  };
  return (
    <Dialog title={self ? 'Leave tenant' : 'Remove member'} onClose={onClose}>
      <div className="dialog-body">
        {remove.isError && <ErrorMessage title="Nothing was changed" error={remove.error} />}
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
      </div>
      <div className="dialog-footer">
        <Button onClick={onClose} data-autofocus>
          Cancel
        </Button>
        <Button variant="danger" busy={remove.isPending} onClick={confirm}>
          {self ? 'Leave' : 'Remove member'}
        </Button>
      </div>
    </Dialog>
  );
}
