import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_SYNC_WARNINGS,
  chartNameProblem,
  chartVersionContentHash,
  type ChartVersionRecord,
} from './chart-version.js';
import {
  CONTROL_CHARACTER,
  assertOneWarning,
  entry,
  normalizeEntries,
  normalizeYaml,
  one,
  withoutKeys,
} from '../../../test/fixtures/chart-version.fixtures.js';
import { versionSortKey } from './semver-sort.js';

describe('normalizeIndex: versions', () => {
  const skipped: [string, unknown, RegExp][] = [
    ['missing', undefined, /an entry was skipped because it has no version/],
    ['empty', '', /an entry was skipped because it has no version/],
    ['null', null, /an entry was skipped because it has no version/],
    ['a number (JSON)', 1, /its version is a number, not text/],
    ['a list', ['1.0.0'], /its version is a list, not text/],
    ['latest', 'latest', /version "latest" was skipped: the version is not a SemVer version/],
    ['release-0.5.0', 'release-0.5.0', /"release-0.5.0" was skipped: the version is not a SemVer version/],
    [
      '1.2.3-01',
      '1.2.3-01',
      /"1.2.3-01" was skipped: the numeric pre-release identifier "01" has a leading zero/,
    ],
    ['over uint64', '18446744073709551616.0.0', /was skipped: a version number is larger than/],
  ];
  for (const [label, version, pattern] of skipped) {
    it(`skips an entry whose version is ${label}, and keeps the others`, () => {
      const result = normalizeEntries({
        demo: [{ ...entry('demo', '1.0.0'), version }, entry('demo', '2.0.0')],
      });
      assert.deepEqual(
        result.versions.map((record) => record.version),
        ['2.0.0'],
      );
      assert.equal(result.warnings.length, 1);
      assert.match(result.warnings[0]!.message, pattern);
      assert.equal(result.warnings[0]!.chart, 'demo');
    });
  }

  it("accepts Helm's lenient versions as written", () => {
    const result = normalizeEntries({
      demo: ['v1.2.3', '1.2', '1', '01.2.3'].map((version) => entry('demo', version)),
    });
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(
      result.versions.map((record) => [record.version, record.sortKey]),
      [
        ['v1.2.3', versionSortKey('1.2.3')],
        ['1.2', versionSortKey('1.2.0')],
        ['1', versionSortKey('1.0.0')],
        ['01.2.3', versionSortKey('1.2.3')],
      ],
    );
  });

  it('keeps the first of a duplicate version and says when the digests differ', () => {
    const result = normalizeEntries({
      demo: [
        entry('demo', '1.0.0', { digest: 'a'.repeat(64), description: 'first' }),
        entry('demo', '1.0.0', { digest: `sha256:${'b'.repeat(64)}`, description: 'second' }),
        entry('demo', '1.0.0', { digest: 'a'.repeat(64), description: 'third' }),
      ],
    });
    assert.equal(result.versions.length, 1);
    assert.equal(result.versions[0]!.description, 'first');
    assert.deepEqual(
      result.warnings.map((warning) => warning.message),
      [
        'Chart "demo" version "1.0.0" was skipped: the index lists this version more than once; the first ' +
          'entry was kept and the later one ignored (their digests differ).',
        'Chart "demo" version "1.0.0" was skipped: the index lists this version more than once; the first ' +
          'entry was kept and the later one ignored.',
      ],
    );
  });

  it('a skipped first entry does not make a later valid one a duplicate', () => {
    const result = normalizeEntries({
      demo: [entry('demo', '1.0.0', { type: 'bogus' }), entry('demo', '1.0.0', { description: 'good' })],
    });
    assert.equal(result.versions.length, 1);
    assert.equal(result.versions[0]!.description, 'good');
    assertOneWarning(
      result.warnings.map((warning) => warning.message),
      /type "bogus" is neither "application" nor "library"/,
    );
  });

  it('distinct strings of equal precedence are distinct versions (Helm matches the exact string)', () => {
    const result = normalizeEntries({
      demo: [entry('demo', '1.0.0'), entry('demo', 'v1.0.0'), entry('demo', '1.0.0+b')],
    });
    assert.equal(result.versions.length, 3);
    assert.deepEqual(result.warnings, []);
  });
});

describe('normalizeIndex: chart names', () => {
  const badNames = [
    '../x',
    'a/b',
    'a\\b',
    '.',
    '..',
    '.hidden',
    '-rf',
    '%2e%2e',
    'a%2fb',
    'a\u0000b',
    'a\u001b[31mb',
    'a\u009bb',
    'a b',
    ' demo',
    'démo',
    'x'.repeat(251),
    '',
  ];
  for (const name of badNames) {
    it(`skips the chart ${JSON.stringify(name.length > 30 ? `${name.slice(0, 30)}...` : name)} with a warning`, () => {
      const result = normalizeEntries({
        [name]: [entry(name, '1.0.0'), entry(name, '1.0.1')],
        good: [entry('good', '1.0.0')],
      });
      assert.deepEqual(
        result.versions.map((record) => record.name),
        ['good'],
      );
      assert.equal(result.warnings.length, 1);
      const warning = result.warnings[0]!;
      assert.match(warning.message, /^Chart ".*" was skipped \(2 versions\): /);
      // Nothing raw reaches a message: control characters are escaped.
      assert.doesNotMatch(warning.message, CONTROL_CHARACTER);
      assert.doesNotMatch(warning.chart ?? '', CONTROL_CHARACTER);
      assert.ok((warning.chart ?? '').length <= 256);
    });
  }

  it('accepts the names Helm creates, up to 250 characters, case kept', () => {
    for (const name of ['nginx', 'kube-prometheus-stack', 'My_Chart.v2', '0day', 'x'.repeat(250)]) {
      assert.equal(chartNameProblem(name), null, name);
    }
    const result = normalizeEntries({ Demo: [entry('Demo', '1.0.0')], demo: [entry('demo', '1.0.0')] });
    assert.deepEqual(
      result.versions.map((record) => record.name),
      ['Demo', 'demo'],
    );
  });

  it('lists an entry under its index key when its name differs, with a warning', () => {
    const result = normalizeEntries({ demo: [entry('other', '1.0.0')] });
    assert.equal(result.versions[0]?.name, 'demo');
    assertOneWarning(
      result.warnings.map((warning) => warning.message),
      /^Chart "demo" version "1.0.0": the entry's name "other" differs from its index key; it is listed as "demo"/,
    );
  });

  it('skips an entry without a name or with a path as its name, as Helm does', () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /was skipped: it has no name/],
      ['', /was skipped: it has no name/],
      [7, /was skipped: its name is a number, not text/],
      ['../demo', /was skipped: its name "..\/demo" is a path, which Helm refuses/],
      ['..', /is a path/],
    ];
    for (const [name, pattern] of cases) {
      const result = normalizeEntries({ demo: [{ ...entry('demo', '1.0.0'), name }] });
      assert.deepEqual(result.versions, []);
      assertOneWarning(
        result.warnings.map((warning) => warning.message),
        pattern,
      );
    }
  });
});

describe('normalizeIndex: entries Helm skips', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['maintainers: [null]', { maintainers: [null] }, /its maintainers list has an empty item/],
    [
      'dependencies: [null]',
      { dependencies: [{ name: 'a' }, null] },
      /its dependencies list has an empty item/,
    ],
    [
      'an invalid alias',
      { dependencies: [{ name: 'a', alias: 'bad alias!' }] },
      /alias "bad alias!" may only/,
    ],
    ['an unknown type', { type: 'plugin' }, /its type "plugin" is neither "application" nor "library"/],
    ['a type that is not text', { type: ['application'] }, /its type \(a list\) is neither/],
    ['an unknown apiVersion', { apiVersion: 'v9' }, /its apiVersion "v9" is not a chart API version/],
  ];
  for (const [label, extra, pattern] of cases) {
    it(`skips an entry with ${label}`, () => {
      const { record, warnings } = one(extra);
      assert.equal(record, undefined);
      assertOneWarning(warnings, pattern);
      assert.match(warnings[0]!, /^Chart "demo" version "1.0.0" was skipped: /);
    });
  }

  it('keeps apiVersion v3 and type library', () => {
    const { record, warnings } = one({ apiVersion: 'v3', type: 'library' });
    assert.deepEqual(warnings, []);
    assert.equal(record?.apiVersion, 'v3');
    assert.equal(record?.type, 'library');
  });

  it('passes on the warnings of the safe parse (null entries)', () => {
    const result = normalizeYaml(
      [
        'apiVersion: v1',
        'entries:',
        '  demo:',
        '    - null',
        '    - {name: demo, version: 1.0.0, urls: [d.tgz]}',
      ].join('\n'),
    );
    assert.equal(result.versions.length, 1);
    assert.deepEqual(result.warnings, [
      { message: 'Chart "demo": 1 version entries were skipped because they are not mappings.' },
    ]);
  });
});

describe('normalizeIndex: fields of the wrong type are dropped, the entry kept', () => {
  const cases: [string, Record<string, unknown>, Partial<ChartVersionRecord>, RegExp[]][] = [
    [
      'urls as text, not a list',
      { urls: 'demo-1.0.0.tgz' },
      { urls: [], chartUrl: null },
      [/urls is text, not a list: it was ignored/, /has no chart URL/],
    ],
    ['no urls', { urls: [] }, { urls: [], chartUrl: null }, [/has no chart URL/]],
    [
      'a null URL before a good one',
      { urls: [null, 'demo.tgz'] },
      { urls: ['demo.tgz'], chartUrl: 'https://charts.example.com/repo/demo.tgz' },
      [/urls has an empty item: it was ignored/],
    ],
    ['keywords as text', { keywords: 'a,b' }, { keywords: [] }, [/keywords is text, not a list/]],
    [
      'a keyword mapping',
      { keywords: ['a', { b: 1 }] },
      { keywords: ['a'] },
      [/a keyword is a mapping, not text/],
    ],
    ['sources as a mapping', { sources: { a: 'b' } }, { sources: [] }, [/sources is a mapping, not a list/]],
    [
      'a maintainer as text',
      { maintainers: ['Jo', { name: 'Al' }] },
      { maintainers: [{ name: 'Al' }] },
      [/a maintainer is text/],
    ],
    [
      'maintainers as a mapping',
      { maintainers: { name: 'Jo' } },
      { maintainers: [] },
      [/maintainers is a mapping, not a list/],
    ],
    [
      'a maintainer email as a list',
      { maintainers: [{ name: 'Jo', email: ['x'] }] },
      { maintainers: [{ name: 'Jo' }] },
      [/a maintainer email is a list, not text/],
    ],
    [
      'a dependency as text',
      { dependencies: ['redis'] },
      { dependencies: [] },
      [/a dependency is text, not a mapping/],
    ],
    [
      'a bad import-values item',
      { dependencies: [{ name: 'r', 'import-values': ['a', 3, { child: 'c' }] }] },
      { dependencies: [{ name: 'r', importValues: ['a'] }] },
      [/import-values item is neither/, /import-values item is neither/],
    ],
    [
      'dependency enabled as text',
      { dependencies: [{ name: 'r', enabled: 'maybe' }] },
      { dependencies: [{ name: 'r' }] },
      [/a dependency enabled is text, not true or false/],
    ],
    [
      'annotations as a list',
      { annotations: ['a'] },
      { annotations: {} },
      [/annotations is a list, not a mapping/],
    ],
    [
      'annotation values that are not text',
      { annotations: { good: 'yes', list: [1], map: { a: 'b' }, empty: null, number: 3 } },
      { annotations: { good: 'yes' } },
      [
        /annotation "empty" is empty, not text/,
        /annotation "list" is a list, not text/,
        /annotation "map" is a mapping, not text/,
        /annotation "number" is a number, not text/,
      ],
    ],
    ['digest 0123', { digest: '0123' }, { digest: null }, [/digest "0123" is not a SHA-256 digest/]],
    ['digest sha512', { digest: `sha512:${'a'.repeat(128)}` }, { digest: null }, [/is not a SHA-256 digest/]],
    ['digest as a number (JSON)', { digest: 123 }, { digest: null }, [/digest is a number, not text/]],
    [
      'appVersion as a number (JSON)',
      { appVersion: 1.1 },
      { appVersion: null },
      [/appVersion is a number, not text/],
    ],
    [
      'description as a list',
      { description: ['x'] },
      { description: null },
      [/description is a list, not text/],
    ],
    [
      'deprecated as text',
      { deprecated: 'maybe' },
      { deprecated: false },
      [/deprecated is text, not true or false/],
    ],
    ['deprecated: yes (YAML 1.1, as Helm reads it)', { deprecated: 'yes' }, { deprecated: true }, []],
    ['deprecated: "off"', { deprecated: 'off' }, { deprecated: false }, []],
    ['created as a mapping', { created: { at: 1 } }, { created: null }, [/created is a mapping, not text/]],
    ['a booleans where text belongs', { appVersion: true }, { appVersion: 'true' }, []],
  ];
  for (const [label, extra, fields, patterns] of cases) {
    it(label, () => {
      const { record, warnings } = one(extra);
      assert.ok(record, 'the entry is kept');
      for (const [field, value] of Object.entries(fields)) {
        assert.deepEqual(record[field as keyof ChartVersionRecord], value, field);
      }
      assert.equal(warnings.length, patterns.length, JSON.stringify(warnings));
      patterns.forEach((pattern, index) => {
        assert.match(warnings[index]!, pattern);
        assert.match(warnings[index]!, /^Chart "demo" version "1.0.0": /);
      });
    });
  }
});

describe('normalizeIndex: control characters and absurd lengths', () => {
  it('removes control characters (NUL, ESC, C1) but keeps tabs and newlines', () => {
    const { record, warnings } = one({
      description: 'a\u0000b\u001b[31mc\u009bd\te\nf\r\n',
      keywords: ['k\u0007'],
      annotations: { 'ok\u0001': 'x', images: '- a\n- b\u0000' },
    });
    assert.equal(record?.description, 'ab[31mcd\te\nf\r\n');
    assert.deepEqual(record?.keywords, ['k']);
    assert.deepEqual(record?.annotations, { images: '- a\n- b' });
    assert.deepEqual(warnings, [
      'Chart "demo" version "1.0.0": control characters were removed from description.',
      'Chart "demo" version "1.0.0": control characters were removed from a keyword.',
      'Chart "demo" version "1.0.0": control characters were removed from annotation "images".',
      'Chart "demo" version "1.0.0": the annotation key "ok\\u0001" is too long or has control characters: it was ignored.',
    ]);
    assert.equal(record?.contentHash, chartVersionContentHash(withoutKeys(record!)));
  });

  it('cuts a description over 10,000 characters and drops other absurd values', () => {
    const { record, warnings } = one({
      description: 'd'.repeat(20_000),
      home: `https://example.com/${'h'.repeat(3000)}`,
      icon: `data:image/png;base64,${'A'.repeat(30_000)}`,
      keywords: Array.from({ length: 150 }, (_, index) => `k${index}`),
      annotations: { big: 'v'.repeat(70_000), [`k${'e'.repeat(300)}`]: 'v' },
    });
    assert.equal(record?.description?.length, 10_000);
    assert.equal(record?.home, null);
    assert.equal(record?.icon?.length, 30_022); // inline icons are fine
    assert.equal(record?.keywords.length, 100);
    assert.deepEqual(record?.annotations, {});
    assert.deepEqual(
      warnings.map((warning) => warning.replace(/^Chart "demo" version "1.0.0": /, '')),
      [
        'description is longer than 10000 characters: it was cut to that length.',
        'home is longer than 2048 characters: it was ignored.',
        'keywords has 150 items: only the first 100 were kept.',
        'annotation "big" is longer than 65536 characters: it was ignored.',
        `the annotation key "k${'e'.repeat(79)}…" is too long or has control characters: it was ignored.`,
      ],
    );
  });

  it(`records at most ${MAX_SYNC_WARNINGS} warnings and says how many more there were`, () => {
    const entries = Array.from({ length: 1500 }, (_, index) => entry('demo', `bad-${index}`));
    const result = normalizeEntries({ demo: [...entries, entry('demo', '1.0.0')] });
    assert.equal(result.versions.length, 1);
    assert.equal(result.warnings.length, MAX_SYNC_WARNINGS + 1);
    assert.deepEqual(result.warnings.at(-1), { message: '500 more warnings were not recorded.' });
  });
});
