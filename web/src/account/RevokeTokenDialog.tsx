import type { TokenView } from '../../../src/client/api-client.js';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useRevokeToken } from './token-queries';

interface RevokeTokenDialogProps {
  token: TokenView;
  onClose: () => void;
  onRevoked: (token: TokenView) => void;
}

export function RevokeTokenDialog({ token, onClose, onRevoked }: RevokeTokenDialogProps) {
  const revoke = useRevokeToken();
  return (
    <ConfirmDialog
      title="Revoke API token"
      confirmLabel="Revoke token"
      busy={revoke.isPending}
      failure={revoke.isError ? { title: 'The token was not revoked', error: revoke.error } : null}
      onConfirm={() => revoke.mutate(token.id, { onSuccess: () => onRevoked(token) })}
      onClose={onClose}
    >
      <p className="confirm-text">
        Revoke the token <strong className="break-anywhere">{token.name}</strong>?
      </p>
      <p>
        Everything that uses it (CI jobs, helm and OCI logins, the CLI) is refused at once. This cannot be
        undone: create a new token to replace it.
      </p>
    </ConfirmDialog>
  );
}
