import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('answers until the entry expires, then forgets it', () => {
    const cache = new TtlCache<string>(1_000);
    cache.set('k', 'v', Infinity, 10_000);
    assert.equal(cache.get('k', 10_999), 'v');
    assert.equal(cache.get('k', 11_000), undefined);
    assert.equal(cache.get('k', 10_500), undefined, 'an expired entry is gone, not revived');
  });

  it('ends an entry earlier when the caller knows an earlier end', () => {
    const cache = new TtlCache<string>(1_000);
    cache.set('k', 'v', 10_200, 10_000);
    assert.equal(cache.get('k', 10_199), 'v');
    assert.equal(cache.get('k', 10_200), undefined);
    cache.set('gone', 'v', 9_000, 10_000);
    assert.equal(cache.get('gone', 10_000), undefined, 'an entry already past its end is not kept');
  });

  it('drops the oldest entry when full, and forgets on delete', () => {
    const cache = new TtlCache<number>(60_000, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('b'), 2);
    cache.delete('b');
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('c'), 3);
  });

  it('drops the entries a predicate picks, and only those', () => {
    const cache = new TtlCache<{ user: string }>(1_000);
    cache.set('a', { user: 'u1' }, Infinity, 0);
    cache.set('b', { user: 'u2' }, Infinity, 0);
    cache.set('c', { user: 'u1' }, Infinity, 0);
    cache.deleteWhere((_key, value) => value.user === 'u1');
    assert.equal(cache.get('a', 1), undefined);
    assert.equal(cache.get('c', 1), undefined);
    assert.deepEqual(cache.get('b', 1), { user: 'u2' });
  });
});
