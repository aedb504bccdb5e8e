/**
 * Byte ranges of the OCI distribution API: `Content-Range` on chunked upload PATCHes (spec form
 * `<start>-<end>`, inclusive, no unit) and `Range` on blob GETs (RFC 9110 §14, one range only).
 */

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

const CONTENT_RANGE = /^([0-9]+)-([0-9]+)$/;

/**
 * A PATCH's `Content-Range`: null when absent (a "streamed" chunk, as Docker sends: append it),
 * 'invalid' when malformed or end < start (answer 416).
 */
export function parseContentRange(header: string | undefined): ByteRange | null | 'invalid' {
  if (header === undefined) return null;
  const text = header.trim();
  if (text === '') return null;
  const match = CONTENT_RANGE.exec(text);
  if (match === null) return 'invalid';
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return 'invalid';
  return { start, end };
}

const RANGE = /^bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)$/i;

/**
 * A blob GET's `Range` against a blob of `size` bytes, clamped to the blob. Null means "serve the
 * whole body with 200": no header, another unit, several ranges (allowed by RFC 9110), or a malformed
 * one (which RFC 9110 says to ignore). 'unsatisfiable' means 416 with `Content-Range: bytes * /size`.
 */
export function parseRangeHeader(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = RANGE.exec(header.trim());
  if (match === null) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    // Suffix range: the last n bytes.
    const n = Number(last);
    if (!Number.isSafeInteger(n)) return null;
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (!Number.isSafeInteger(start) || (last !== '' && !Number.isSafeInteger(end))) return null;
  if (end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}
