import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { chartVersionContentHash, normalizeIndex, type ChartVersionRecord } from './chart-version.js';
import {
  CORPUS,
  assertOneWarning,
  entry,
  find,
  normalizeEntries,
  normalizeFile,
  normalizeYaml,
  one,
  withoutKeys,
} from '../../../test/fixtures/chart-version.fixtures.js';
import { parseHelmIndex } from './index-document.js';
import { versionSortKey } from './semver-sort.js';

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
