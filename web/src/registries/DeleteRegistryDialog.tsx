import type { RegistryScope, RegistryView } from '../../../src/client/api-client.js';
import { ConfirmDialog } from '../ui/ConfirmDialog';
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
  return (
    <ConfirmDialog
      title="Delete Helm registry"
      confirmLabel="Delete registry"
      busy={remove.isPending}
      failure={remove.isError ? { title: 'The registry was not deleted', error: remove.error } : null}
      onConfirm={() => remove.mutate(registry, { onSuccess: () => onDeleted(registry) })}
      onClose={onClose}
    >
      <p className="confirm-text">
        Delete the Helm registry <strong className="break-anywhere">{registry.name}</strong>?
      </p>
      <p className="muted break-anywhere">{registry.endpoint}</p>
      <p>
        Its charts leave the catalog, and cluster profiles can no longer pick them. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
