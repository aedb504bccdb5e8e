import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  MAX_SYNC_WARNINGS,
  chartNameProblem,
  chartVersionContentHash,
  normalizeIndex,
  type ChartVersionRecord,
  type NormalizedIndex,
} from './chart-version.js';
import { parseHelmIndex } from './index-document.js';
import { versionSortKey } from './semver-sort.js';

// The corpus sits beside the repository (../shared), wherever the clone lives.
const CORPUS = new URL('../../../../shared/corpus', import.meta.url).pathname;
const REPOSITORY = new URL('https://charts.example.com/repo');
const DIGEST = 'a'.repeat(64);
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

function normalizeFile(file: string, repositoryUrl: URL = REPOSITORY): NormalizedIndex {
  return normalizeIndex(parseHelmIndex(readFileSync(`${CORPUS}/index/${file}`)), repositoryUrl);
}

function normalizeYaml(text: string, repositoryUrl: URL = REPOSITORY): NormalizedIndex {
  return normalizeIndex(parseHelmIndex(Buffer.from(text)), repositoryUrl);
}

/** Goes through JSON, which can carry what YAML's safe parse cannot: numbers, NUL, exact control characters. */
function normalizeEntries(
  entries: Record<string, unknown[]>,
  repositoryUrl: URL = REPOSITORY,
): NormalizedIndex {
  return normalizeIndex(
    parseHelmIndex(Buffer.from(JSON.stringify({ apiVersion: 'v1', entries }))),
    repositoryUrl,
  );
}

function entry(name: string, version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v2', name, version, urls: [`${name}-${version}.tgz`], digest: DIGEST, ...extra };
}

/** Normalizes one entry under its own name and returns the record (or undefined) and the warning messages. */
function one(extra: Record<string, unknown>, name = 'demo', version = '1.0.0') {
  const result = normalizeEntries({ [name]: [entry(name, version, extra)] });
  return { record: result.versions[0], warnings: result.warnings.map((warning) => warning.message) };
}

function find(result: NormalizedIndex, name: string, version: string): ChartVersionRecord {
  const record = result.versions.find((item) => item.name === name && item.version === version);
  assert.ok(record, `${name} ${version} should be kept`);
  return record;
}

function assertOneWarning(warnings: string[], pattern: RegExp): void {
  assert.equal(warnings.length, 1, `expected one warning, got ${JSON.stringify(warnings)}`);
  assert.match(warnings[0]!, pattern);
}

describe('normalizeIndex on the corpus', () => {
  // [file, versions in the index, versions kept, warnings]
  const expected: [string, number, number, number][] = [
    ['grafana-helm-charts-index.yaml', 3591, 3589, 2],
    ['argo-helm-index.yaml', 1628, 1628, 0],
    ['datadog-helm-charts-index.yaml', 1547, 1545, 2],
    ['opentelemetry-helm-charts-index.yaml', 1014, 1014, 0],
    ['kong-charts-index.yaml', 239, 230, 9],
    ['edge/helm-chartmuseum-index.yaml', 4, 4, 5],
    ['edge/helm-local-index.json', 4, 4, 5],
    ['edge/helm-local-index-annotations.yaml', 4, 4, 5],
    ['edge/helm-local-index-unordered.yaml', 4, 4, 5],
    ['edge/helm-testing-relative-index.yaml', 3, 3, 0],
  ];
  for (const [file, total, kept, warnings] of expected) {
    it(`${file}: keeps ${kept} of ${total} versions with ${warnings} warnings`, () => {
      const result = normalizeFile(file);
      assert.equal(result.versions.length, kept);
      assert.equal(result.warnings.length, warnings, JSON.stringify(result.warnings.slice(0, 3)));
      for (const record of result.versions) {
        assert.equal(record.sortKey, versionSortKey(record.version));
        assert.match(record.contentHash, /^[0-9a-f]{64}$/);
        if (record.digest !== null) assert.match(record.digest, /^[0-9a-f]{64}$/);
      }
    });
  }

  it('real indexes repeat versions: the first entry is kept and the others are warned about', () => {
    const kong = normalizeFile('kong-charts-index.yaml');
    const repeated = kong.warnings.map((warning) => `${warning.chart} ${warning.version}`);
    assert.deepEqual(repeated, [
      ...Array<string>(5).fill('gateway-operator 0.4.10-rc.1'),
      'kong 2.17.0-rc.5',
      'kong 2.17.0-rc.4',
      'kong 2.17.0-rc.4',
      'kong 2.17.0-rc.2',
    ]);
    assert.match(
      kong.warnings[0]!.message,
      /more than once; the first entry was kept and the later one ignored/,
    );
    const grafana = normalizeFile('grafana-helm-charts-index.yaml');
    assert.deepEqual(
      grafana.warnings.map((warning) => `${warning.chart} ${warning.version}`),
      ['alloy-operator 0.2.6-beta.2', 'mimir-distributed 5.6.0-weekly.314'],
    );
  });

  it("argo: resolves the 328 relative URLs against the repository URL, and the archives' digests match", () => {
    const repositoryUrl = new URL('https://argoproj.github.io/argo-helm');
    const result = normalizeFile('argo-helm-index.yaml', repositoryUrl);
    const relative = result.versions.filter((record) => !/^https?:/.test(record.urls[0] ?? ''));
    assert.equal(relative.length, 328);
    for (const record of relative) {
      assert.equal(record.chartUrl, `https://argoproj.github.io/argo-helm/${record.urls[0]}`);
    }
    for (const record of result.versions.filter((item) => !relative.includes(item))) {
      assert.equal(record.chartUrl, new URL(record.urls[0]!).href);
    }
    const archives: [string, string][] = [
      ['argo', '1.0.0'],
      ['argocd-notifications', '1.0.0'],
      ['argo-events', '0.6.1'],
      ['argo-lite', '0.1.0'],
    ];
    for (const [name, version] of archives) {
      const record = find(result, name, version);
      assert.equal(record.chartUrl, `https://argoproj.github.io/argo-helm/${name}-${version}.tgz`);
      const bytes = readFileSync(`${CORPUS}/packages/argo-helm-gh-pages/${name}-${version}.tgz`);
      assert.equal(record.digest, createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it("keeps Helm's lenient versions as written: argo's 0.46.00, grafana's v5.20.0", () => {
    const argo = find(normalizeFile('argo-helm-index.yaml'), 'argo-workflows', '0.46.00');
    assert.equal(argo.sortKey, versionSortKey('0.46.0'));
    const grafana = normalizeFile('grafana-helm-charts-index.yaml');
    assert.equal(grafana.versions.filter((record) => record.version.startsWith('v')).length, 10);
    assert.ok(grafana.versions.some((record) => record.version === 'v5.20.0'));
  });

  it('grafana: reads apiVersion, deprecated, kubeVersion and dependencies', () => {
    const result = normalizeFile('grafana-helm-charts-index.yaml');
    const count = (test: (record: ChartVersionRecord) => boolean): number =>
      result.versions.filter(test).length;
    assert.equal(
      count((record) => record.apiVersion === 'v1'),
      622,
    );
    assert.equal(
      count((record) => record.apiVersion === 'v2'),
      2967,
    );
    assert.equal(
      count((record) => record.deprecated),
      28,
    );
    assert.equal(
      count((record) => record.kubeVersion !== null),
      1479,
    );
    assert.equal(
      count((record) => record.dependencies.length > 0),
      1801,
    );
  });

  it('ChartMuseum style: warns about its short digests, keeps a chart without URLs', () => {
    const result = normalizeFile('edge/helm-chartmuseum-index.yaml');
    const noUrl = find(result, 'chartWithNoURL', '1.0.0');
    assert.equal(noUrl.chartUrl, null);
    assert.deepEqual(noUrl.urls, []);
    const alpine = find(result, 'alpine', '1.0.0');
    assert.deepEqual(alpine.urls, [
      'https://charts.helm.sh/stable/alpine-1.0.0.tgz',
      'http://storage2.googleapis.com/kubernetes-charts/alpine-1.0.0.tgz',
    ]);
    assert.equal(alpine.chartUrl, 'https://charts.helm.sh/stable/alpine-1.0.0.tgz');
    assert.equal(alpine.digest, null); // "sha256:1234567890abcdef" is 16 hex characters, not 64
    assert.deepEqual(
      result.warnings.map((warning) => warning.message),
      [
        'Chart "nginx" version "0.2.0": digest "sha256:1234567890abcdef" is not a SHA-256 digest (64 hexadecimal characters): it was ignored.',
        'Chart "nginx" version "0.1.0": digest "sha256:1234567890abcdef" is not a SHA-256 digest (64 hexadecimal characters): it was ignored.',
        'Chart "alpine" version "1.0.0": digest "sha256:1234567890abcdef" is not a SHA-256 digest (64 hexadecimal characters): it was ignored.',
        'Chart "chartWithNoURL" version "1.0.0": digest "sha256:1234567890abcdef" is not a SHA-256 digest (64 hexadecimal characters): it was ignored.',
        'Chart "chartWithNoURL" version "1.0.0": the entry has no chart URL, so the chart cannot be downloaded (Helm says the same).',
      ],
    );
    assert.deepEqual(result.warnings[4], {
      chart: 'chartWithNoURL',
      version: '1.0.0',
      message: result.warnings[4]!.message,
    });
  });

  it('the same index as JSON and as YAML gives the same records and hashes', () => {
    const json = normalizeFile('edge/helm-local-index.json');
    const yaml = normalizeFile('edge/helm-local-index-annotations.yaml');
    assert.deepEqual(json.versions, yaml.versions);
    // Versions in another order: the same records, in the index's order.
    const unordered = normalizeFile('edge/helm-local-index-unordered.yaml');
    const byName = (records: ChartVersionRecord[]) =>
      [...records].sort((a, b) => `${a.name} ${a.version}`.localeCompare(`${b.name} ${b.version}`));
    assert.deepEqual(byName(unordered.versions), byName(yaml.versions));
    assert.deepEqual(
      unordered.versions.map((record) => record.version),
      ['0.1.0', '0.2.0', '1.0.0', '1.0.0'],
    );
  });
});

describe('chart URLs resolved as Helm resolves them (protocols.md a.4)', () => {
  const relative = `${CORPUS}/index/edge/helm-testing-relative-index.yaml`;
  const cases: [string, Record<string, string>][] = [
    [
      'https://h.example/org/repo',
      {
        foo: 'https://h.example/org/repo/charts/foo-1.2.3.tgz',
        bar: 'https://h.example/org/repo/bar-1.2.3.tgz',
        baz: 'https://h.example/path/to/baz-1.2.3.tgz',
      },
    ],
    [
      'https://h.example/org/repo/',
      {
        foo: 'https://h.example/org/repo/charts/foo-1.2.3.tgz',
        bar: 'https://h.example/org/repo/bar-1.2.3.tgz',
        baz: 'https://h.example/path/to/baz-1.2.3.tgz',
      },
    ],
    [
      // The repository URL's query string (a signed-URL token) is carried over to every chart URL.
      'https://h.example/org/repo?token=abc',
      {
        foo: 'https://h.example/org/repo/charts/foo-1.2.3.tgz?token=abc',
        bar: 'https://h.example/org/repo/bar-1.2.3.tgz?token=abc',
        baz: 'https://h.example/path/to/baz-1.2.3.tgz?token=abc',
      },
    ],
    [
      'http://127.0.0.1:8080',
      {
        foo: 'http://127.0.0.1:8080/charts/foo-1.2.3.tgz',
        bar: 'http://127.0.0.1:8080/bar-1.2.3.tgz',
        baz: 'http://127.0.0.1:8080/path/to/baz-1.2.3.tgz',
      },
    ],
  ];
  for (const [repository, urls] of cases) {
    it(`against ${repository}`, () => {
      const result = normalizeIndex(parseHelmIndex(readFileSync(relative)), new URL(repository));
      assert.deepEqual(
        Object.fromEntries(result.versions.map((record) => [record.name, record.chartUrl])),
        urls,
      );
      // urls stay as written.
      assert.deepEqual(
        result.versions.map((record) => record.urls),
        [['charts/foo-1.2.3.tgz'], ['bar-1.2.3.tgz'], ['/path/to/baz-1.2.3.tgz']],
      );
    });
  }

  it('uses urls[0] only; an absolute URL is kept, and a "+" in a version stays literal', () => {
    const { record } = one(
      { urls: ['https://cdn.example/demo-1.0.0+b.1.tgz', 'https://mirror.example/demo.tgz'] },
      'demo',
      '1.0.0+b.1',
    );
    assert.equal(record?.chartUrl, 'https://cdn.example/demo-1.0.0+b.1.tgz');
  });

  it('refuses schemes other than http, https and oci, and unparseable URLs, with a warning', () => {
    const script = one({ urls: ['javascript:alert(1)'] });
    assert.equal(script.record?.chartUrl, null);
    assert.deepEqual(script.record?.urls, ['javascript:alert(1)']);
    assertOneWarning(script.warnings, /uses the "javascript:" scheme/);
    const file = one({ urls: ['file:///etc/passwd'] });
    assert.equal(file.record?.chartUrl, null);
    assertOneWarning(file.warnings, /"file:" scheme/);
    const broken = one({ urls: ['http://[::1/x.tgz'] });
    assert.equal(broken.record?.chartUrl, null);
    assertOneWarning(broken.warnings, /is not a valid URL/);
    assert.equal(
      one({ urls: ['oci://registry.example/charts/demo'] }).record?.chartUrl,
      'oci://registry.example/charts/demo',
    );
  });
});

describe('normalizeIndex: scalar fidelity', () => {
  it('keeps scalars exactly as written', () => {
    const result = normalizeYaml(
      [
        'apiVersion: v1',
        'entries:',
        '  demo:',
        '    - name: demo',
        '      version: 1.10',
        '      appVersion: 1e3',
        '      created: 2024-01-01',
        '      kubeVersion: ">=1.25.0-0"',
        '      digest: 0123456789012345678901234567890123456789012345678901234567890123',
        '      urls: [demo-1.10.tgz]',
        '    - name: demo',
        '      version: 01.2.3',
        '      appVersion: 0x1F',
        '      annotations:',
        '        artifacthub.io/prerelease: true',
        '        count: 010',
        '      urls: [demo-01.2.3.tgz]',
      ].join('\n'),
    );
    assert.deepEqual(result.warnings, []);
    const first = find(result, 'demo', '1.10');
    assert.equal(first.appVersion, '1e3');
    assert.equal(first.created, '2024-01-01');
    assert.equal(first.kubeVersion, '>=1.25.0-0');
    assert.equal(first.digest, '0123456789012345678901234567890123456789012345678901234567890123');
    assert.equal(first.sortKey, versionSortKey('1.10.0'));
    const second = find(result, 'demo', '01.2.3');
    assert.equal(second.appVersion, '0x1F');
    // A YAML boolean in a text field reads as Helm reads it: "true".
    assert.deepEqual(second.annotations, { 'artifacthub.io/prerelease': 'true', count: '010' });
  });

  it('fills every field of a complete entry', () => {
    const { record, warnings } = one({
      apiVersion: 'v2',
      appVersion: '4.5.6',
      type: 'application',
      description: '<b>Bold</b> & <script>alert(1)</script>',
      icon: 'https://example.com/icon.svg',
      home: 'https://example.com',
      sources: ['https://github.com/example/demo'],
      keywords: ['web', 'demo'],
      maintainers: [{ name: 'Jo', email: 'jo@example.com', url: 'https://jo.example' }, { name: 'Al' }, {}],
      kubeVersion: '>=1.25.0-0',
      deprecated: true,
      created: '2024-05-01T10:00:00.123456789Z',
      digest: `sha256:${'AB'.repeat(32)}`,
      dependencies: [
        {
          name: 'redis',
          version: '17.x.x',
          repository: 'https://charts.example.com',
          condition: 'redis.enabled',
          tags: ['cache'],
          alias: 'cache_1',
          enabled: true,
          'import-values': ['data', { child: 'a.b', parent: 'c' }],
        },
        { name: 'common', repository: 'oci://registry.example/charts' },
      ],
      annotations: { 'z.example/last': 'z', 'a.example/first': 'a', ['__proto__']: 'kept' },
      engine: 'gotpl',
      checksum: '0e6661f193211d7a5206918d42f5c2a9470b737d',
      removed: false,
    });
    assert.deepEqual(warnings, []);
    assert.ok(record);
    const { contentHash, ...rest } = record;
    assert.match(contentHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(rest, {
      name: 'demo',
      version: '1.0.0',
      appVersion: '4.5.6',
      apiVersion: 'v2',
      type: 'application',
      description: '<b>Bold</b> & <script>alert(1)</script>', // stored as text: the UI escapes
      icon: 'https://example.com/icon.svg',
      home: 'https://example.com',
      sources: ['https://github.com/example/demo'],
      keywords: ['web', 'demo'],
      maintainers: [
        { name: 'Jo', email: 'jo@example.com', url: 'https://jo.example' },
        { name: 'Al' },
        { name: '' },
      ],
      kubeVersion: '>=1.25.0-0',
      deprecated: true,
      created: '2024-05-01T10:00:00.123456789Z',
      digest: 'ab'.repeat(32),
      urls: ['demo-1.0.0.tgz'],
      chartUrl: 'https://charts.example.com/repo/demo-1.0.0.tgz',
      dependencies: [
        {
          name: 'redis',
          version: '17.x.x',
          repository: 'https://charts.example.com',
          condition: 'redis.enabled',
          tags: ['cache'],
          alias: 'cache_1',
          enabled: true,
          importValues: ['data', { child: 'a.b', parent: 'c' }],
        },
        { name: 'common', repository: 'oci://registry.example/charts' },
      ],
      annotations: Object.fromEntries([
        ['__proto__', 'kept'],
        ['a.example/first', 'a'],
        ['z.example/last', 'z'],
      ]),
      sortKey: versionSortKey('1.0.0'),
    });
    assert.ok(Object.hasOwn(record.annotations, '__proto__'));
  });

  it('defaults what Helm defaults: apiVersion v1, not deprecated, empty lists, nulls', () => {
    const { record, warnings } = one({ apiVersion: undefined, digest: undefined, description: '' });
    assert.deepEqual(warnings, []);
    assert.equal(record?.apiVersion, 'v1');
    assert.equal(record?.deprecated, false);
    assert.equal(record?.description, null);
    assert.equal(record?.digest, null);
    assert.deepEqual(
      [record?.sources, record?.keywords, record?.maintainers, record?.dependencies],
      [[], [], [], []],
    );
    assert.deepEqual(record?.annotations, {});
  });
});

describe('normalizeIndex: content hash', () => {
  const base = entry('demo', '1.0.0', {
    appVersion: '1.0',
    description: 'Demo',
    keywords: ['a', 'b'],
    maintainers: [{ name: 'Jo', email: 'jo@example.com' }],
    dependencies: [{ name: 'redis', version: '1.x', tags: ['t'] }],
    annotations: { b: '2', a: '1', c: '3' },
    created: '2024-01-01T00:00:00Z',
  });

  it('is the same whatever the key order in the index', () => {
    const reordered = Object.fromEntries(Object.entries(base).reverse());
    reordered['annotations'] = { c: '3', a: '1', b: '2' };
    reordered['maintainers'] = [{ email: 'jo@example.com', name: 'Jo' }];
    reordered['dependencies'] = [{ tags: ['t'], version: '1.x', name: 'redis' }];
    const first = normalizeEntries({ demo: [base] }).versions[0]!;
    const second = normalizeEntries({ demo: [reordered] }).versions[0]!;
    assert.equal(first.contentHash, second.contentHash);
    assert.deepEqual(first, second);
    assert.equal(chartVersionContentHash(withoutKeys(first)), first.contentHash);
  });

  it('changes when any field changes, created included', () => {
    const record = normalizeEntries({ demo: [base] }).versions[0]!;
    const body = withoutKeys(record);
    const hashes = new Set([record.contentHash]);
    const variants: [string, Record<string, unknown>][] = [
      ['name', { name: 'demo2' }],
      ['version', { version: '1.0.1' }],
      ['appVersion', { appVersion: null }],
      ['apiVersion', { apiVersion: 'v3' }],
      ['type', { type: 'library' }],
      ['description', { description: 'Demo.' }],
      ['icon', { icon: 'x' }],
      ['home', { home: 'x' }],
      ['sources', { sources: ['x'] }],
      ['keywords', { keywords: ['a', 'b', ''] }],
      ['keywords split', { keywords: ['ab'] }],
      ['maintainers', { maintainers: [{ name: 'Jo', email: 'jo@example.org' }] }],
      ['maintainer url', { maintainers: [{ name: 'Jo', email: 'jo@example.com', url: '' }] }],
      ['kubeVersion', { kubeVersion: '>=1' }],
      ['deprecated', { deprecated: true }],
      ['created', { created: '2024-01-01T00:00:01Z' }],
      ['digest', { digest: 'b'.repeat(64) }],
      ['urls', { urls: ['demo-1.0.0.tgz', 'mirror.tgz'] }],
      ['chartUrl', { chartUrl: 'https://elsewhere.example/demo-1.0.0.tgz' }],
      ['dependencies', { dependencies: [] }],
      ['dependency version', { dependencies: [{ name: 'redis', version: '2.x', tags: ['t'] }] }],
      [
        'dependency repository',
        { dependencies: [{ name: 'redis', version: '1.x', tags: ['t'], repository: 'r' }] },
      ],
      [
        'dependency condition',
        { dependencies: [{ name: 'redis', version: '1.x', tags: ['t'], condition: 'c' }] },
      ],
      ['dependency tags', { dependencies: [{ name: 'redis', version: '1.x', tags: [] }] }],
      ['dependency alias', { dependencies: [{ name: 'redis', version: '1.x', tags: ['t'], alias: 'r' }] }],
      [
        'dependency enabled',
        { dependencies: [{ name: 'redis', version: '1.x', tags: ['t'], enabled: false }] },
      ],
      [
        'dependency importValues',
        { dependencies: [{ name: 'redis', version: '1.x', tags: ['t'], importValues: ['x'] }] },
      ],
      ['annotations', { annotations: { a: '1', b: '2', c: '4' } }],
      ['annotation key', { annotations: { a: '1', b: '2', d: '3' } }],
    ];
    for (const [label, change] of variants) {
      const hash = chartVersionContentHash({ ...body, ...change } as typeof body);
      assert.ok(!hashes.has(hash), `changing ${label} must change the hash`);
      hashes.add(hash);
    }
    // Every field of the record is exercised above.
    assert.deepEqual(
      Object.keys(body).filter((field) => !variants.some(([label]) => label === field)),
      [],
    );
  });
});

function withoutKeys(record: ChartVersionRecord): Omit<ChartVersionRecord, 'sortKey' | 'contentHash'> {
  const { sortKey: _sortKey, contentHash: _contentHash, ...body } = record;
  return body;
}

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
