import type { AgentTokenIssued } from '../../../src/client/api-client.js';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useRotateAgentToken } from './cluster-queries';

interface RotateTokenDialogProps {
  tenant: string;
  name: string;
  onClose: () => void;
  onRotated: (issued: AgentTokenIssued) => void;
}

/** A new agent token; the running agent is locked out until it is given the new one. */
export function RotateTokenDialog({ tenant, name, onClose, onRotated }: RotateTokenDialogProps) {
  const rotate = useRotateAgentToken(tenant, name);
  return (
    <ConfirmDialog
      title="Rotate agent token"
      confirmLabel="Rotate token"
      busy={rotate.isPending}
      failure={rotate.isError ? { title: 'The token was not rotated', error: rotate.error } : null}
      onConfirm={() => rotate.mutate(undefined, { onSuccess: onRotated })}
      onClose={onClose}
    >
      <p className="confirm-text">
        Make a new agent token for <strong className="break-anywhere">{name}</strong>?
      </p>
      <p>The current token stops working at once: the agent stops until it is given the new one.</p>
    </ConfirmDialog>
  );
}
