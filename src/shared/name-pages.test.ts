import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from './errors.js';
import { namePage, nextNameCursor } from './name-pages.js';

describe('name-ordered pages', () => {
  it('reads limit and cursor, and hands out the next cursor only when more rows follow', () => {
    assert.deepEqual(namePage({}), { limit: 100 });
    const rows = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    const next = nextNameCursor(rows, 2);
    assert.equal(nextNameCursor(rows, 3), undefined);
    assert.deepEqual(namePage({ limit: '2', cursor: next! }), { limit: 2, after: 'b' });
  });

  it('refuses limits out of range and cursors it never handed out (a NUL or quote must not reach a query)', () => {
    for (const limit of ['0', '501', '1.5']) assert.throws(() => namePage({ limit }), InvalidRequestError);
    for (const name of ['a\u0000b', "x' OR 1=1", '']) {
      const cursor = Buffer.from(name, 'utf8').toString('base64url');
      assert.throws(() => namePage({ cursor }), InvalidRequestError);
    }
  });
});
