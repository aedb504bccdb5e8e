import { useEffect, useId, useRef, useState } from 'react';
import { Button } from '../ui/Button';
import type { Instruction } from './instructions';

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * One titled shell command with a Copy button. The clipboard API needs a secure context (https or
 * localhost); elsewhere the command is selected so that Ctrl+C copies it, and the status says so.
 */
export function CommandBlock({ step }: { step: Instruction }) {
  const titleId = useId();
  const codeRef = useRef<HTMLElement>(null);
  const [state, setState] = useState<CopyState>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 4_000);
    return () => clearTimeout(timer);
  }, [state]);

  const selectCommand = () => {
    const code = codeRef.current;
    const selection = window.getSelection();
    if (!code || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(code);
    selection.removeAllRanges();
    selection.addRange(range);
  };

  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(step.command);
      setState('copied');
    } catch {
      selectCommand();
      setState('failed');
    }
  };

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
