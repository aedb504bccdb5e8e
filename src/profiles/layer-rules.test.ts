import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCycle, installOrder, labelProblem, layerFormProblems, type LayerSpec } from './layer-rules.js';

const layer = (name: string, over: Partial<LayerSpec> = {}): LayerSpec => ({
  name,
  registry: 'r',
  chart: name,
  version: '1.0.0',
  versionConstraint: null,
  releaseName: name,
  namespace: 'default',
  createNamespace: false,
  values: '',
  dependsOn: [],
  ...over,
});

describe('install order', () => {
  it('puts dependencies first, then keeps the listed order', () => {
    const layers = [
      layer('a', { dependsOn: ['c'] }),
      layer('b'),
      layer('c'),
      layer('d', { dependsOn: ['a', 'b'] }),
    ];
    assert.deepEqual(installOrder(layers), ['b', 'c', 'a', 'd']);
  });

  it('is the listed order without dependencies', () => {
    assert.deepEqual(installOrder([layer('z'), layer('y'), layer('x')]), ['z', 'y', 'x']);
  });

  it('handles a diamond', () => {
    const layers = [
      layer('app', { dependsOn: ['db', 'cache'] }),
      layer('db', { dependsOn: ['base'] }),
      layer('cache', { dependsOn: ['base'] }),
      layer('base'),
    ];
    assert.deepEqual(installOrder(layers), ['base', 'db', 'cache', 'app']);
  });
});

describe('cycles', () => {
  it('finds a cycle and names it in order', () => {
    const layers = [
      layer('a', { dependsOn: ['b'] }),
      layer('b', { dependsOn: ['c'] }),
      layer('c', { dependsOn: ['a'] }),
    ];
    assert.deepEqual(findCycle(layers), ['a', 'b', 'c', 'a']);
  });

  it('finds none in a DAG, and ignores unknown names', () => {
    assert.equal(findCycle([layer('a', { dependsOn: ['b', 'ghost'] }), layer('b')]), null);
  });
});

describe('layer form problems', () => {
  it('accepts a valid stack', () => {
    assert.deepEqual(layerFormProblems([layer('a'), layer('b', { dependsOn: ['a'] })]), []);
  });

  it('names each problem by layer and field', () => {
    const problems = layerFormProblems([
      layer('Bad_Name', { releaseName: 'fine' }),
      layer('ok', { releaseName: 'r'.repeat(54), namespace: '-x' }),
      layer('ok', { releaseName: 'fine' }),
      layer('self', { dependsOn: ['self', 'nope'] }),
    ]);
    assert.deepEqual(
      problems.map((p) => p.field),
      [
        'layers[0].name',
        'layers[1].releaseName',
        'layers[1].namespace',
        'layers[2].name',
        'layers[2].releaseName',
        'layers[3].dependsOn',
        'layers[3].dependsOn',
      ],
    );
    assert.match(problems[0]!.message, /^Layer 1: name Bad_Name must be a DNS-1123 label/);
    assert.match(
      problems[4]!.message,
      /release "fine" in namespace "default" is installed by Layer 1 already/,
    );
  });

  it('allows one release name in two namespaces', () => {
    assert.deepEqual(
      layerFormProblems([
        layer('a', { releaseName: 'x', namespace: 'one' }),
        layer('b', { releaseName: 'x', namespace: 'two' }),
      ]),
      [],
    );
  });

  it('reports a cycle once, at its first layer', () => {
    const problems = layerFormProblems([layer('a', { dependsOn: ['b'] }), layer('b', { dependsOn: ['a'] })]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.field, 'layers[0].dependsOn');
    assert.match(problems[0]!.message, /a → b → a/);
  });
});

describe('labels', () => {
  it('follows DNS-1123 and the length limit', () => {
    assert.equal(labelProblem('kube-system', 63), null);
    assert.equal(labelProblem('a'.repeat(53), 53), null);
    assert.match(labelProblem('a'.repeat(54), 53)!, /at most 53/);
    for (const bad of ['', 'A', 'a.b', '-a', 'a-', 'a_b', '../x'])
      assert.notEqual(labelProblem(bad, 63), null, bad);
  });
});
