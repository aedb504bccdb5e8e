import { useCallback, useState } from 'react';
import { Button } from './Button';

/** Keyset pages walked forward and back: the cursors of the pages before this one are kept. */
export interface CursorPages {
  /** The cursor of the page shown (undefined: the first). */
  cursor: string | undefined;
  /** 1-based. */
  page: number;
  next(nextCursor: string | undefined): void;
  previous(): void;
  /** Back to the first page (a new search, a deleted item). */
  reset(): void;
}

export function useCursorPages(): CursorPages {
  // Cursors of the pages before the current one: Previous pops, Next pushes.
  const [cursors, setCursors] = useState<(string | undefined)[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  // Stable, so effects may depend on it (a debounced search resets the pages).
  const reset = useCallback(() => {
    setCursors([]);
    setCursor(undefined);
  }, []);
  return {
    cursor,
    page: cursors.length + 1,
    next: (nextCursor) => {
      setCursors([...cursors, cursor]);
      setCursor(nextCursor);
    },
    previous: () => {
      setCursor(cursors[cursors.length - 1]);
      setCursors(cursors.slice(0, -1));
    },
    reset,
  };
}

/** "Page 2 (50 per page)" with Previous/Next; nothing when there is one page only. */
export function CursorPager({
  pages,
  nextCursor,
  pageSize,
}: {
  pages: CursorPages;
  nextCursor: string | undefined;
  pageSize: number;
}) {
  if (pages.page === 1 && !nextCursor) return null;
  return (
    <nav className="pagination" aria-label="Pages">
      <span aria-live="polite">
        Page {pages.page} ({pageSize} per page)
      </span>
      <div className="pagination-buttons">
        <Button disabled={pages.page === 1} onClick={pages.previous}>
          Previous
        </Button>
        <Button disabled={!nextCursor} onClick={() => pages.next(nextCursor)}>
          Next
        </Button>
      </div>
    </nav>
  );
}
