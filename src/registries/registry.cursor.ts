import { InvalidRequestError } from '../shared/errors.js';
import type { ListPosition } from './registry.repository.js';
import { REGISTRY_NAME_PATTERN } from './registry.schema.js';

const REGISTRY_NAME = new RegExp(REGISTRY_NAME_PATTERN);

/** Cursors are opaque to clients: base64url of the last item's position. */
export function encodeCursor(pos: ListPosition): string {
  return Buffer.from(JSON.stringify([pos.system ? 1 : 0, pos.name]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // The name goes into a query: a forged cursor must hold a name that could exist (no NUL).
    if (
      Array.isArray(value) &&
      (value[0] === 0 || value[0] === 1) &&
      typeof value[1] === 'string' &&
      REGISTRY_NAME.test(value[1])
    ) {
      return { system: value[0] === 1, name: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError('cursor is not one this server handed out: start again without it.', [
    { field: 'cursor', message: 'invalid' },
  ]);
}
