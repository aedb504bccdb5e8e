import type { RegistryScope, RegistryView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';
import { ErrorMessage } from '../ui/ErrorMessage';
import { useDeleteRegistry } from './registry-queries';

interface DeleteRegistryDialogProps {
  scope: RegistryScope;
  registry: RegistryView;
  onClose: () => void;
  onDeleted: (registry: RegistryView) => void;
}

/** Asks before deleting, naming the registry, and reports a failure inside the dialog. */
export function DeleteRegistryDialog({ scope, registry, onClose, onDeleted }: DeleteRegistryDialogProps) {
  const remove = useDeleteRegistry(scope);
  const confirm = () => {
    if (remove.isPending) return;
    remove.mutate(registry, { onSuccess: () => onDeleted(registry) });
  };
  return (
    <Dialog title="Delete Helm registry" onClose={onClose}>
      <div className="dialog-body">
        {remove.isError && <ErrorMessage title="The registry was not deleted" error={remove.error} />}
        <p className="confirm-text">
          Delete the Helm registry <strong className="break-anywhere">{registry.name}</strong>?
        </p>
        <p className="muted break-anywhere">{registry.endpoint}</p>
        <p>
          Its charts leave the catalog, and cluster profiles can no longer pick them. This cannot be undone.
        </p>
      </div>
      <div className="dialog-footer">
        <Button onClick={onClose} data-autofocus>
          Cancel
        </Button>
        <Button variant="danger" busy={remove.isPending} onClick={confirm}>
          Delete registry
        </Button>
      </div>
    </Dialog>
  );
}
