import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeReleaseChart, encodeReleaseChart } from './release-chart-json.js';
import type { ReleaseChart } from './release-record.js';

const chart = (order: 'ab' | 'ba'): ReleaseChart => ({
  metadata:
    order === 'ab'
      ? { apiVersion: 'v2', name: 'web', version: '1.0.0' }
      : { version: '1.0.0', name: 'web', apiVersion: 'v2' },
  templates: [{ name: 'templates/a.yaml', data: Buffer.from([0, 1, 2, 255]) }],
  values: order === 'ab' ? { a: 1, b: { c: [1, { e: 2, d: 1 }] } } : { b: { c: [1, { d: 1, e: 2 }] }, a: 1 },
  schema: Buffer.from('{"type":"object"}'),
  files: [{ name: 'README.md', data: Buffer.from('# web\n') }],
});

describe('release chart JSON', () => {
  it('is canonical: key order does not change the bytes', () => {
    assert.deepEqual(encodeReleaseChart(chart('ab')), encodeReleaseChart(chart('ba')));
  });

  it('round-trips bytes exactly, binary included', () => {
    const back = decodeReleaseChart(encodeReleaseChart(chart('ab')));
    assert.deepEqual(back.templates[0]!.data, Buffer.from([0, 1, 2, 255]));
    assert.equal(back.schema?.toString(), '{"type":"object"}');
    assert.deepEqual(back.values, { a: 1, b: { c: [1, { d: 1, e: 2 }] } });
  });

  it('refuses what it did not write', () => {
    assert.throws(() => decodeReleaseChart(Buffer.from('{"metadata":[]}')));
  });
});
