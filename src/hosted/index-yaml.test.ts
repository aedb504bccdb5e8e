import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { versionSortKey } from '../protocol/helm/semver-sort.js';
import type {
  CatalogColumns,
  HostedChartRow,
  HostedRegistryState,
  HostedRepository,
} from './hosted.repository.js';
import { HostedIndexCache, renderIndex } from './index-yaml.js';

function row(name: string, version: string, extra: Partial<CatalogColumns> = {}) {
  const chart: HostedChartRow = {
    registry_id: 'r',
    chart_name: name,
    version,
    file_name: `${name}-${version}.tgz`,
    chart_digest: `sha256:${'a'.repeat(64)}`,
    chart_size: 100,
    prov_digest: null,
    prov_size: null,
    manifest_digest: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  };
  const catalog: CatalogColumns = {
    sort_key: versionSortKey(version)!,
    app_version: null,
    api_version: 'v2',
    type: null,
    description: null,
    icon: null,
    home: null,
    sources: '[]',
    keywords: '[]',
    maintainers: '[]',
    kube_version: null,
    deprecated: 0,
    dependencies: '[]',
    annotations: '{}',
    created: '2026-01-02T00:00:00.000Z',
    ...extra,
  };
  return { chart, catalog };
}

type Doc = {
  apiVersion: string;
  generated: string;
  serverInfo: { contextPath: string };
  entries: Record<string, Array<Record<string, unknown>>>;
};

describe('renderIndex', () => {
  it("writes Helm's index: charts by name, versions newest first by SemVer, relative URLs, hex digests", () => {
    const text = renderIndex(
      [row('web', '1.9.0'), row('api', '0.1.0'), row('web', '1.10.0'), row('web', '1.10.0-rc.1')],
      '/helm/acme',
      new Date('2026-03-04T05:06:07Z'),
    );
    const doc = yaml.load(text) as Doc;
    assert.equal(doc.apiVersion, 'v1');
    assert.equal(doc.generated, '2026-03-04T05:06:07.000Z');
    assert.deepEqual(doc.serverInfo, { contextPath: '/helm/acme' });
    assert.deepEqual(Object.keys(doc.entries), ['api', 'web']);
    assert.deepEqual(
      doc.entries['web']!.map((e) => e['version']),
      ['1.10.0', '1.10.0-rc.1', '1.9.0'],
    );
    const first = doc.entries['web']![0]!;
    assert.deepEqual(first['urls'], ['charts/web-1.10.0.tgz']);
    assert.equal(first['digest'], 'a'.repeat(64));
    assert.equal(first['created'], '2026-01-02T00:00:00.000Z');
  });

  it('leaves empty fields out and writes the metadata a chart has', () => {
    const doc = yaml.load(
      renderIndex(
        [
          row('web', '1.0.0', {
            description: 'Web',
            deprecated: 1,
            keywords: '["a","b"]',
            maintainers: '[{"name":"Ann","email":"ann@example.com"}]',
            annotations: '{"category":"web"}',
            app_version: '2.3',
          }),
        ],
        '/helm/acme',
        new Date(0),
      ),
    ) as Doc;
    const entry = doc.entries['web']![0]!;
    assert.deepEqual(Object.keys(entry).sort(), [
      'annotations',
      'apiVersion',
      'appVersion',
      'created',
      'deprecated',
      'description',
      'digest',
      'keywords',
      'maintainers',
      'name',
      'urls',
      'version',
    ]);
    assert.equal(entry['deprecated'], true);
    assert.equal(entry['appVersion'], '2.3', 'a version-like string stays a string');
    assert.deepEqual(entry['maintainers'], [{ name: 'Ann', email: 'ann@example.com' }]);
  });
});

describe('HostedIndexCache', () => {
  /** A registry whose revision moves (a write through another server) while the rows are read. */
  function racingRepository() {
    let revision = 1;
    const rowsAt = new Map([
      [1, [row('a', '1.0.0')]],
      [2, [row('a', '1.0.0'), row('b', '2.0.0')]],
    ]);
    const state = (): HostedRegistryState => ({
      id: 'r',
      scope: 's',
      name: 'hosted',
      publicRead: false,
      revision,
      lastWrite: `2026-01-0${revision}T00:00:00.000Z`,
    });
    const repo = {
      chartEntries: async () => {
        const rows = rowsAt.get(revision)!;
        // The write commits just after this read.
        if (revision === 1) revision = 2;
        return rows;
      },
      registryState: async () => state(),
    };
    return { repo: repo as unknown as HostedRepository, state };
  }

  it("renders a revision from that revision's rows only, so every server serves one revision alike", async () => {
    const { repo } = racingRepository();
    const cache = new HostedIndexCache(repo, '');
    const first: HostedRegistryState = {
      id: 'r',
      scope: 's',
      name: 'hosted',
      publicRead: false,
      revision: 1,
      lastWrite: '2026-01-01T00:00:00.000Z',
    };
    const index = await cache.get(first, 'acme');
    const parsed = yaml.load(index.body.toString('utf8')) as { entries: object; generated: string };
    // Rows of revision 2 under revision 2's label and time, never under revision 1's.
    assert.equal(index.revision, 2);
    assert.deepEqual(Object.keys(parsed.entries).sort(), ['a', 'b']);
    assert.equal(parsed.generated, '2026-01-02T00:00:00.000Z');
  });
});
