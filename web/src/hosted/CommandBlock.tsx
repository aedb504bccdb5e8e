import { useId } from 'react';
import { Button } from '../ui/Button';
import { useCopy } from '../ui/use-copy';
import type { Instruction } from './instructions';

/** One titled shell command with a Copy button (use-copy.ts: the clipboard, or a selection to copy). */
export function CommandBlock({ step }: { step: Instruction }) {
  const titleId = useId();
  const { ref: codeRef, state, copy: copyText } = useCopy<HTMLElement>();
  const copy = () => copyText(step.command);

  return (
    <li className="command" data-instruction={step.id}>
      <div className="command-header">
        <h3 id={titleId}>{step.title}</h3>
        <Button
          className="btn-small"
          onClick={() => void copy()}
          aria-label={`${state === 'copied' ? 'Copied' : 'Copy'}: ${step.title}`}
        >
          {state === 'copied' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <pre className="command-code" tabIndex={0} aria-labelledby={titleId}>
        <code ref={codeRef}>{step.command}</code>
      </pre>
      {step.note && <p className="field-hint">{step.note}</p>}
      <span className={state === 'failed' ? 'command-copy-failed' : 'visually-hidden'} role="status">
        {state === 'copied'
          ? `Copied "${step.title}" to the clipboard.`
          : state === 'failed'
            ? 'The browser did not allow copying: the command is selected, press Ctrl+C to copy it.'
            : ''}
      </span>
    </li>
  );
}
