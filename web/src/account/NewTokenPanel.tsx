import type { IssuedTokenView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { useCopy } from '../ui/use-copy';

/** A token just created: shown this once, with a Copy button, until the user dismisses it. */
export function NewTokenPanel({ issued, onDone }: { issued: IssuedTokenView; onDone: () => void }) {
  const { ref, state, copy } = useCopy<HTMLElement>();
  return (
    <section className="token-reveal" aria-labelledby="new-token-title">
      <h2 id="new-token-title">Token "{issued.name}" created</h2>
      <p>
        Copy it now: it is not shown again. It{' '}
        {issued.expiresAt ? `expires ${formatDate(issued.expiresAt)}` : 'never expires'}.
      </p>
      <div className="token-reveal-row">
        <code ref={ref} aria-label="New API token" tabIndex={0}>
          {issued.token}
        </code>
        <Button className="btn-small" onClick={() => void copy(issued.token)}>
          {state === 'copied' ? 'Copied' : 'Copy'}
        </Button>
        <Button className="btn-small" variant="ghost" onClick={onDone}>
          Done
        </Button>
      </div>
      <span className={state === 'failed' ? 'command-copy-failed' : 'visually-hidden'} role="status">
        {state === 'copied'
          ? 'Copied the token to the clipboard.'
          : state === 'failed'
            ? 'The browser did not allow copying: the token is selected, press Ctrl+C to copy it.'
            : ''}
      </span>
    </section>
  );
}
