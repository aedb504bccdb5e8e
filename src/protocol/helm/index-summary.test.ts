import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseHelmIndex } from './index-document.js';
import { summarizeHelmIndex } from './index-summary.js';

const CORPUS = new URL('../../../../shared/corpus/index/', import.meta.url);

function wholeSummary(body: Buffer): ReturnType<typeof summarizeHelmIndex> {
  const doc = parseHelmIndex(body);
  return { chartCount: doc.chartCount, versionCount: doc.versionCount, warnings: doc.warnings };
}

describe('summarizeHelmIndex', () => {
  it('counts and warns as the whole parse does, for every index of the corpus', () => {
    const files = [
      ...readdirSync(CORPUS)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .map((f) => new URL(f, CORPUS)),
      ...readdirSync(new URL('edge/', CORPUS)).map((f) => new URL(`edge/${f}`, CORPUS)),
    ];
    assert.ok(files.length >= 8);
    for (const file of files) {
      const body = readFileSync(file);
      assert.deepEqual(summarizeHelmIndex(body), wholeSummary(body), file.pathname);
    }
  });

  it('gives the warnings of charts read alone, skipped charts uncounted, capped as the whole parse caps them', () => {
    const charts = Array.from(
      { length: 60 },
      (_, i) => `  c${i}:\n  - name: c${i}\n    version: 1.0.${i}\n  s${i}: 7\n`,
    ).join('');
    const body = Buffer.from(`apiVersion: v1\nentries:\n${charts}`);
    const summary = summarizeHelmIndex(body);
    assert.deepEqual(summary, wholeSummary(body));
    assert.equal(summary.chartCount, 60);
    assert.match(summary.warnings.at(-1) ?? '', /more warnings/);
  });

  it('throws for what is not an index exactly as the whole parse, also when a chart reads alone', () => {
    // The second chart's alias does not read alone: the whole parse then refuses the anchors.
    const anchors = 'apiVersion: v1\nentries:\n  a:\n  - &v\n    name: a\n    version: 1.0.0\n  b:\n  - *v\n';
    for (const bad of [anchors, '<html>hi</html>', 'entries: {}\n', 'apiVersion: v1\nentries: [1]\n', '']) {
      let message = '';
      assert.throws(
        () => parseHelmIndex(Buffer.from(bad)),
        (err: Error) => Boolean((message = err.message)),
      );
      assert.throws(() => summarizeHelmIndex(Buffer.from(bad)), { message }, bad);
    }
  });
});
