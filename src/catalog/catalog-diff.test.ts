import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fingerprintKey,
  type ChartVersionFingerprint,
  type NewChartVersion,
} from './chart-version.repository.js';
import { chartVersionRow } from '../../test/fixtures/chart-rows.js';
import { CatalogDiffer, diffCatalog, isSuspectShrink } from './catalog-diff.js';

const row = (name: string, version: string, hash: string, digest: string | null = null): NewChartVersion =>
  chartVersionRow(name, version, { content_hash: hash, digest });

/** The stored catalog every test diffs against: a 1.0.0 and 2.0.0, b 1.0.0 (without a digest). */
const stored = new Map<string, ChartVersionFingerprint>([
  [fingerprintKey('a', '1.0.0'), { id: 'id-a1', contentHash: 'h1', digest: 'd1' }],
  [fingerprintKey('a', '2.0.0'), { id: 'id-a2', contentHash: 'h2', digest: 'd2' }],
  [fingerprintKey('b', '1.0.0'), { id: 'id-b1', contentHash: 'h3', digest: null }],
]);

describe('diffCatalog', () => {
  it('finds nothing to do for an identical catalog', () => {
    const out = diffCatalog(
      [row('a', '1.0.0', 'h1', 'd1'), row('a', '2.0.0', 'h2', 'd2'), row('b', '1.0.0', 'h3')],
      stored,
    );
    assert.deepEqual(out.diff, { insert: [], update: [], remove: [] });
    assert.equal(out.unchanged, 3);
  });

  it('inserts new versions, updates changed ones, removes vanished ones', () => {
    const out = diffCatalog(
      [row('a', '1.0.0', 'h1-new', 'd1'), row('b', '1.0.0', 'h3'), row('c', '0.1.0', 'h4')],
      stored,
    );
    assert.deepEqual(
      out.diff.insert.map((r) => r.chart_name),
      ['c'],
    );
    assert.deepEqual(
      out.diff.update.map((r) => [r.id, r.republished]),
      [['id-a1', false]],
    );
    assert.deepEqual(out.diff.remove, ['id-a2']);
    assert.equal(out.unchanged, 1);
    assert.deepEqual(out.warnings, []);
  });

  it('flags a version re-published with another digest', () => {
    const out = diffCatalog(
      [row('a', '1.0.0', 'h1-new', 'd-other'), row('a', '2.0.0', 'h2', 'd2'), row('b', '1.0.0', 'h3')],
      stored,
    );
    assert.equal(out.diff.update[0]?.republished, true);
    assert.match(out.warnings[0]?.message ?? '', /re-published/);
  });
});

describe('CatalogDiffer', () => {
  it('diffs batch by batch and removes only what no batch named, at the end', () => {
    const differ = new CatalogDiffer(stored);
    const first = differ.add([row('a', '1.0.0', 'h1-new', 'd1'), row('c', '0.1.0', 'h4')]);
    assert.deepEqual(
      first.insert.map((r) => r.chart_name),
      ['c'],
    );
    assert.deepEqual(
      first.update.map((r) => r.id),
      ['id-a1'],
    );
    assert.deepEqual(first.remove, []);
    // b 1.0.0 arrives only in the second batch: not removed although the first batch lacked it.
    const second = differ.add([row('b', '1.0.0', 'h3')]);
    assert.deepEqual(second, { insert: [], update: [], remove: [] });
    assert.equal(differ.rowCount, 3);
    assert.deepEqual(differ.finish(), { remove: ['id-a2'], unchanged: 1 });
  });
});

describe('isSuspectShrink', () => {
  it('holds a big catalog that lost more than half, not small or ordinary changes', () => {
    assert.equal(isSuspectShrink(1000, 100), true);
    assert.equal(isSuspectShrink(1000, 600), false);
    assert.equal(isSuspectShrink(10, 0), false);
  });
});
