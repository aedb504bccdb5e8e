import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useRemoveVersion } from './profile-queries';

interface DeleteVersionDialogProps {
  tenant: string;
  name: string;
  version: string;
  onClose: () => void;
  onDeleted: (version: string) => void;
}

export function DeleteVersionDialog({ tenant, name, version, onClose, onDeleted }: DeleteVersionDialogProps) {
  const remove = useRemoveVersion(tenant, name);
  return (
    <ConfirmDialog
      title="Delete draft"
      confirmLabel="Delete draft"
      busy={remove.isPending}
      failure={remove.isError ? { title: 'The draft was not deleted', error: remove.error } : null}
      onConfirm={() => remove.mutate(version, { onSuccess: () => onDeleted(version) })}
      onClose={onClose}
    >
      <p className="confirm-text">
        Delete draft <strong className="mono">{version}</strong> of{' '}
        <strong className="break-anywhere">{name}</strong>?
      </p>
      <p>Its layers and variables are lost. Published versions are not affected. This cannot be undone.</p>
    </ConfirmDialog>
  );
}
