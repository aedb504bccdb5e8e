import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';

interface PublishDialogProps {
  name: string;
  version: string;
  busy: boolean;
  onConfirm: () => void;
  onClose: () => void;
}

/** Asks before publishing: it saves what is on screen, resolves every layer and freezes the version. */
export function PublishDialog({ name, version, busy, onConfirm, onClose }: PublishDialogProps) {
  return (
    <Dialog title={`Publish ${version}`} onClose={onClose}>
      <div className="dialog-body">
        <p className="confirm-text">
          Publishing freezes {version} of <strong className="break-anywhere">{name}</strong>: every constraint
          is resolved to an exact version and its digest recorded. A published version never changes; later
          changes need a new version.
        </p>
        <p className="muted">What is on screen is saved first.</p>
      </div>
      <div className="dialog-footer">
        <Button onClick={onClose} data-autofocus>
          Cancel
        </Button>
        <Button variant="primary" busy={busy} onClick={() => !busy && onConfirm()}>
          Publish {version}
        </Button>
      </div>
    </Dialog>
  );
}
