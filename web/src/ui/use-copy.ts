import { useEffect, useRef, useState, type RefObject } from 'react';

export type CopyState = 'idle' | 'copied' | 'failed';

/**
 * Copies a text to the clipboard. The clipboard API needs a secure context (https or localhost);
 * elsewhere the element holding the text is selected so that Ctrl+C copies it, and the state says so.
 * The state returns to idle after a few seconds.
 */
export function useCopy<T extends HTMLElement>(): {
  ref: RefObject<T | null>;
  state: CopyState;
  copy: (text: string) => Promise<void>;
} {
  const ref = useRef<T>(null);
  const [state, setState] = useState<CopyState>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 4_000);
    return () => clearTimeout(timer);
  }, [state]);

  const copy = async (text: string) => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      const node = ref.current;
      const selection = window.getSelection();
      if (node && selection) {
        const range = document.createRange();
        range.selectNodeContents(node);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setState('failed');
    }
  };

  return { ref, state, copy };
}
