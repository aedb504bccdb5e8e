import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MAX_CHART_VALUES_BYTES, parseChartValuesYaml } from './chart-values.js';
import type { ValuesParse } from './layer-values.js';

function values(result: ValuesParse): Record<string, unknown> {
  assert.ok(result.ok, JSON.stringify(result));
  return result.values;
}

function refusal(result: ValuesParse): string {
  assert.equal(result.ok, false, 'expected a refusal');
  return result.ok ? '' : result.problems[0]!.message;
}

describe('parseChartValuesYaml', () => {
  it('expands anchors and aliases, as Helm does, into unshared copies', () => {
    const parsed = values(
      parseChartValuesYaml('port: &p http\nports:\n  - name: *p\nbase: &b {a: 1}\none: *b\ntwo: *b\n'),
    );
    assert.deepEqual(parsed, {
      port: 'http',
      ports: [{ name: 'http' }],
      base: { a: 1 },
      one: { a: 1 },
      two: { a: 1 },
    });
    assert.notEqual(parsed.one, parsed.two);
  });

  it("reads alertmanager's own values.yaml, which uses aliases", () => {
    const text = readFileSync('/work/shared/corpus/charts/alertmanager/values.yaml', 'utf8');
    const parsed = values(parseChartValuesYaml(text)) as { service: { port: unknown } };
    assert.equal(typeof parsed.service, 'object');
  });

  it('refuses an alias bomb quickly by counting, not expanding', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...'bcdefghi'
        .split('')
        .map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    ].join('\n');
    const started = performance.now();
    assert.match(refusal(parseChartValuesYaml(bomb)), /expands to more than 1000000 values/);
    assert.ok(performance.now() - started < 200);
  });

  it('refuses an aliased subtree that lands too deep', () => {
    const deep = (d: number): string => `${'{a: '.repeat(d)}1${'}'.repeat(d)}`;
    assert.ok(parseChartValuesYaml(`x: &x ${deep(40)}`).ok);
    assert.match(
      refusal(parseChartValuesYaml(`x: &x ${deep(40)}\ny: ${deep(30).replace('1', '*x')}`)),
      /deeper than 64/,
    );
  });

  it('keeps the layer rules for the rest: mapping at the root, size, syntax without echo', () => {
    assert.match(refusal(parseChartValuesYaml('- a')), /not a list/);
    assert.match(
      refusal(parseChartValuesYaml(`a: "${'x'.repeat(MAX_CHART_VALUES_BYTES)}"`)),
      /larger than 4 MiB/,
    );
    const syntax = refusal(parseChartValuesYaml('token: abc-secret\nbad: [\n'));
    assert.match(syntax, /^values are not valid YAML: line \d+/);
    assert.doesNotMatch(syntax, /abc-secret/);
    assert.deepEqual(values(parseChartValuesYaml('# nothing\n')), {});
  });
});
