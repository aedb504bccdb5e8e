import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffValues } from './values-diff.js';

describe('diffValues', () => {
  it('finds nothing between equal values, whatever the key order', () => {
    assert.deepEqual(
      diffValues({ a: 1, b: { c: [1, { d: null }] } }, { b: { c: [1, { d: null }] }, a: 1 }),
      [],
    );
    assert.deepEqual(diffValues({}, {}), []);
  });

  it('reports added, removed and changed keys, recursing into mappings, sorted by key', () => {
    assert.deepEqual(
      diffValues(
        { replicas: 1, image: { tag: '1.0', pullPolicy: 'Always' }, old: { x: 1 } },
        { replicas: 2, image: { tag: '1.1', digest: 'sha256:abc' }, ingress: { enabled: true } },
      ),
      [
        { path: 'image.digest', kind: 'added', to: 'sha256:abc' },
        { path: 'image.pullPolicy', kind: 'removed', from: 'Always' },
        { path: 'image.tag', kind: 'changed', from: '1.0', to: '1.1' },
        { path: 'ingress', kind: 'added', to: { enabled: true } },
        { path: 'old', kind: 'removed', from: { x: 1 } },
        { path: 'replicas', kind: 'changed', from: 1, to: 2 },
      ],
    );
  });

  it('compares lists of the same length item by item, others as a whole', () => {
    assert.deepEqual(
      diffValues(
        { hosts: [{ host: 'a' }, { host: 'b' }], args: ['--x'] },
        { hosts: [{ host: 'a' }, { host: 'c' }], args: ['--x', '--y'] },
      ),
      [
        { path: 'args', kind: 'changed', from: ['--x'], to: ['--x', '--y'] },
        { path: 'hosts[1].host', kind: 'changed', from: 'b', to: 'c' },
      ],
    );
  });

  it('tells null from absent, and types apart', () => {
    assert.deepEqual(diffValues({ a: null, b: 1, c: { x: 1 }, d: '1' }, { b: null, c: [1], d: 1 }), [
      { path: 'a', kind: 'removed', from: null },
      { path: 'b', kind: 'changed', from: 1, to: null },
      { path: 'c', kind: 'changed', from: { x: 1 }, to: [1] },
      { path: 'd', kind: 'changed', from: '1', to: 1 },
    ]);
  });

  it('writes paths for keys with dots, and orders list items by index', () => {
    const many = Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(
      diffValues(
        { annotations: { 'a.b/c': 'x' }, l: many },
        { annotations: { 'a.b/c': 'y' }, l: many.map((n) => (n === 2 || n === 10 ? -n : n)) },
      ).map((change) => change.path),
      ['annotations["a.b/c"]', 'l[2]', 'l[10]'],
    );
  });
});
