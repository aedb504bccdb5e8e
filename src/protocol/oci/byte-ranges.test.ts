import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContentRange, parseRangeHeader } from './byte-ranges.js';

describe('parseContentRange (PATCH)', () => {
  it('reads the spec form, inclusive', () => {
    assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseContentRange(' 100-100 '), { start: 100, end: 100 });
  });
  it('is null when absent (a streamed chunk)', () => {
    assert.equal(parseContentRange(undefined), null);
    assert.equal(parseContentRange(''), null);
  });
  it('refuses other forms and end before start', () => {
    for (const header of [
      'bytes 0-99/100',
      'bytes=0-99',
      '5-4',
      '-5',
      '0-',
      'a-b',
      '1-2-3',
      '99999999999999999999-1',
    ]) {
      assert.equal(parseContentRange(header), 'invalid', header);
    }
  });
});

describe('parseRangeHeader (GET blob)', () => {
  it('reads a-b, a- and -n, clamped to the blob', () => {
    assert.deepEqual(parseRangeHeader('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRangeHeader('bytes=90-200', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=10-', 100), { start: 10, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=-500', 100), { start: 0, end: 99 });
    assert.deepEqual(parseRangeHeader('Bytes = 5 - 6', 100), { start: 5, end: 6 });
  });
  it('is unsatisfiable past the end, for -0 and for an empty blob', () => {
    assert.equal(parseRangeHeader('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=100-200', 100), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=-0', 100), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=-5', 0), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=0-', 0), 'unsatisfiable');
  });
  it('is null (serve the whole blob) for no header, several ranges, other units and malformed ones', () => {
    for (const header of [
      undefined,
      '',
      'bytes=0-1,5-6',
      'items=0-1',
      'bytes=5-4',
      'bytes=-',
      'bytes=a-b',
      'bytes 0-1',
    ]) {
      assert.equal(parseRangeHeader(header, 100), null, String(header));
    }
  });
});
