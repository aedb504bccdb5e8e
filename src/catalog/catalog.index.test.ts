import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRegistryCatalog, CatalogCache, searchCatalogs, type RegistryCatalog } from './catalog.index.js';
import { versionSortKey } from '../protocol/helm/semver-sort.js';
import type { LatestChartRow } from './catalog.repository.js';

const row = (
  name: string,
  description = '',
  keywords: string[] = [],
  { version = '1.0.0', deprecated = false } = {},
): LatestChartRow => ({
  chart_name: name,
  version,
  sort_key: versionSortKey(version)!,
  app_version: null,
  description,
  icon: null,
  deprecated: deprecated ? 1 : 0,
  keywords: JSON.stringify(keywords),
  version_count: 1,
});

const catalog = (id: string, name: string, rows: LatestChartRow[]): RegistryCatalog =>
  buildRegistryCatalog(id, { name, scope: 'tenant', kind: 'helm' }, rows);

describe('catalog search in memory', () => {
  const a = catalog('id-a', 'alpha', [
    row('nginx', 'Web server'),
    row('redis', '', ['Cache']),
    row('apache'),
  ]);
  const b = catalog('id-b', 'beta', [row('nginx', 'Another web server'), row('zeta')]);

  it('orders by chart name, then registry name, and pages by keyset without gaps', () => {
    const all = searchCatalogs([b, a], '', 100).map((h) => `${h.position.registryName}/${h.summary.name}`);
    assert.deepEqual(all, ['alpha/apache', 'alpha/nginx', 'beta/nginx', 'alpha/redis', 'beta/zeta']);
    const seen: string[] = [];
    let after;
    for (;;) {
      const page = searchCatalogs([a, b], '', 2, after);
      if (page.length === 0) break;
      seen.push(...page.map((h) => `${h.position.registryName}/${h.summary.name}`));
      after = page[page.length - 1]!.position;
    }
    assert.deepEqual(seen, all);
  });

  it('matches name, description and keywords literally and case-insensitively', () => {
    const names = (q: string) => searchCatalogs([a, b], q, 100).map((h) => h.summary.name);
    assert.deepEqual(names('WEB'), ['nginx', 'nginx']);
    assert.deepEqual(names('cache'), ['redis']);
    assert.deepEqual(names('%'), []);
    assert.deepEqual(names('ng_nx'), []);
    // Fields and charts are searched apart: no match across name and description, or two charts.
    assert.deepEqual(names('nginxweb'), []);
    assert.deepEqual(names('xweb'), []);
    assert.deepEqual(names('apacheredis'), []);
    assert.deepEqual(names('x\u0001web'), []);
    assert.deepEqual(names('\u0000'), []);
  });

  it('pages a text search by keyset, skipping the charts that do not match', () => {
    const many = catalog(
      'id-m',
      'many',
      Array.from({ length: 30 }, (_, i) =>
        row(`c${String(i).padStart(2, '0')}`, i % 3 === 0 ? 'Match me' : 'other'),
      ),
    );
    const seen: string[] = [];
    let after;
    for (;;) {
      const page = searchCatalogs([many], 'match', 4, after);
      if (page.length === 0) break;
      seen.push(...page.map((h) => h.summary.name));
      after = page[page.length - 1]!.position;
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 10 }, (_, i) => `c${String(i * 3).padStart(2, '0')}`),
    );
  });

  it('reloads a registry when its stamp moves, shares concurrent loads, forgets failures', async () => {
    const cache = new CatalogCache(2);
    let loads = 0;
    const load = async () => {
      loads++;
      return a;
    };
    await Promise.all([cache.get('a', 's1', load), cache.get('a', 's1', load)]);
    assert.equal(loads, 1);
    await cache.get('a', 's2', load);
    assert.equal(loads, 2);
    await assert.rejects(cache.get('b', 's1', () => Promise.reject(new Error('down'))));
    await cache.get('b', 's1', load);
    assert.equal(loads, 3);
    await cache.get('c', 's1', load); // evicts a, the least recently used
    await cache.get('a', 's2', load);
    assert.equal(loads, 5);
  });

  it('leaves out deprecated charts on request, paging past them, and flags pre-release latests', () => {
    const c = catalog('id-c', 'gamma', [
      row('old', '', [], { deprecated: true }),
      row('new', '', [], { version: '0.1.0-rc.1' }),
      row('older', '', [], { deprecated: true }),
      row('stable'),
    ]);
    const names = (hits: ReturnType<typeof searchCatalogs>) => hits.map((h) => h.summary.name);
    assert.deepEqual(names(searchCatalogs([c], '', 10)), ['new', 'old', 'older', 'stable']);
    assert.deepEqual(names(searchCatalogs([c], '', 10, undefined, { deprecated: false })), ['new', 'stable']);
    // A page of one after "new" skips both deprecated charts rather than coming back short.
    const first = searchCatalogs([c], '', 1, undefined, { deprecated: false });
    assert.deepEqual(names(searchCatalogs([c], '', 1, first[0]!.position, { deprecated: false })), [
      'stable',
    ]);
    assert.equal(first[0]!.summary.prerelease, true);
    assert.equal(searchCatalogs([c], 'stable', 1)[0]!.summary.prerelease, false);
  });
});
