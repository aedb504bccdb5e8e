import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHelmIndex } from './index-document.js';
import { findIndexArchive } from './index-lookup.js';

const HEX = 'ab'.repeat(32);

function index(urls: string, digest = `sha256:${HEX}`): ReturnType<typeof parseHelmIndex> {
  return parseHelmIndex(
    Buffer.from(
      [
        'apiVersion: v1',
        'entries:',
        '  demo:',
        '  - name: demo',
        '    version: 1.2.3',
        `    digest: ${digest}`,
        `    urls: ${urls}`,
        '  - name: demo',
        '    version: v2.0.0',
        '    urls: [demo-v2.0.0.tgz]',
        '',
      ].join('\n'),
    ),
  );
}

const url = (doc: ReturnType<typeof parseHelmIndex>, repository: string, version = '1.2.3'): string => {
  const found = findIndexArchive(doc, new URL(repository), 'demo', version);
  assert.ok(found.found, found.found ? '' : found.reason);
  return found.url.href;
};

describe('findIndexArchive', () => {
  it('resolves a relative URL against the repository URL with one trailing slash, as Helm does', () => {
    const doc = index('[charts/demo-1.2.3.tgz]');
    assert.equal(url(doc, 'https://h.example/repo'), 'https://h.example/repo/charts/demo-1.2.3.tgz');
    assert.equal(url(doc, 'https://h.example/repo/'), 'https://h.example/repo/charts/demo-1.2.3.tgz');
    assert.equal(url(doc, 'https://h.example'), 'https://h.example/charts/demo-1.2.3.tgz');
    // The repository's query string (a signed URL) goes with every relative reference.
    assert.equal(url(doc, 'https://h.example/r?sig=x'), 'https://h.example/r/charts/demo-1.2.3.tgz?sig=x');
    assert.equal(url(index('[../up/demo.tgz]'), 'https://h.example/a/b'), 'https://h.example/a/up/demo.tgz');
  });

  it('takes an absolute URL as it is, first URL first, and the entry digest as hex', () => {
    const doc = index('[https://cdn.example/demo-1.2.3.tgz, https://mirror.example/x.tgz]');
    const found = findIndexArchive(doc, new URL('https://h.example/repo'), 'demo', '1.2.3');
    assert.deepEqual(found.found && { url: found.url.href, digest: found.digest }, {
      url: 'https://cdn.example/demo-1.2.3.tgz',
      digest: HEX,
    });
    const noDigest = findIndexArchive(index('[a.tgz]', 'md5:123'), new URL('https://h/r'), 'demo', '1.2.3');
    assert.equal(noDigest.found && noDigest.digest, null);
  });

  it('matches the version exactly (no SemVer fallback) and says what is missing', () => {
    const doc = index('[a.tgz]');
    const reason = (chart: string, version: string): string => {
      const found = findIndexArchive(doc, new URL('https://h/r'), chart, version);
      assert.equal(found.found, false);
      return found.found ? '' : found.reason;
    };
    assert.match(reason('other', '1.2.3'), /no chart named "other"/);
    assert.match(reason('demo', '2.0.0'), /no version "2\.0\.0" of chart "demo"/);
    assert.equal(url(doc, 'https://h/r', 'v2.0.0'), 'https://h/r/demo-v2.0.0.tgz');
  });

  it('refuses archive URLs that are not http(s)', () => {
    const found = findIndexArchive(index('["oci://h/demo"]'), new URL('https://h/r'), 'demo', '1.2.3');
    assert.equal(found.found, false);
    assert.match(found.found ? '' : found.reason, /"oci:" URL/);
    const empty = findIndexArchive(index('[]'), new URL('https://h/r'), 'demo', '1.2.3');
    assert.match(empty.found ? '' : empty.reason, /no archive URL/);
  });
});
