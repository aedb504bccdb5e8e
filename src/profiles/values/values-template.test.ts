import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ValuesProblem } from './layer-values.js';
import {
  checkVariableDeclarations,
  MAX_SUBSTITUTED_CHARS,
  renderValues,
  renderValuesForValidation,
  variableReferences,
} from './values-template.js';
import type { ProfileVariable, RenderResult, VariableValue } from './values-template.js';

const variables: ProfileVariable[] = [
  { name: 'port', type: 'number', required: true, sensitive: false },
  { name: 'host', type: 'string', required: false, sensitive: false, default: 'svc.example' },
  { name: 'tls', type: 'boolean', required: false, sensitive: false },
  { name: 'password', type: 'string', required: true, sensitive: true },
  { name: 'flag', type: 'string', required: false, sensitive: false },
];

function rendered(result: RenderResult): { values: Record<string, unknown>; templatedPaths: string[] } {
  assert.ok(result.ok, JSON.stringify(result));
  return result;
}

function refused(result: RenderResult): ValuesProblem[] {
  assert.equal(result.ok, false, `expected problems, got ${JSON.stringify(result)}`);
  return result.ok ? [] : result.problems;
}

const given: Record<string, VariableValue> = { port: 8443, password: 's3cr3t-value' };

describe('renderValues', () => {
  it('substitutes a lone unquoted reference by the typed value', () => {
    const out = rendered(
      renderValues(
        'service:\n  port: {{ .Variables.port }}\n  tls: {{.Variables.tls}}\n  host: {{\t.Variables.host }}\n',
        variables,
        { ...given, tls: true },
      ),
    );
    assert.deepEqual(out.values, { service: { port: 8443, tls: true, host: 'svc.example' } });
    assert.deepEqual(out.templatedPaths, ['service.port', 'service.tls', 'service.host']);
  });

  it('never re-reads a string value as YAML', () => {
    const out = rendered(
      renderValues('a: {{ .Variables.flag }}\nb: {{ .Variables.flag }}', variables, {
        ...given,
        flag: 'true',
      }),
    );
    assert.deepEqual(out.values, { a: 'true', b: 'true' });
    const tricky = rendered(
      renderValues('a: {{ .Variables.flag }}', variables, { ...given, flag: '{x: [1]}\n- y' }),
    );
    assert.deepEqual(tricky.values, { a: '{x: [1]}\n- y' });
  });

  it('gives text for a reference alone in quotes, as a Go template would', () => {
    const out = rendered(
      renderValues(
        `annotations:\n  prometheus.io/port: "{{ .Variables.port }}"\n  single: '{{ .Variables.tls }}'\n  none: "{{ .Variables.flag }}"`,
        variables,
        { ...given, tls: false },
      ),
    );
    assert.deepEqual(out.values, {
      annotations: { 'prometheus.io/port': '8443', single: 'false', none: '' },
    });
    assert.deepEqual(out.templatedPaths, [
      'annotations["prometheus.io/port"]',
      'annotations.single',
      'annotations.none',
    ]);
  });

  it('interpolates references among other text, block scalars and lists included', () => {
    const text = [
      'url: http://{{ .Variables.host }}:{{ .Variables.port }}/api',
      'script: |',
      '  connect {{ .Variables.host }}',
      '  port {{ .Variables.port }}',
      'args: ["--port={{ .Variables.port }}", plain]',
    ].join('\n');
    const out = rendered(renderValues(text, variables, given));
    assert.deepEqual(out.values, {
      url: 'http://svc.example:8443/api',
      script: 'connect svc.example\nport 8443\n',
      args: ['--port=8443', 'plain'],
    });
    assert.deepEqual(out.templatedPaths, ['url', 'script', 'args[0]']);
  });

  it('uses the default, else null for an optional variable, and refuses a missing required one', () => {
    const out = rendered(
      renderValues(
        'h: {{ .Variables.host }}\nt: {{ .Variables.tls }}\np: {{ .Variables.port }}',
        variables,
        given,
      ),
    );
    assert.deepEqual(out.values, { h: 'svc.example', t: null, p: 8443 });
    assert.deepEqual(
      refused(
        renderValues(
          'db:\n  pw: {{ .Variables.password }}\n  again: {{ .Variables.password }}',
          variables,
          {},
        ),
      ),
      [{ path: 'db.pw', message: 'variable password is required: give it a value' }],
    );
  });

  it('refuses a value of the wrong type without showing it', () => {
    const problems = refused(
      renderValues('p: {{ .Variables.port }}\nw: {{ .Variables.password }}', variables, {
        port: '8443',
        password: 42,
      }),
    );
    assert.deepEqual(problems, [
      { path: 'p', message: 'variable port must be a finite number, not a string' },
      { path: 'w', message: 'variable password must be a string, not a number' },
    ]);
    assert.match(
      refused(renderValues('p: {{ .Variables.port }}', variables, { port: Infinity }))[0]!.message,
      /finite number/,
    );
  });

  it('names an undeclared variable and where it is used', () => {
    assert.deepEqual(refused(renderValues('a:\n  list:\n    - {{ .Variables.nope }}', variables, given)), [
      {
        path: 'a.list[0]',
        message: "unknown variable nope: declare it in the profile's variables or remove the reference",
      },
    ]);
  });

  it('refuses a reference in a mapping key', () => {
    const problems = refused(
      renderValues('labels:\n  {{ .Variables.flag }}: x\n', variables, { ...given, flag: 'k' }),
    );
    assert.deepEqual(problems, [
      {
        path: 'labels',
        message:
          'a mapping key uses {{ .Variables.flag }}: variables can only be used in values, not in keys',
      },
    ]);
  });

  it("leaves other template expressions for the chart's tpl, and ignores references in comments", () => {
    const out = rendered(
      renderValues(
        'url: "http://{{ .Release.Name }}-svc:{{ .Variables.port }}"\n# {{ .Variables.undeclared }}\n',
        variables,
        given,
      ),
    );
    assert.deepEqual(out.values, { url: 'http://{{ .Release.Name }}-svc:8443' });
  });

  it('cannot be fooled by text that looks like its sentinel', () => {
    const out = rendered(renderValues('a: chv0123456789abp0Z\nb: {{ .Variables.port }}', variables, given));
    assert.deepEqual(out.values, { a: 'chv0123456789abp0Z', b: 8443 });
  });

  it('reports YAML errors of the text with the template in place, sentinels unseen', () => {
    const [problem] = refused(renderValues('a: {{ .Variables.port }}\n b: [', variables, given));
    assert.match(problem!.message, /^values are not valid YAML: line \d/);
    assert.doesNotMatch(problem!.message, /chv/);
  });

  it('bounds the text variables add, whatever the number of references', () => {
    const big = 'x'.repeat(MAX_SUBSTITUTED_CHARS / 4);
    const text = Array.from({ length: 5 }, (_, i) => `k${i}: "{{ .Variables.flag }}"`).join('\n');
    assert.match(
      refused(renderValues(text, variables, { ...given, flag: big }))[0]!.message,
      /more than \d+ characters/,
    );
    assert.ok(renderValues(text.split('\n').slice(0, 3).join('\n'), variables, { ...given, flag: big }).ok);
  });

  it('passes malformed references up as problems', () => {
    assert.match(
      refused(renderValues('a: {{ .Variables.port | default 3 }}', variables, given))[0]!.message,
      /line 1: write a variable reference as/,
    );
  });
});

describe('renderValuesForValidation', () => {
  it('uses defaults, else typed stand-ins, and lists the templated paths', () => {
    const out = rendered(
      renderValuesForValidation(
        'p: {{ .Variables.port }}\nh: {{ .Variables.host }}\nt: {{ .Variables.tls }}\ns: {{ .Variables.password }}\nfixed: 1',
        variables,
      ),
    );
    assert.deepEqual(out.values, { p: 0, h: 'svc.example', t: false, s: '', fixed: 1 });
    assert.deepEqual(out.templatedPaths, ['p', 'h', 't', 's']);
    assert.match(
      refused(renderValuesForValidation('p: {{ .Variables.undeclared }}', variables))[0]!.message,
      /unknown variable undeclared/,
    );
  });
});

describe('variableReferences', () => {
  it('lists names in first-seen order, once each, whatever the spacing', () => {
    const { names, problems } = variableReferences(
      'a: {{.Variables.b}}\nc: {{  .Variables.a  }} {{ .Variables.b }}\nd: "{{\t.Variables.c\t}}"',
    );
    assert.deepEqual(names, ['b', 'a', 'c']);
    assert.deepEqual(problems, []);
  });

  it('reports malformed Variables expressions by line and leaves others alone', () => {
    const text = [
      'a: {{ .Release.Name }}',
      'b: {{ .Variables }}',
      'c: {{ .variables.x }}',
      'd: {{ .Variables.x.y }}',
      'e: {{ .Variables.9lives }}',
      `f: {{ .Variables.${'n'.repeat(64)} }}`,
      'g: {{ include "x" . }}',
    ].join('\n');
    const { names, problems } = variableReferences(text);
    assert.deepEqual(names, []);
    assert.deepEqual(
      problems.map((problem) => problem.message.slice(0, 7)),
      ['line 2:', 'line 3:', 'line 4:', 'line 5:', 'line 6:'],
    );
    assert.match(problems[4]!.message, /at most 63 characters/);
  });
});

describe('checkVariableDeclarations', () => {
  it('accepts valid declarations, with required and sensitive false when absent', () => {
    const result = checkVariableDeclarations([
      { name: 'replicas', type: 'number', default: 2, description: 'How many' },
      { name: 'token', type: 'string', required: true, sensitive: true },
    ]);
    assert.deepEqual(result, {
      ok: true,
      variables: [
        {
          name: 'replicas',
          type: 'number',
          required: false,
          sensitive: false,
          default: 2,
          description: 'How many',
        },
        { name: 'token', type: 'string', required: true, sensitive: true },
      ],
    });
  });

  it('names each problem by its path', () => {
    const result = checkVariableDeclarations([
      { name: 'a', type: 'string' },
      { name: 'a', type: 'string' },
      { name: 'b', type: 'number', default: '3' },
      { name: '1x', type: 'date' },
      { name: 'secret', type: 'string', sensitive: true, default: 3 },
      { name: 'c', type: 'boolean', required: 'yes', extra: 1 },
      'not an object',
    ]);
    assert.ok(!result.ok);
    assert.deepEqual(result.problems, [
      { path: 'variables[1].name', message: 'variable a is declared twice' },
      { path: 'variables[2].default', message: 'the default must be a finite number, not a string' },
      {
        path: 'variables[3].name',
        message: 'a name starts with a letter or _, then up to 62 letters, digits or _',
      },
      { path: 'variables[3].type', message: 'type must be string, number or boolean' },
      { path: 'variables[4].default', message: 'the default must be a string, not a number' },
      { path: 'variables[5]', message: 'unknown field "extra"' },
      { path: 'variables[5].required', message: 'required must be true or false' },
      { path: 'variables[6]', message: 'a variable must be an object with name and type' },
    ]);
    assert.doesNotMatch(JSON.stringify(result.problems), /hunter2/);
  });

  it('refuses a non-list and too many variables', () => {
    assert.deepEqual(checkVariableDeclarations({}), {
      ok: false,
      problems: [{ path: 'variables', message: 'variables must be a list' }],
    });
    const many = Array.from({ length: 101 }, (_, i) => ({ name: `v${i}`, type: 'string' }));
    assert.equal(checkVariableDeclarations(many).ok, false);
    assert.equal(checkVariableDeclarations(many.slice(0, 100)).ok, true);
  });
});
