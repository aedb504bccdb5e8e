import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useRemoveCluster } from './cluster-queries';

interface DeleteClusterDialogProps {
  tenant: string;
  name: string;
  onClose: () => void;
  onDeleted: () => void;
}

/** Deleting a cluster ends its agent's access; what the agent installed stays in the cluster. */
export function DeleteClusterDialog({ tenant, name, onClose, onDeleted }: DeleteClusterDialogProps) {
  const remove = useRemoveCluster(tenant);
  return (
    <ConfirmDialog
      title="Delete cluster"
      confirmLabel="Delete cluster"
      busy={remove.isPending}
      failure={remove.isError ? { title: 'The cluster was not deleted', error: remove.error } : null}
      onConfirm={() => remove.mutate(name, { onSuccess: onDeleted })}
      onClose={onClose}
    >
      <p className="confirm-text">
        Delete the cluster <strong className="break-anywhere">{name}</strong>?
      </p>
      <p>
        Its agent token stops working and its reports are deleted. Releases already installed stay in the
        cluster. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
