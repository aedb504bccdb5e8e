import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { keyFromString, loadOrCreateKey, SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never shows the plaintext', () => {
    const sealed = box.seal('p@ssw0rd', 'registry-1');
    assert.ok(!sealed.includes('p@ssw0rd'));
    assert.equal(box.open(sealed, 'registry-1'), 'p@ssw0rd');
    assert.notEqual(box.seal('p@ssw0rd', 'registry-1'), sealed, 'a fresh IV each time');
  });

  it('refuses a ciphertext moved to another owner, or tampered with', () => {
    const sealed = box.seal('p@ssw0rd', 'registry-1');
    assert.throws(() => box.open(sealed, 'registry-2'));
    const parts = sealed.split(':');
    parts[3] = Buffer.from('xxxxxxxx').toString('base64');
    assert.throws(() => box.open(parts.join(':'), 'registry-1'));
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'registry-1'));
  });
});

describe('loadOrCreateKey', () => {
  it('creates a 0600 key file once and reuses it', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'charthouse-key-')), 'sub', 'secret.key');
    const first = loadOrCreateKey(null, file);
    assert.equal(first.created, true);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const second = loadOrCreateKey(null, file);
    assert.equal(second.created, false);
    assert.deepEqual(second.key, first.key);
    assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
  });

  it('prefers the configured key and accepts base64 or a passphrase', () => {
    const b64 = randomBytes(32).toString('base64');
    assert.deepEqual(keyFromString(b64), Buffer.from(b64, 'base64'));
    assert.equal(keyFromString('a long passphrase that is not base64!').length, 32);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'charthouse-key-')), 'never.key');
    assert.equal(loadOrCreateKey(b64, file).created, false);
    assert.throws(() => statSync(file));
  });
});
