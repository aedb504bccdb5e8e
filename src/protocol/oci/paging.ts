/**
 * `n`/`last` paging of tag lists and the catalog (research/protocols.md c.2): items strictly after
 * `last` in byte order, at most `n` of them, and a `Link` to the next page when more remain.
 */

export interface Page {
  items: string[];
  /** The `last` of the next page; absent when this page reaches the end. */
  nextLast?: string;
}

/** Byte order of the UTF-8 encodings (what the spec's "lexical order" means for our ASCII names). */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * One page of `sorted` (byte order, no duplicates). `n` undefined means "as many as allowed", and is
 * capped by `max` either way; `n` = 0 gives an empty page with no next one, as the spec says.
 */
export function pageAfter(
  sorted: readonly string[],
  n: number | undefined,
  last: string | undefined,
  max: number,
): Page {
  const limit = Math.max(0, Math.min(n ?? max, max));
  if (limit === 0) return { items: [] };
  let start = 0;
  if (last !== undefined) {
    // First item greater than `last` (binary search).
    let high = sorted.length;
    while (start < high) {
      const middle = (start + high) >>> 1;
      if (byteCompare(sorted[middle]!, last) <= 0) start = middle + 1;
      else high = middle;
    }
  }
  const items = sorted.slice(start, start + limit);
  const more = start + limit < sorted.length;
  return more ? { items, nextLast: items[items.length - 1]! } : { items };
}

/** `Link: </v2/...?n=N&last=L>; rel="next"` (RFC 5988; `last` URL-encoded). */
export function linkHeader(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
