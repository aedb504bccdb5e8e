import type { ReactNode } from 'react';

interface NoticeProps {
  tone: 'success' | 'warning' | 'info';
  children: ReactNode;
  onDismiss?: () => void;
}

/** A polite status message (role="status"), e.g. "Registry added", with its warnings. */
export function Notice({ tone, children, onDismiss }: NoticeProps) {
  return (
    <div className={`alert alert-${tone}`} role="status">
      <div className="alert-body">{children}</div>
      {onDismiss && (
        <button type="button" className="icon-button" onClick={onDismiss} aria-label="Dismiss message">
          <span aria-hidden="true">×</span>
        </button>
      )}
    </div>
  );
}
