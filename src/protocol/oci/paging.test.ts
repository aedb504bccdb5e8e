import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkHeader, pageAfter } from './paging.js';

const TAGS = ['1.0.0', '1.1.0', '1.1.0_build.3', '2.0.0', 'latest'];

describe('pageAfter', () => {
  it('returns everything up to max without a next page', () => {
    assert.deepEqual(pageAfter(TAGS, undefined, undefined, 100), { items: TAGS });
  });
  it('returns n items and the last one as the next page start', () => {
    assert.deepEqual(pageAfter(TAGS, 2, undefined, 100), { items: ['1.0.0', '1.1.0'], nextLast: '1.1.0' });
    assert.deepEqual(pageAfter(TAGS, 2, '1.1.0', 100), {
      items: ['1.1.0_build.3', '2.0.0'],
      nextLast: '2.0.0',
    });
    assert.deepEqual(pageAfter(TAGS, 2, '2.0.0', 100), { items: ['latest'] });
    assert.deepEqual(pageAfter(TAGS, 3, '1.1.0_build.3', 100), { items: ['2.0.0', 'latest'] });
  });
  it('starts strictly after last, even when last is not in the list', () => {
    assert.deepEqual(pageAfter(TAGS, 10, '1.05', 100), {
      items: ['1.1.0', '1.1.0_build.3', '2.0.0', 'latest'],
    });
    assert.deepEqual(pageAfter(TAGS, 10, 'zzz', 100), { items: [] });
    assert.deepEqual(pageAfter(TAGS, 10, '', 100), { items: TAGS });
  });
  it('gives an empty page with no next one for n = 0', () => {
    assert.deepEqual(pageAfter(TAGS, 0, undefined, 100), { items: [] });
  });
  it('caps n by max and then pages', () => {
    assert.deepEqual(pageAfter(TAGS, 1000, undefined, 3), {
      items: ['1.0.0', '1.1.0', '1.1.0_build.3'],
      nextLast: '1.1.0_build.3',
    });
    assert.deepEqual(pageAfter(TAGS, undefined, undefined, 4), {
      items: TAGS.slice(0, 4),
      nextLast: '2.0.0',
    });
  });
  it('compares in byte order (uppercase before lowercase)', () => {
    assert.deepEqual(pageAfter(['B', 'a', 'b'], 10, 'B', 10), { items: ['a', 'b'] });
  });
});

describe('linkHeader', () => {
  it('writes an RFC 5988 next link with last URL-encoded', () => {
    assert.equal(
      linkHeader('/v2/acme/x/tags/list', 2, '1.1.0'),
      '</v2/acme/x/tags/list?n=2&last=1.1.0>; rel="next"',
    );
    assert.equal(
      linkHeader('/v2/_catalog', 50, 'acme/x y'),
      '</v2/_catalog?n=50&last=acme%2Fx%20y>; rel="next"',
    );
  });
});
