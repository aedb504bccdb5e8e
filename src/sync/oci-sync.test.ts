import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeSkippedTags,
  encodeSkippedTags,
  ociChartReference,
  tagToVersion,
  versionToTag,
} from './oci-sync.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

describe('tag ↔ version', () => {
  it('reads _ as + and keeps only strict SemVer, as helm does', () => {
    assert.equal(tagToVersion('1.2.3'), '1.2.3');
    assert.equal(tagToVersion('1.0.0_build.1'), '1.0.0+build.1');
    assert.equal(tagToVersion('2.0.0-rc.1_meta'), '2.0.0-rc.1+meta');
    for (const tag of ['latest', 'v1.2.3', '1.2', '01.2.3', `sha256-${'a'.repeat(64)}.sig`, '1.2.3_']) {
      assert.equal(tagToVersion(tag), null, tag);
    }
  });
  it('writes + as _', () => {
    assert.equal(versionToTag('1.0.0+build.1'), '1.0.0_build.1');
    assert.equal(tagToVersion(versionToTag('3.1.4-alpha+x.y')), '3.1.4-alpha+x.y');
  });
});

describe('ociChartReference', () => {
  it('is the oci:// reference helm pulls, port included', () => {
    assert.equal(
      ociChartReference(new URL('http://127.0.0.1:5000'), 'charts/app'),
      'oci://127.0.0.1:5000/charts/app',
    );
    assert.equal(ociChartReference(new URL('https://ghcr.io'), 'org/app'), 'oci://ghcr.io/org/app');
  });
});

describe('remembered skipped tags', () => {
  it('round-trip, and anything else (a classic ETag, garbage) reads as none', () => {
    const skipped = new Map([['apps/web:1.0.0', { digest: d('c'), reason: 'it is an image' }]]);
    const text = encodeSkippedTags(skipped);
    assert.ok(text !== null);
    assert.deepEqual(decodeSkippedTags(text), skipped);
    assert.equal(encodeSkippedTags(new Map()), null);
    for (const other of [null, undefined, '"abc-123"', 'W/"x"', '{"entries":[["a","b","c"]]}', '{broken']) {
      assert.equal(decodeSkippedTags(other).size, 0, String(other));
    }
  });
});
