import type { TokenView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';
import { ErrorMessage } from '../ui/ErrorMessage';
import { useRevokeToken } from './token-queries';

interface RevokeTokenDialogProps {
  token: TokenView;
  onClose: () => void;
  onRevoked: (token: TokenView) => void;
}

export function RevokeTokenDialog({ token, onClose, onRevoked }: RevokeTokenDialogProps) {
  const revoke = useRevokeToken();
  const confirm = () => {
    if (revoke.isPending) return;
    revoke.mutate(token.id, { onSuccess: () => onRevoked(token) });
  };
  return (
    <Dialog title="Revoke API token" onClose={onClose}>
      <div className="dialog-body">
        {revoke.isError && <ErrorMessage title="The token was not revoked" error={revoke.error} />}
        <p className="confirm-text">
          Revoke the token <strong className="break-anywhere">{token.name}</strong>?
        </p>
        <p>
          Everything that uses it (CI jobs, helm and OCI logins, the CLI) is refused at once. This cannot be
          undone: create a new token to replace it.
        </p>
      </div>
      <div className="dialog-footer">
        <Button onClick={onClose} data-autofocus>
          Cancel
        </Button>
        <Button variant="danger" busy={revoke.isPending} onClick={confirm}>
          Revoke token
        </Button>
      </div>
    </Dialog>
  );
}
