import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_VALUES_BYTES, parseValuesText } from './layer-values.js';
import type { ValuesProblem } from './layer-values.js';
import { formatPath } from './values-path.js';

function problems(text: string): ValuesProblem[] {
  const parsed = parseValuesText(text);
  assert.equal(parsed.ok, false, 'expected the text to be refused');
  return parsed.ok ? [] : parsed.problems;
}

function values(text: string): Record<string, unknown> {
  const parsed = parseValuesText(text);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return parsed.values;
}

describe('parseValuesText', () => {
  it('reads empty, blank and comment-only text as an empty mapping', () => {
    for (const text of ['', '   \n\t\n', '# only a comment\n  # another\n', '---\n', '~']) {
      assert.deepEqual(values(text), {}, JSON.stringify(text));
    }
  });

  it('types scalars as Helm does: numbers, booleans, null, YAML 1.1 booleans and octal', () => {
    assert.deepEqual(
      values(
        [
          'replicas: 3',
          'ratio: 1.10',
          'enabled: true',
          'legacy: yes',
          'off_: off',
          'nothing: ~',
          'empty:',
          'mode: 0644',
          'hex: 0x1F',
          'quoted: "0644"',
          'version: "1.10"',
          'date: 2024-01-01',
          'text: hello world',
        ].join('\n'),
      ),
      {
        replicas: 3,
        ratio: 1.1,
        enabled: true,
        legacy: true,
        off_: false,
        nothing: null,
        empty: null,
        mode: 420,
        hex: 31,
        quoted: '0644',
        version: '1.10',
        date: '2024-01-01',
        text: 'hello world',
      },
    );
  });

  it('keeps nested mappings and lists, and makes keys strings', () => {
    assert.deepEqual(values('ingress:\n  hosts:\n    - host: a.example\n      paths: [/, /api]\n1: one'), {
      ingress: { hosts: [{ host: 'a.example', paths: ['/', '/api'] }] },
      '1': 'one',
    });
  });

  it('keeps a __proto__ key as data, never as a prototype', () => {
    const parsed = values('__proto__:\n  polluted: true\n');
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(Object.keys(parsed), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses a list, a scalar or a string at the root, at path ``', () => {
    assert.match(problems('- a\n- b')[0]!.message, /mapping.*not a list/);
    assert.match(problems('42')[0]!.message, /not a single number value/);
    assert.match(problems('just text')[0]!.message, /not a single string value/);
    assert.equal(problems('- a')[0]!.path, '');
  });

  it('refuses anchors and aliases before expanding an alias bomb', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...'bcdefghi'
        .split('')
        .map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    ].join('\n');
    const started = performance.now();
    const [problem] = problems(bomb);
    assert.ok(performance.now() - started < 100);
    assert.match(problem!.message, /anchors or aliases/);
    assert.match(problems('base: &b {x: 1}\nother: *b')[0]!.message, /anchors/);
  });

  it('refuses 10 MiB at once, and counts UTF-8 bytes, not characters', () => {
    const huge = `a: "${'x'.repeat(10 * 1024 * 1024)}"`;
    const started = performance.now();
    const [problem] = problems(huge);
    assert.ok(performance.now() - started < 20, 'refused without parsing');
    assert.match(problem!.message, /at most 1048576 bytes/);

    const twoByteChars = `a: "${'é'.repeat(MAX_VALUES_BYTES / 2)}"`; // under the limit in characters, over in bytes
    assert.ok(twoByteChars.length < MAX_VALUES_BYTES);
    assert.match(problems(twoByteChars)[0]!.message, /values are \d+ bytes/);
    assert.ok(parseValuesText(`a: "${'x'.repeat(MAX_VALUES_BYTES - 10)}"`).ok);
  });

  it('refuses nesting deeper than 64 levels and accepts 60', () => {
    const nested = (depth: number): string =>
      Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' leaf';
    assert.ok(parseValuesText(nested(60)).ok);
    assert.match(problems(nested(70))[0]!.message, /deeper than 64/);
    assert.match(problems(`a: ${'['.repeat(100)}${']'.repeat(100)}`)[0]!.message, /deeper than 64/);
  });

  it('reports YAML syntax errors by line without quoting the text', () => {
    const [problem] = problems('password: hunter2-secret\nbad: [unclosed\nnext: 1');
    assert.equal(problem!.path, '');
    assert.match(problem!.message, /^values are not valid YAML: line \d+: /);
    assert.doesNotMatch(problem!.message, /hunter2/);
    assert.match(problems('a: 1\na: 2')[0]!.message, /line 2: duplicated mapping key/);
  });

  it('refuses infinity and NaN at their path, and keys that are mappings', () => {
    assert.deepEqual(problems('limits:\n  list: [1, .inf]\n  notANumber: .nan'), [
      {
        path: 'limits.list[1]',
        message: 'infinity and NaN (.inf, .nan) are not JSON numbers: quote the value if it is text',
      },
      {
        path: 'limits.notANumber',
        message: 'infinity and NaN (.inf, .nan) are not JSON numbers: quote the value if it is text',
      },
    ]);
    assert.equal(problems('top:\n  ? {a: 1}\n  : 2')[0]!.path, 'top');
  });
});

describe('formatPath', () => {
  it('writes dotted keys, bracketed indexes, and brackets for keys a dot would split', () => {
    assert.equal(formatPath([]), '');
    assert.equal(formatPath(['ingress', 'hosts', 0, 'host']), 'ingress.hosts[0].host');
    assert.equal(formatPath([0, 'a']), '[0].a');
    assert.equal(
      formatPath(['annotations', 'nginx.ingress.kubernetes.io/rewrite']),
      'annotations["nginx.ingress.kubernetes.io/rewrite"]',
    );
    assert.equal(formatPath(['a b', '']), '["a b"][""]');
    assert.equal(formatPath(['k'.repeat(200)]), `${'k'.repeat(80)}…`);
  });
});
