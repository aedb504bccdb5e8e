import { Button } from './Button';
import { useCopy } from './use-copy';

/** A labelled one-line value (a reference, a URL) with a Copy button. */
export function CopyText({ label, text }: { label: string; text: string }) {
  const { ref, state, copy } = useCopy<HTMLElement>();
  return (
    <div className="copy-text" data-copy={label}>
      <span className="copy-text-label">{label}</span>
      <code ref={ref} className="mono">
        {text}
      </code>
      <Button
        className="btn-small"
        onClick={() => void copy(text)}
        aria-label={`${state === 'copied' ? 'Copied' : 'Copy'}: ${label}`}
      >
        {state === 'copied' ? 'Copied' : 'Copy'}
      </Button>
      <span className="visually-hidden" role="status">
        {state === 'copied'
          ? `Copied the ${label} to the clipboard.`
          : state === 'failed'
            ? `The browser did not allow copying: the ${label} is selected, press Ctrl+C to copy it.`
            : ''}
      </span>
    </div>
  );
}
