import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coalesceValues } from './coalesce-values.js';
import { layerUpdates } from './layer-updates.js';

describe('coalesceValues (Helm: user values over chart defaults)', () => {
  it('merges mappings key by key and lets other values replace defaults', () => {
    const defaults = { replicaCount: 1, image: { repository: 'nginx', tag: 'latest' }, ports: [80] };
    const user = { image: { tag: '1.25' }, ports: [8080], extra: true };
    assert.deepEqual(coalesceValues(defaults, user), {
      replicaCount: 1,
      image: { repository: 'nginx', tag: '1.25' },
      ports: [8080],
      extra: true,
    });
    assert.deepEqual(defaults.image, { repository: 'nginx', tag: 'latest' }, 'inputs untouched');
  });

  it('deletes a default key when the user gives null', () => {
    assert.deepEqual(coalesceValues({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { d: null } }), {
      b: { c: 2 },
    });
  });

  it('replaces a mapping with a scalar and a scalar with a mapping', () => {
    assert.deepEqual(coalesceValues({ a: { x: 1 }, b: 2 }, { a: 'off', b: { y: 1 } }), {
      a: 'off',
      b: { y: 1 },
    });
  });

  it('keeps __proto__ as a plain key, never as a prototype', () => {
    const user = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const out = coalesceValues({}, user);
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((out as { polluted?: boolean }).polluted, undefined);
  });
});

describe('layerUpdates', () => {
  const catalog = ['2.1.0-rc.1', '2.0.0', '1.3.0', '1.2.5', '1.2.0', '1.0.0'];

  it('offers the newest within the constraint and the newest overall', () => {
    assert.deepEqual(layerUpdates('1.2.0', '~1.2', catalog), { withinConstraint: '1.2.5', latest: '2.0.0' });
    assert.deepEqual(layerUpdates('1.2.5', '~1.2', catalog), { withinConstraint: null, latest: '2.0.0' });
  });

  it('uses the major of an exact version', () => {
    assert.deepEqual(layerUpdates('1.0.0', null, catalog), { withinConstraint: '1.3.0', latest: '2.0.0' });
    assert.deepEqual(layerUpdates('2.0.0', null, catalog), { withinConstraint: null, latest: null });
  });

  it('offers pre-releases only to a layer on a pre-release', () => {
    assert.deepEqual(layerUpdates('2.1.0-beta.1', null, catalog), {
      withinConstraint: '2.1.0-rc.1',
      latest: '2.1.0-rc.1',
    });
  });

  it('says nothing without a version or a catalog', () => {
    assert.deepEqual(layerUpdates(null, '^1', catalog), { withinConstraint: null, latest: null });
    assert.deepEqual(layerUpdates('1.0.0', null, []), { withinConstraint: null, latest: null });
  });
});
