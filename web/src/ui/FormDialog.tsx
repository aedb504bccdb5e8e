import type { FormEvent, ReactNode } from 'react';
import { Button } from './Button';
import { Dialog } from './Dialog';

interface FormDialogProps {
  title: string;
  onClose: () => void;
  onSubmit: (event: FormEvent) => void;
  /** While the request runs: fields disabled, Confirm busy (one click, one request). */
  pending: boolean;
  /** An error not tied to a field, shown above the fields. */
  summary: string | null;
  /** The submit button's words when "Confirm" says too little ("Discover now"). */
  submitLabel?: string;
  children: ReactNode;
}

/** A dialog holding a small form: error summary, fields, and Cancel / Confirm. */
export function FormDialog({
  title,
  onClose,
  onSubmit,
  pending,
  summary,
  submitLabel = 'Confirm',
  children,
}: FormDialogProps) {
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={onSubmit} noValidate className="dialog-form">
        <div className="dialog-body">
          {summary && (
            <div className="alert alert-error" role="alert">
              <div className="alert-body">{summary}</div>
            </div>
          )}
          <fieldset disabled={pending} className="plain-fieldset">
            {children}
          </fieldset>
        </div>
        <div className="dialog-footer">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={pending}>
            {submitLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
