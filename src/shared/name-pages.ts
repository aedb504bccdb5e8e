import { InvalidRequestError } from './errors.js';

/** The most items one page of a name-ordered list returns. */
export const MAX_PAGE_LIMIT = 500;

/**
 * A page of a list ordered by DNS-label names (profiles, clusters): `limit` (default 100) and the
 * opaque cursor, base64url of the last name shown, checked again once decoded since it goes into a query.
 */
export function namePage(query: { limit?: string; cursor?: string }): { limit: number; after?: string } {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new InvalidRequestError(`limit must be between 1 and ${MAX_PAGE_LIMIT}.`, [
      { field: 'limit', message: 'out of range' },
    ]);
  }
  if (query.cursor === undefined) return { limit };
  const name = Buffer.from(query.cursor, 'base64url').toString('utf8');
  if (!/^[a-z0-9-]{1,63}$/.test(name)) {
    throw new InvalidRequestError('cursor is not one this server handed out: start again without it.', [
      { field: 'cursor', message: 'invalid' },
    ]);
  }
  return { limit, after: name };
}

/** The cursor after a page: present only when there are more rows than the page shows. */
export function nextNameCursor(rows: readonly { name: string }[], limit: number): string | undefined {
  const last = rows[Math.min(rows.length, limit) - 1];
  return rows.length > limit && last ? Buffer.from(last.name, 'utf8').toString('base64url') : undefined;
}
