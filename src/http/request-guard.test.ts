import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { areaOf, badQueryKey, decodedPath } from './request-guard.js';

describe('request guard', () => {
  it('decodes the path and flags control characters and undecodable escapes', () => {
    assert.deepEqual(decodedPath('/helm/acme/index.yaml?x=%00'), { path: '/helm/acme/index.yaml', ok: true });
    assert.deepEqual(decodedPath('/helm/caf%C3%A9/a%2Fb'), { path: '/helm/café/a/b', ok: true });
    assert.deepEqual(decodedPath('/helm/acme%00/index.yaml'), {
      path: '/helm/acme\u0000/index.yaml',
      ok: false,
    });
    for (const escape of ['%0A', '%1F', '%7F', '%C2%85']) {
      assert.equal(decodedPath(`/api/v1/tenants/a${escape}`).ok, false, escape);
    }
    assert.deepEqual(decodedPath('/v2/a%FFb/x/tags/list'), { path: '/v2/a%FFb/x/tags/list', ok: false });
  });

  it('finds the query key whose value (or name) holds a control character', () => {
    assert.equal(badQueryKey({ q: 'nginx', n: '10' }), null);
    assert.equal(badQueryKey({ q: 'café 😀' }), null);
    assert.equal(badQueryKey({ q: 'a', cursor: 'b\u0000' }), 'cursor');
    assert.equal(badQueryKey({ scope: ['ok', 'repository:a\u0000:pull'] }), 'scope');
    assert.equal(badQueryKey({ 'a\u0000': 'x' }), 'a\u0000');
    assert.equal(badQueryKey(null), null);
  });

  it('tells the protocol areas apart', () => {
    assert.equal(areaOf('/api/v1/me'), 'api');
    assert.equal(areaOf('/helm/acme/index.yaml'), 'helm');
    assert.equal(areaOf('/v2/'), 'v2');
    assert.equal(areaOf('/v2'), 'v2');
    assert.equal(areaOf('/v2x'), 'other');
    assert.equal(areaOf('/healthz'), 'other');
  });
});
