import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWwwAuthenticate, parseWwwAuthenticateAll } from './www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('reads a Basic challenge', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), {
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
  });

  it('reads a Docker Bearer challenge with commas inside quotes', () => {
    const challenge = parseWwwAuthenticate(
      'Bearer realm="https://reg.example.com/v2/token",service="reg.example.com",scope="repository:a/b:pull,push"',
    );
    assert.deepEqual(challenge, {
      scheme: 'bearer',
      params: {
        realm: 'https://reg.example.com/v2/token',
        service: 'reg.example.com',
        scope: 'repository:a/b:pull,push',
      },
    });
  });

  it('handles escapes, spaces around "=", token values and case', () => {
    const challenge = parseWwwAuthenticate(
      'BEARER Realm = "a \\"quoted\\" \\\\ realm" , error=insufficient_scope',
    );
    assert.deepEqual(challenge, {
      scheme: 'bearer',
      params: { realm: 'a "quoted" \\ realm', error: 'insufficient_scope' },
    });
  });

  it('keeps the first of duplicate parameters and ignores __proto__', () => {
    const challenge = parseWwwAuthenticate('Basic realm="a", realm="b", __proto__="x"');
    assert.deepEqual(challenge?.params, { realm: 'a' });
    assert.equal(Object.getPrototypeOf(challenge?.params), Object.prototype);
  });

  it('returns null for an empty header', () => {
    assert.equal(parseWwwAuthenticate(''), null);
    assert.equal(parseWwwAuthenticate('  ,  '), null);
  });

  it('survives an unterminated quote', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://x'), {
      scheme: 'bearer',
      params: { realm: 'https://x' },
    });
  });
});

describe('parseWwwAuthenticateAll', () => {
  it('splits several challenges in one header', () => {
    const challenges = parseWwwAuthenticateAll(
      'Basic realm="x", Bearer realm="https://t/token",service="s", Negotiate abc==',
    );
    assert.deepEqual(challenges, [
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
      { scheme: 'negotiate', params: {}, token68: 'abc==' },
    ]);
  });

  it('reads a scheme without parameters', () => {
    assert.deepEqual(parseWwwAuthenticateAll('Basic'), [{ scheme: 'basic', params: {} }]);
  });

  it('skips a malformed tail and carries on', () => {
    assert.deepEqual(parseWwwAuthenticateAll('Bearer realm="r" junk stuff, Basic realm="b"'), [
      { scheme: 'bearer', params: { realm: 'r' } },
      { scheme: 'basic', params: { realm: 'b' } },
    ]);
  });
});
