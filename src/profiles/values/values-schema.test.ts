import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseChartValuesYaml } from './chart-values.js';
import { parseValuesText } from './layer-values.js';
import { ValuesSchemaValidator } from './values-schema.js';
import { renderValuesForValidation } from './values-template.js';

const validator = new ValuesSchemaValidator();
const check = (schema: object | string, values: unknown, ignorePaths?: string[]) =>
  validator.check(
    typeof schema === 'string' ? schema : JSON.stringify(schema),
    values,
    ignorePaths ? { ignorePaths } : {},
  );

const DRAFT = {
  '04': 'http://json-schema.org/draft-04/schema#',
  '06': 'http://json-schema.org/draft-06/schema#',
  '07': 'http://json-schema.org/draft-07/schema#',
  '2019-09': 'https://json-schema.org/draft/2019-09/schema',
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
};

describe('ValuesSchemaValidator: drafts by $schema', () => {
  it('draft-04: boolean exclusiveMaximum (an invalid schema for later drafts)', () => {
    const schema = {
      type: 'object',
      properties: { n: { type: 'number', maximum: 5, exclusiveMaximum: true } },
    };
    assert.deepEqual(check({ $schema: DRAFT['04'], ...schema }, { n: 5 }), {
      violations: [{ path: 'n', message: 'must be < 5' }],
      warnings: [],
    });
    assert.deepEqual(check({ $schema: DRAFT['04'], ...schema }, { n: 4.9 }).violations, []);
    const asDraft7 = check(schema, { n: 5 });
    assert.deepEqual(asDraft7.violations, []);
    assert.match(
      asDraft7.warnings[0]!,
      /not a valid draft-07 JSON Schema at "\/properties\/n\/exclusiveMaximum"/,
    );
  });

  it('draft-06: numeric exclusiveMaximum, and if/then is not a draft-06 keyword', () => {
    const schema = {
      $schema: DRAFT['06'],
      properties: { n: { exclusiveMaximum: 5 } },
      if: { properties: { tls: { const: true } }, required: ['tls'] },
      then: { required: ['cert'] },
    };
    assert.deepEqual(check(schema, { n: 5, tls: true }).violations, [{ path: 'n', message: 'must be < 5' }]);
    assert.deepEqual(check(schema, { n: 5, tls: true }).warnings, []);
  });

  it('draft-07 (and no $schema): if/then applies', () => {
    const schema = {
      if: { properties: { tls: { const: true } }, required: ['tls'] },
      then: { required: ['cert'] },
    };
    for (const declared of [{ $schema: DRAFT['07'] }, {}, { $schema: 'http://json-schema.org/schema#' }]) {
      const result = check({ ...declared, ...schema }, { tls: true });
      assert.deepEqual(result.violations, [
        { path: 'cert', message: 'is required' },
        { path: '', message: 'must match "then" schema' },
      ]);
      assert.deepEqual(result.warnings, []);
    }
  });

  it('2019-09: dependentRequired (unknown to draft-07)', () => {
    const schema = { dependentRequired: { tls: ['cert'] } };
    assert.deepEqual(check({ $schema: DRAFT['2019-09'], ...schema }, { tls: true }).violations, [
      { path: 'cert', message: 'is required when "tls" is set' },
    ]);
    assert.deepEqual(check({ $schema: DRAFT['07'], ...schema }, { tls: true }).violations, []);
  });

  it('2020-12: prefixItems (unknown to 2019-09)', () => {
    const schema = { properties: { args: { prefixItems: [{ type: 'string' }, { type: 'number' }] } } };
    assert.deepEqual(check({ $schema: DRAFT['2020-12'], ...schema }, { args: ['a', 'b'] }).violations, [
      { path: 'args[1]', message: 'must be number' },
    ]);
    assert.deepEqual(check({ $schema: DRAFT['2019-09'], ...schema }, { args: ['a', 'b'] }).violations, []);
  });

  it('an unknown $schema is read as draft-07, with a warning', () => {
    const result = check({ $schema: 'https://example.com/my-meta', type: 'object', required: ['a'] }, {});
    assert.deepEqual(result.violations, [{ path: 'a', message: 'is required' }]);
    assert.match(
      result.warnings[0]!,
      /\$schema "https:\/\/example.com\/my-meta" is not a JSON Schema draft Helm reads: checked as draft-07/,
    );
  });
});

describe('ValuesSchemaValidator: remote references', () => {
  let requests = 0;
  const server = createServer((_request, response) => {
    requests++;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ type: 'string' }));
  });
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('never fetches a remote $ref or $schema, reports it, and checks the rest', async () => {
    const schema = {
      $schema: `${base}/meta.json#`,
      type: 'object',
      properties: {
        resources: { $ref: `${base}/k8s/resources.json#/definitions/x` },
        affinity: { $ref: 'affinity.json' },
        replicas: { type: 'integer' },
      },
    };
    const result = check(schema, { resources: 12, affinity: 3, replicas: 'two' });
    assert.deepEqual(result.violations, [{ path: 'replicas', message: 'must be integer' }]);
    assert.deepEqual(result.warnings, [
      `the schema's $schema "${base}/meta.json#" is not a JSON Schema draft Helm reads: checked as draft-07`,
      `the schema refers to "${base}/k8s/resources.json#/definitions/x", which is never fetched: values there are not checked`,
      'the schema refers to "affinity.json", which is never fetched: values there are not checked',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(requests, 0);
  });

  it('resolves references to the schema itself and to $ids it declares', () => {
    const schema = {
      $schema: DRAFT['2020-12'],
      $id: 'https://charts.example/app/values.schema.json',
      $defs: {
        port: { type: 'integer', maximum: 65535 },
        image: { $id: 'https://charts.example/image.json', type: 'object', required: ['repository'] },
      },
      properties: {
        port: { $ref: '#/$defs/port' },
        admin: { $ref: 'https://charts.example/app/values.schema.json#/$defs/port' },
        image: { $ref: 'https://charts.example/image.json' },
        sidecar: { $ref: '../image.json' },
      },
    };
    const result = check(schema, { port: 70000, admin: 'x', image: {}, sidecar: {} });
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.violations, [
      { path: 'port', message: 'must be <= 65535' },
      { path: 'admin', message: 'must be integer' },
      { path: 'image.repository', message: 'is required' },
      { path: 'sidecar.repository', message: 'is required' },
    ]);
  });

  it('leaves a "$ref" property name and $ref-looking data alone', () => {
    const schema = {
      properties: { $ref: { type: 'string' }, x: { default: { $ref: 'https://example.com/x' } } },
    };
    assert.deepEqual(check(schema, { $ref: 1 }), {
      violations: [{ path: '$ref', message: 'must be string' }],
      warnings: [],
    });
  });
});

describe('ValuesSchemaValidator: unusable schemas are warnings', () => {
  const cases: [string, string, RegExp][] = [
    ['bad JSON', '{"type": ', /is not valid JSON/],
    ['not an object', '[1, 2]', /is not a JSON object/],
    ['a boolean', 'true', /is not a JSON object/],
    [
      'fails its meta-schema',
      JSON.stringify({ properties: { a: { type: 'int' } } }),
      /is not a valid draft-07 JSON Schema at "\/properties\/a\/type"/,
    ],
    [
      'draft-03 style required',
      JSON.stringify({ properties: { a: { required: true } } }),
      /not a valid draft-07/,
    ],
    [
      'a local $ref to nothing',
      JSON.stringify({ properties: { a: { $ref: '#/definitions/missing' } } }),
      /refers to "#\/definitions\/missing", which it does not define/,
    ],
    [
      'nested past the stack',
      `${'{"not":'.repeat(50_000)}{}${'}'.repeat(50_000)}`,
      /could not be compiled: "Maximum call stack size exceeded"/,
    ],
    ['over 1 MiB', JSON.stringify({ description: 'x'.repeat(1024 * 1024) }), /larger than 1 MiB/],
  ];
  for (const [name, text, warning] of cases) {
    it(name, () => {
      const result = validator.check(text, { a: 1 });
      assert.deepEqual(result.violations, []);
      assert.equal(result.warnings.length, 1, JSON.stringify(result.warnings));
      assert.match(result.warnings[0]!, warning);
      assert.deepEqual(validator.check(text, { a: 1 }), result, 'the same from the cache');
    });
  }
});

describe('ValuesSchemaValidator: patterns', () => {
  it('does not compile a catastrophic pattern, and says so', () => {
    const schema = {
      properties: {
        name: { type: 'string', pattern: '^(a+)+$' },
        dns: { pattern: '^([a-z0-9]+-)*[a-z0-9]+$' },
      },
    };
    const started = performance.now();
    const result = check(schema, { name: `${'a'.repeat(22)}!`, dns: 'a-b-' });
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(result.violations, [
      { path: 'dns', message: 'must match the pattern "^([a-z0-9]+-)*[a-z0-9]+$"' },
    ]);
    assert.deepEqual(result.warnings, [
      'the pattern "^(a+)+$" could take exponential time to match and is not checked',
    ]);
  });

  it("skips a pattern JavaScript cannot read (RE2's (?i)) and a very long one", () => {
    const result = check(
      {
        patternProperties: { '(?i)^x': { type: 'number' } },
        properties: { y: { pattern: 'a'.repeat(1001) } },
      },
      { X: 's', y: 'b' },
    );
    assert.deepEqual(result.violations, []);
    assert.deepEqual(result.warnings, [
      'the pattern "(?i)^x" is not a JavaScript regular expression and is not checked',
      'a pattern in the schema is longer than 1000 characters and is not checked',
    ]);
  });

  it('accepts identity escapes that only the u flag refuses', () => {
    assert.deepEqual(check({ properties: { v: { pattern: '^\\-?\\d+$' } } }, { v: 'x' }).violations, [
      { path: 'v', message: 'must match the pattern "^\\\\-?\\\\d+$"' },
    ]);
  });
});

describe('ValuesSchemaValidator: violations', () => {
  const schema = {
    type: 'object',
    additionalProperties: false,
    required: ['image'],
    properties: {
      image: {
        type: 'object',
        required: ['repository'],
        properties: { repository: { type: 'string' }, pullPolicy: { enum: ['Always', 'IfNotPresent'] } },
      },
      ingress: {
        type: 'object',
        properties: {
          enabled: { type: 'boolean' },
          hosts: {
            type: 'array',
            items: { type: 'object', properties: { host: { type: 'string', format: 'hostname' } } },
          },
        },
      },
      annotations: { type: 'object', additionalProperties: { type: 'string' } },
      list: { type: 'object', properties: { '0': { type: 'string' } } },
    },
  };

  it('reports every violation at once with the path of the value to fix', () => {
    const result = check(schema, {
      image: { pullPolicy: 'Sometimes' },
      ingress: { enabled: 'yes', hosts: [{ host: 'ok.example' }, { host: 'not a host!' }] },
      annotations: { 'prometheus.io/port': 9090 },
      list: { '0': 1 },
      extra: true,
    });
    assert.deepEqual(result, {
      violations: [
        { path: 'extra', message: "is not allowed: the chart's schema does not define it" },
        { path: 'image.repository', message: 'is required' },
        { path: 'image.pullPolicy', message: 'must be one of "\\"Always\\", \\"IfNotPresent\\""' },
        { path: 'ingress.enabled', message: 'must be boolean' },
        { path: 'ingress.hosts[1].host', message: 'must match format "hostname"' },
        { path: 'annotations["prometheus.io/port"]', message: 'must be string' },
        { path: 'list["0"]', message: 'must be string' },
      ],
      warnings: [],
    });
  });

  it('leaves out violations exactly at ignored paths (templated values)', () => {
    const rendered = renderValuesForValidation(
      'image:\n  repository: r\ningress:\n  enabled: "{{ .Variables.on }}"',
      [{ name: 'on', type: 'boolean', required: true, sensitive: false }],
    );
    assert.ok(rendered.ok);
    assert.deepEqual(check(schema, rendered.values).violations, [
      { path: 'ingress.enabled', message: 'must be boolean' },
    ]);
    assert.deepEqual(check(schema, rendered.values, rendered.templatedPaths).violations, []);
  });

  it('caps the list at 100 and counts the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, 1]));
    const { violations } = check({ additionalProperties: false }, many);
    assert.equal(violations.length, 101);
    assert.deepEqual(violations[100], { path: '', message: 'and 50 more' });
  });

  it('deduplicates identical violations from alternatives', () => {
    const { violations } = check(
      { properties: { a: { anyOf: [{ type: 'string' }, { type: 'string', minLength: 1 }] } } },
      { a: 1 },
    );
    assert.deepEqual(violations, [
      { path: 'a', message: 'must be string' },
      { path: 'a', message: 'must match a schema in anyOf' },
    ]);
  });
});

describe('ValuesSchemaValidator: corpus charts', () => {
  const corpus = '/work/shared/corpus/charts';
  const charts = (() => {
    try {
      return readdirSync(corpus).filter((chart) =>
        statSync(join(corpus, chart, 'values.schema.json'), { throwIfNoEntry: false }),
      );
    } catch {
      return [];
    }
  })();

  it('finds the corpus charts with schemas', { skip: charts.length === 0 && 'corpus not present' }, () => {
    assert.ok(charts.length >= 2, charts.join(', '));
  });

  for (const chart of charts) {
    it(`${chart}: its own values.yaml has no violation`, () => {
      const schemaText = readFileSync(join(corpus, chart, 'values.schema.json'), 'utf8');
      const text = readFileSync(join(corpus, chart, 'values.yaml'), 'utf8');
      // Read as a chart's own file (alertmanager's uses anchors, which layers may not).
      const parsed = parseChartValuesYaml(text);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const values = parsed.values;
      const fresh = new ValuesSchemaValidator();
      const cpu = process.cpuUsage();
      const result = fresh.check(schemaText, values);
      const used = process.cpuUsage(cpu);
      assert.deepEqual(result, { violations: [], warnings: [] });
      assert.ok((used.user + used.system) / 1000 < 500, 'first compile in reasonable CPU time');

      const started = performance.now();
      for (let i = 0; i < 50; i++) fresh.check(schemaText, values);
      assert.ok(performance.now() - started < 200, '50 cached checks are fast');

      // Break the first `<key>.enabled` boolean the schema declares: the check must see it.
      const schema = JSON.parse(schemaText) as {
        properties: Record<string, { properties?: Record<string, { type?: string }> }>;
      };
      const key = Object.keys(schema.properties).find(
        (name) => schema.properties[name]!.properties?.enabled?.type === 'boolean',
      )!;
      const broken = structuredClone(values) as Record<string, Record<string, unknown>>;
      broken[key] = { ...broken[key], enabled: 'nope' };
      const violations = fresh.check(schemaText, broken).violations;
      assert.deepEqual(violations, [{ path: `${key}.enabled`, message: 'must be boolean' }]);
    });
  }

  it(
    'parseValuesText output validates like the chart file (prometheus)',
    { skip: !charts.includes('prometheus') && 'no prometheus' },
    () => {
      const parsed = parseValuesText(readFileSync(join(corpus, 'prometheus', 'values.yaml'), 'utf8'));
      assert.ok(parsed.ok);
      const schemaText = readFileSync(join(corpus, 'prometheus', 'values.schema.json'), 'utf8');
      assert.deepEqual(validator.check(schemaText, parsed.values), { violations: [], warnings: [] });
      assert.deepEqual(
        validator.check(schemaText, {
          ...parsed.values,
          server: { persistentVolume: { enabled: 'yes please' } },
        }).violations,
        [{ path: 'server.persistentVolume.enabled', message: 'must be boolean' }],
      );
    },
  );
});
