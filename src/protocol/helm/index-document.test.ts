import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { UpstreamError } from '../../shared/errors.js';
import { ALIAS_BOMB_YAML, deepJson, deepYaml } from '../../../test/support/fixture-servers.js';
import { parseHelmIndex } from './index-document.js';

// The corpus sits beside the repository (../shared), wherever the clone lives.
const CORPUS = new URL('../../../../shared/corpus/index', import.meta.url).pathname;

function parseText(text: string) {
  return parseHelmIndex(Buffer.from(text));
}

function assertNotAnIndex(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseText(text),
    (error: unknown) => {
      assert.ok(error instanceof UpstreamError, `expected UpstreamError, got ${String(error)}`);
      assert.equal(error.failure, 'not_a_helm_repository');
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('parseHelmIndex on the corpus', () => {
  const expected: [string, number, number][] = [
    ['grafana-helm-charts-index.yaml', 41, 3591],
    ['argo-helm-index.yaml', 11, 1628],
    ['datadog-helm-charts-index.yaml', 9, 1547],
    ['opentelemetry-helm-charts-index.yaml', 7, 1014],
    ['kong-charts-index.yaml', 4, 239],
    ['edge/helm-local-index.json', 3, 4],
    ['edge/helm-chartmuseum-index.yaml', 3, 4],
    ['edge/helm-testing-relative-index.yaml', 3, 3],
  ];
  for (const [file, charts, versions] of expected) {
    it(`${file}: ${charts} charts / ${versions} versions`, () => {
      const index = parseHelmIndex(readFileSync(`${CORPUS}/${file}`));
      assert.equal(index.apiVersion, 'v1');
      assert.equal(index.chartCount, charts);
      assert.equal(index.versionCount, versions);
      assert.deepEqual(index.warnings, []);
    });
  }
});

describe('parseHelmIndex scalars', () => {
  it('keeps scalars as the exact strings, types only null and booleans', () => {
    const index = parseText(
      [
        'apiVersion: v1',
        'entries:',
        '  demo:',
        '    - version: 1.10',
        '      appVersion: 1e3',
        '      digest: 0123',
        '      created: 2024-01-01',
        '      deprecated: true',
        '      home: ~',
        '      name: yes',
      ].join('\n'),
    );
    assert.deepEqual(index.entries.get('demo'), [
      {
        version: '1.10',
        appVersion: '1e3',
        digest: '0123',
        created: '2024-01-01',
        deprecated: true,
        home: null,
        name: 'yes',
      },
    ]);
  });

  it('reads JSON indexes with JSON types', () => {
    const index = parseText('{"apiVersion":"v1","entries":{"a":[{"version":"1.0.0","deprecated":false}]}}');
    assert.deepEqual(index.entries.get('a'), [{ version: '1.0.0', deprecated: false }]);
  });

  it('accepts YAML flow style that starts like JSON', () => {
    assert.equal(parseText('{apiVersion: v1, entries: {a: [{version: 1.0.0}]}}').versionCount, 1);
  });
});

describe('parseHelmIndex shape', () => {
  it('accepts an empty repository', () => {
    for (const empty of [
      'apiVersion: v1\n',
      'apiVersion: v1\nentries:\n',
      '{"apiVersion":"v1","entries":null}',
    ]) {
      assert.equal(parseText(empty).chartCount, 0, empty);
    }
    const index = parseText('apiVersion: v1\nentries: {}\n');
    assert.equal(index.chartCount, 0);
    assert.equal(index.versionCount, 0);
  });

  it('skips null or non-list entries with warnings, not failures', () => {
    const index = parseText(
      'apiVersion: v1\nentries:\n  a: null\n  b: [null, {version: 1.0.0}]\n  c: text\n',
    );
    assert.equal(index.chartCount, 1);
    assert.equal(index.versionCount, 1);
    assert.equal(index.warnings.length, 3);
    assert.match(index.warnings[0]!, /"a" was skipped/);
  });

  it('rejects what is not an index, saying what is wrong', () => {
    assertNotAnIndex('', /body is empty/);
    assertNotAnIndex('  \n', /body is empty/);
    assertNotAnIndex('---\n', /document is empty/);
    assertNotAnIndex('null', /document is empty/);
    assertNotAnIndex('<!doctype html><html><body>Hi</body></html>', /returned HTML/);
    assertNotAnIndex('just some text', /plain text/);
    assertNotAnIndex('- a\n- b\n', /top level is a list/);
    assertNotAnIndex('entries: {}\n', /no API version specified/);
    assertNotAnIndex('apiVersion: v1\nentries: [a, b]\n', /entries field is a list/);
    assertNotAnIndex('apiVersion: v1\nentries: []\n', /entries field is a list/);
    assertNotAnIndex('apiVersion: v1\nentries: {a: [}\n', /not valid YAML or JSON/);
    assertNotAnIndex('apiVersion: v1\napiVersion: v2\nentries: {}\n', /not valid YAML/);
  });

  it('does not echo the document into the message', () => {
    assertNotAnIndex('apiVersion: v1\nsecret-looking: "unterminated\n', /^(?!.*secret-looking)/s);
  });
});

describe('parseHelmIndex against hostile documents', () => {
  it('refuses an alias bomb within milliseconds, without expanding it', () => {
    const started = performance.now();
    assertNotAnIndex(ALIAS_BOMB_YAML, /anchors or aliases/);
    assert.ok(performance.now() - started < 100);
  });

  it('refuses any anchor, even a harmless one', () => {
    assertNotAnIndex('apiVersion: v1\nentries:\n  a: &x [{version: 1.0.0}]\n  b: *x\n', /anchors or aliases/);
    assertNotAnIndex('apiVersion: &v v1\nentries: {}\n', /anchors or aliases/);
  });

  it('refuses 5000-deep YAML nesting without a crash', () => {
    assertNotAnIndex(deepYaml(5000), /deeper than 64 levels/);
  });

  it('refuses 200000-deep JSON nesting without a crash', () => {
    assertNotAnIndex(deepJson(200_000), /deeper than 64 levels/);
  });

  it('honours a custom depth limit', () => {
    const text = deepYaml(10);
    assert.equal(parseHelmIndex(Buffer.from(text), { maxDepth: 12 }).apiVersion, 'v1');
    assert.throws(() => parseHelmIndex(Buffer.from(text), { maxDepth: 11 }), /deeper than 11/);
  });
});
