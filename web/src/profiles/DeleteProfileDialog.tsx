import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useRemoveProfile } from './profile-queries';

interface DeleteProfileDialogProps {
  tenant: string;
  name: string;
  onClose: () => void;
  onDeleted: () => void;
}

/** A profile in use is refused with 409; the server's message (what uses it) shows in the dialog. */
export function DeleteProfileDialog({ tenant, name, onClose, onDeleted }: DeleteProfileDialogProps) {
  const remove = useRemoveProfile(tenant);
  return (
    <ConfirmDialog
      title="Delete profile"
      confirmLabel="Delete profile"
      busy={remove.isPending}
      failure={remove.isError ? { title: 'The profile was not deleted', error: remove.error } : null}
      onConfirm={() => remove.mutate(name, { onSuccess: onDeleted })}
      onClose={onClose}
    >
      <p className="confirm-text">
        Delete the cluster profile <strong className="break-anywhere">{name}</strong> and all its versions?
      </p>
      <p>A profile that clusters use cannot be deleted. This cannot be undone.</p>
    </ConfirmDialog>
  );
}
