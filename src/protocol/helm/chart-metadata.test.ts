import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../../shared/errors.js';
import { parseChartYaml, sanitizeString } from './chart-metadata.js';

function refused(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseChartYaml(text),
    (err: unknown) => {
      assert.ok(err instanceof InvalidRequestError, String(err));
      assert.equal(err.code, 'invalid_chart_archive');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('parseChartYaml', () => {
  it('reads every chart.Metadata field, keeping scalars as written', () => {
    const meta = parseChartYaml(
      [
        '\uFEFFapiVersion: v2',
        'name: demo',
        'version: 1.10.0',
        'appVersion: 1.10',
        'kubeVersion: ">= 1.25"',
        'description: A demo',
        'type: library',
        'home: https://home',
        'icon: https://icon',
        'sources: [https://src, true]',
        'keywords: [a]',
        'deprecated: false',
        'condition: c',
        'tags: t',
        'maintainers:',
        '  - name: Ann',
        '    email: ann@example.com',
        '    url: https://ann',
        'annotations:',
        '  category: Database',
        '  artifacthub.io/prerelease: true',
        '  empty:',
        'dependencies:',
        '  - name: db',
        '    version: 1.x',
        '    alias: main-db',
        '    import-values: [a, {child: c, parent: p}]',
        '    enabled: yes',
        'engine: gotpl',
      ].join('\n'),
    );
    assert.deepEqual(meta, {
      name: 'demo',
      home: 'https://home',
      sources: ['https://src', 'true'],
      version: '1.10.0',
      description: 'A demo',
      keywords: ['a'],
      maintainers: [{ name: 'Ann', email: 'ann@example.com', url: 'https://ann' }],
      icon: 'https://icon',
      apiVersion: 'v2',
      condition: 'c',
      tags: 't',
      appVersion: '1.10',
      deprecated: false,
      annotations: { category: 'Database', 'artifacthub.io/prerelease': 'true', empty: '' },
      kubeVersion: '>= 1.25',
      dependencies: [
        {
          name: 'db',
          version: '1.x',
          repository: '',
          enabled: true,
          'import-values': ['a', { child: 'c', parent: 'p' }],
          alias: 'main-db',
        },
      ],
      type: 'library',
    });
  });

  it('defaults apiVersion to v1 and leaves empty fields out', () => {
    assert.deepEqual(parseChartYaml('name: x\nversion: 1.0.0\ndescription: ""\nkeywords: []\nhome:\n'), {
      name: 'x',
      version: '1.0.0',
      apiVersion: 'v1',
    });
  });

  it('sanitizes text fields as Helm does: whitespace to spaces, non-printables removed', () => {
    const meta = parseChartYaml('name: x\nversion: 1.0.0\ndescription: |\n  line one\n  line\ttwo\u200b\n');
    assert.equal(meta.description, 'line one line two ');
    assert.equal(sanitizeString('a\u00a0b\u2028c\u0007d\u00ade'), 'a b cde');
  });

  it('accepts the versions Helm reads and refuses others', () => {
    assert.equal(parseChartYaml('name: x\nversion: v1.2\n').version, 'v1.2');
    refused('name: x\nversion: latest\n', /version "latest" is refused: the version is not a SemVer/);
    refused('name: x\nversion: 1.2.3-01\n', /leading zero/);
    refused('name: x\n', /has no version/);
    refused('name: x\nversion: [1]\n', /"version" must be text, not a list/);
  });

  it('refuses bad names', () => {
    refused('version: 1.0.0\n', /has no name/);
    refused('name: a/b\nversion: 1.0.0\n', /name "a\/b" is refused/);
    refused('name: ..\nversion: 1.0.0\n', /name "\.\." is refused/);
  });

  it('refuses what Metadata.Validate refuses', () => {
    refused('apiVersion: v9\nname: x\nversion: 1.0.0\n', /apiVersion "v9"; use v2/);
    refused('name: x\nversion: 1.0.0\ntype: plugin\n', /type "plugin" is not "application" or "library"/);
    refused('name: x\nversion: 1.0.0\nmaintainers: [~]\n', /"maintainers" has an empty item/);
    refused('name: x\nversion: 1.0.0\ndependencies: [~]\n', /"dependencies" has an empty item/);
    refused('name: x\nversion: 1.0.0\ndependencies: [{name: a, alias: "b c"}]\n', /alias "b c"/);
    refused(
      'name: x\nversion: 1.0.0\ndependencies: [{name: a}, {name: b, alias: a}]\n',
      /more than one dependency .*"a"/,
    );
    refused('name: x\nversion: 1.0.0\ndeprecated: maybe\n', /"deprecated" must be true or false/);
    refused('name: x\nversion: 1.0.0\nannotations: {a: [1]}\n', /annotation "a" must be text/);
    refused('name: x\nversion: 1.0.0\nannotations: [a]\n', /"annotations" must be a mapping/);
    refused('name: x\nversion: 1.0.0\nsources: a\n', /"sources" must be a list/);
    refused('name: x\nversion: 1.0.0\ndependencies: [{name: a, import-values: [[1]]}]\n', /import-values/);
  });

  it('refuses documents that are not a mapping, invalid YAML, anchors and deep nesting', () => {
    refused('', /Chart.yaml is empty/);
    refused('- a\n', /not a YAML mapping/);
    refused('name: [\n', /not valid YAML .* at line/);
    refused('name: &n x\nversion: 1.0.0\nhome: *n\n', /anchors or aliases/);
    refused(
      `name: x\nversion: 1.0.0\nannotations: ${'['.repeat(40)}${']'.repeat(40)}\n`,
      /nests deeper than 32/,
    );
  });

  it('uses the given error factory', () => {
    assert.throws(
      () => parseChartYaml('name: x\n', (message) => new Error(`custom: ${message}`)),
      /^Error: custom: Chart.yaml has no version/,
    );
  });
});
