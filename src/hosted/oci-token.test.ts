import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseScopes } from '../protocol/oci/token-scope.js';
import type { Principal } from '../shared/context.js';
import { AuthenticationError } from '../shared/errors.js';
import { isOciToken, OciTokenSigner } from './oci-token.js';

const ALICE: Principal = { userId: 'u1', username: 'alice', isSystemAdmin: false };
const NOW = 1_800_000_000_000;
const LATER = NOW / 1000 + 300;

describe('OciTokenSigner', () => {
  const signer = new OciTokenSigner(randomBytes(32));

  it('round-trips who, until when and the granted scopes', () => {
    const access = parseScopes(['repository:acme/x:pull,push registry:catalog:* repository:acme/y:*']);
    const token = signer.sign({ principal: ALICE, expires: LATER, access });
    assert.ok(isOciToken(token), token);
    assert.deepEqual(signer.verify(token, NOW), { principal: ALICE, expires: LATER, access });
  });

  it('keeps a system administrator flag, an anonymous caller and a token without access', () => {
    const admin = { ...ALICE, isSystemAdmin: true };
    assert.deepEqual(signer.verify(signer.sign({ principal: admin, expires: LATER, access: [] }), NOW), {
      principal: admin,
      expires: LATER,
      access: [],
    });
    const anonymous = signer.verify(
      signer.sign({ principal: null, expires: LATER, access: parseScopes(['repository:acme/x:pull']) }),
      NOW,
    );
    assert.equal(anonymous.principal, null);
    assert.deepEqual(anonymous.access, [{ type: 'repository', name: 'acme/x', actions: ['pull'] }]);
  });

  it('refuses a token whose claims were changed, one signed with another key, and an expired one', () => {
    const token = signer.sign({
      principal: ALICE,
      expires: LATER,
      access: parseScopes(['repository:acme/x:pull']),
    });
    const [payload, mac] = token.slice('cho_'.length).split('.') as [string, string];
    const widened = Buffer.from(
      JSON.stringify({ u: 'u1', n: 'alice', a: 0, e: LATER, s: ['repository:acme/x:pull,push,delete'] }),
    ).toString('base64url');
    assert.throws(() => signer.verify(`cho_${widened}.${mac}`, NOW), AuthenticationError);
    assert.throws(() => new OciTokenSigner(randomBytes(32)).verify(token, NOW), AuthenticationError);
    assert.throws(() => signer.verify(token, LATER * 1000), /expired/);
    assert.throws(() => signer.verify(`cho_${payload}.${'A'.repeat(43)}`, NOW), /not valid/);
  });

  it('refuses a token of the first format (identity only), even with the right key', () => {
    const secret = randomBytes(32);
    const v1Key = createHmac('sha256', secret).update('charthouse/oci-token/v1').digest();
    const payload = Buffer.from(JSON.stringify({ u: 'u1', n: 'alice', a: 0, e: LATER })).toString(
      'base64url',
    );
    const v1 = `cho_${payload}.${createHmac('sha256', v1Key).update(payload).digest('base64url')}`;
    assert.throws(() => new OciTokenSigner(secret).verify(v1, NOW), AuthenticationError);
  });

  it('tells OCI tokens from Charthouse tokens', () => {
    assert.ok(!isOciToken(`chs_${'a'.repeat(43)}`));
    assert.ok(!isOciToken('cho_forged.token'));
  });
});
