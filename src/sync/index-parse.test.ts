import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toCatalogRow } from '../catalog/catalog-row.js';
import type { NewChartVersion } from '../catalog/chart-version.repository.js';
import { parseHelmIndex } from '../protocol/helm/index-document.js';
import { UpstreamError } from '../shared/errors.js';
import { parseIndexInto } from './index-parse.js';
import type { ChartDigests } from './index-sync.js';

const URL_A = new URL('https://charts.example.test/a/');
const INDEX = `apiVersion: v1
entries:
  web:
  - name: web
    version: 1.0.0
    digest: ${'a'.repeat(64)}
    urls: [web-1.0.0.tgz]
  - name: web
    version: 0.9.0
    urls:
    - web-0.9.0.tgz
  db:
  - name: db
    version: 2.0.0
    urls:
    - db-2.0.0.tgz
  odd:
  - name: not-odd
    version: 1.0.0
`;

function parse(text: string, previous: ChartDigests | null = null, url = URL_A) {
  const rows: NewChartVersion[] = [];
  const result = parseIndexInto(Buffer.from(text), url, previous, {
    add: (records) => records.forEach((r) => rows.push(toCatalogRow(r))),
  });
  return { rows, ...result };
}

const names = (rows: NewChartVersion[]) => rows.map((r) => `${r.chart_name} ${r.version}`);

describe('parseIndexInto', () => {
  it('remembers the digests of the charts that normalized without a warning', () => {
    const first = parse(INDEX);
    assert.deepEqual(names(first.rows), ['web 1.0.0', 'web 0.9.0', 'db 2.0.0', 'odd 1.0.0']);
    assert.deepEqual(first.kept, []);
    assert.deepEqual(Object.keys(first.digests?.charts ?? {}), ['web', 'db']);
    assert.equal(first.warnings.length, 2);
  });

  it('skips the charts whose lines did not change, and normalizes the others and every warning again', () => {
    const { digests } = parse(INDEX);
    const again = parse(INDEX.replace('version: 2.0.0', 'version: 2.0.1'), digests);
    assert.deepEqual(again.kept, ['web']);
    assert.deepEqual(names(again.rows), ['db 2.0.1', 'odd 1.0.0']);
    assert.equal(again.warnings.length, 2, 'the chart that warned is read again, and so warns again');
    assert.deepEqual(Object.keys(again.digests?.charts ?? {}), ['web', 'db']);
  });

  it('reads a chart again when only its whitespace or comments changed (the catalog diff then writes nothing)', () => {
    const { digests, rows } = parse(INDEX);
    const again = parse(
      INDEX.replace('  - name: web\n    version: 0.9.0', '  # note\n  - name: web\n    version:   0.9.0'),
      digests,
    );
    assert.deepEqual(again.kept, ['db']);
    assert.deepEqual(
      again.rows.filter((r) => r.chart_name === 'web'),
      rows.filter((r) => r.chart_name === 'web'),
    );
  });

  it('keeps nothing under another repository URL (the charts resolve their URLs against it)', () => {
    const { digests } = parse(INDEX);
    const moved = parse(INDEX, digests, new URL('https://charts.example.test/b/'));
    assert.deepEqual(moved.kept, []);
    assert.equal(moved.rows[0]?.chart_url, 'https://charts.example.test/b/web-1.0.0.tgz');
  });

  it('parses the whole document when a chart does not read alone, and reports its error', () => {
    const anchored = INDEX.replace(
      '  - name: web\n    version: 0.9.0',
      '  - &x name: web\n    version: 0.9.0',
    );
    let expected: unknown;
    try {
      parseHelmIndex(Buffer.from(anchored));
    } catch (err) {
      expected = err;
    }
    assert.ok(expected instanceof UpstreamError);
    assert.throws(
      () => parse(anchored),
      (err: unknown) => err instanceof UpstreamError && err.message === expected.message,
    );
  });

  it('splits the JSON form too, and parses a document that does not split whole, remembering nothing', () => {
    const doc = {
      apiVersion: 'v1',
      entries: { web: [{ name: 'web', version: '1.0.0', urls: ['w.tgz'] }], db: [] },
    };
    const json = parse(JSON.stringify(doc));
    assert.deepEqual(names(json.rows), ['web 1.0.0']);
    const again = parse(JSON.stringify(doc, null, 1), json.digests);
    assert.deepEqual(again.kept, [], 'other bytes, other digests');
    assert.deepEqual(parse(JSON.stringify(doc), json.digests).kept, ['web', 'db']);
    const flow = parse('{apiVersion: v1, entries: {web: [{name: web, version: 1.0.0}]}}');
    assert.deepEqual(names(flow.rows), ['web 1.0.0']);
    assert.equal(flow.digests, null);
  });
});
