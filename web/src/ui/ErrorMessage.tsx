import { Button } from './Button';
import { describeError } from './describe-error';

interface ErrorMessageProps {
  error: unknown;
  /** What failed, e.g. "Could not load the registries". */
  title: string;
  onRetry?: () => void;
  retrying?: boolean;
}

/** A failed request in words, with a Retry button when the caller can try again. */
export function ErrorMessage({ error, title, onRetry, retrying }: ErrorMessageProps) {
  return (
    <div className="alert alert-error" role="alert">
      <div className="alert-body">
        <strong>{title}</strong>
        <p>{describeError(error)}</p>
      </div>
      {onRetry && (
        <Button onClick={onRetry} busy={retrying ?? false}>
          Retry
        </Button>
      )}
    </div>
  );
}
