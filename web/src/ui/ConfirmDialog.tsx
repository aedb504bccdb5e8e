import type { ReactNode } from 'react';
import { Button } from './Button';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';

interface ConfirmDialogProps {
  title: string;
  /** The danger button's words: what happens ("Delete registry", "Revoke token"). */
  confirmLabel: string;
  /** The request is running: one click, one request. */
  busy: boolean;
  /** Set when the request failed: shown inside the dialog, which stays open. */
  failure: { title: string; error: unknown } | null;
  onConfirm: () => void;
  onClose: () => void;
  /** The question, and what it will do. */
  children: ReactNode;
}

/** Asks before something that cannot be undone; Cancel has the focus, so Enter never destroys. */
export function ConfirmDialog({
  title,
  confirmLabel,
  busy,
  failure,
  onConfirm,
  onClose,
  children,
}: ConfirmDialogProps) {
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="dialog-body">
        {failure && <ErrorMessage title={failure.title} error={failure.error} />}
        {children}
      </div>
      <div className="dialog-footer">
        <Button onClick={onClose} data-autofocus>
          Cancel
        </Button>
        <Button variant="danger" busy={busy} onClick={() => !busy && onConfirm()}>
          {confirmLabel}
        </Button>
      </div>
    </Dialog>
  );
}
