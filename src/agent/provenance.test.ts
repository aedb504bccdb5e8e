import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readKeys } from 'openpgp';
import { signChartProvenance, testSigningKey } from '../../test/support/provenance.js';
import { checkProvenance, Keyring, KeyringError, type ProvenanceSubject } from './provenance.js';

const CORPUS = new URL('../../../shared/corpus/provenance/', import.meta.url);
const corpus = (name: string): Buffer => readFileSync(new URL(name, CORPUS));

const SIGNTEST: ProvenanceSubject = {
  digest: 'sha256:e5ef611620fb97704d8751c16bab17fedb68883bfb0edc76f78a70e9173f9b55',
  chart: 'signtest',
  version: '0.1.0',
  fileNames: ['signtest-0.1.0.tgz'],
};
const HELM_KEY =
  /^Helm Testing \(This key should only be used for testing\. DO NOT TRUST\.\) <helm-testing@helm\.sh> \(5E615389B53CA37F0EE60BD3843BBF981FC18762\)$/;

describe('checkProvenance', () => {
  it("verifies Helm's signed test chart with Helm's test key (a binary GnuPG keyring)", async () => {
    const keyring = await Keyring.fromBytes(corpus('helm-test-key.pub'));
    const check = await checkProvenance(corpus('signtest-0.1.0.tgz.prov'), SIGNTEST, keyring);
    assert.equal(check.result, 'verified');
    assert.match(check.result === 'verified' ? check.signer : '', HELM_KEY);
  });

  it('reads armored keyrings with several keys, in one block or several', async () => {
    const [helmKey] = await readKeys({ binaryKeys: corpus('helm-test-key.pub') });
    const other = await testSigningKey('Another key');
    const armored = `${other.publicKey.armor()}\n${helmKey!.armor()}`;
    const keyring = await Keyring.fromBytes(Buffer.from(armored));
    assert.equal(keyring.keys.length, 2);
    const check = await checkProvenance(corpus('signtest-0.1.0.tgz.prov'), SIGNTEST, keyring);
    assert.equal(check.result, 'verified');
  });

  it('fails a tampered .prov, an unknown key and another archive, saying which', async () => {
    const keyring = await Keyring.fromBytes(corpus('helm-test-key.pub'));
    const prov = corpus('signtest-0.1.0.tgz.prov').toString('utf8');
    const reason = async (bytes: Buffer | string, subject = SIGNTEST, ring = keyring): Promise<string> => {
      const check = await checkProvenance(Buffer.from(bytes), subject, ring);
      assert.equal(check.result, 'failed');
      return check.result === 'failed' ? check.reason : '';
    };
    // One hex digit of the signed digest changed: the signature no longer holds.
    assert.match(
      await reason(prov.replace('sha256:e5ef', 'sha256:e5ee')),
      /signature does not verify with key 843BBF981FC18762/,
    );
    const stranger = await Keyring.fromBytes(Buffer.from((await testSigningKey()).publicKey.armor()));
    assert.match(
      await reason(prov, SIGNTEST, stranger),
      /signed by key 843BBF981FC18762, which is not in the keyring/,
    );
    const otherDigest = { ...SIGNTEST, digest: `sha256:${'0'.repeat(64)}` };
    assert.match(
      await reason(prov, otherDigest),
      /signed sha256 of signtest-0\.1\.0\.tgz is e5ef6116.*, the archive's is 0000/,
    );
    assert.match(
      await reason(prov, { ...SIGNTEST, version: '0.2.0' }),
      /signed for "signtest" version "0\.1\.0", not "signtest" version "0\.2\.0"/,
    );
    assert.match(await reason('not a signed message'), /not a clearsigned OpenPGP message/);
  });

  it('checks a .prov signed with a fresh key, under the downloaded file name too', async () => {
    const { privateKey, publicKey } = await testSigningKey();
    const archive = Buffer.from('pretend archive');
    const prov = await signChartProvenance(privateKey, { name: 'demo', version: '1.0.0' }, archive, {
      fileName: 'demo-1.0.0-renamed.tgz',
    });
    const keyring = await Keyring.fromBytes(Buffer.from(publicKey.armor()));
    const subject = {
      digest: `sha256:${createHash('sha256').update(archive).digest('hex')}`,
      chart: 'demo',
      version: '1.0.0',
      fileNames: ['demo-1.0.0.tgz'],
    };
    const missing = await checkProvenance(prov, subject, keyring);
    assert.match(
      missing.result === 'failed' ? missing.reason : '',
      /lists no sha256 for "demo-1\.0\.0\.tgz"/,
    );
    const check = await checkProvenance(
      prov,
      { ...subject, fileNames: ['demo-1.0.0.tgz', 'demo-1.0.0-renamed.tgz'] },
      keyring,
    );
    assert.equal(check.result, 'verified');
    assert.match(
      check.result === 'verified' ? check.signer : '',
      /Charthouse test signer <signer@charthouse\.test> \([0-9A-F]{40}\)/,
    );
  });

  it('is unsigned without a .prov and unchecked without a keyring', async () => {
    assert.deepEqual(await checkProvenance(null, SIGNTEST, null), { result: 'unsigned' });
    const check = await checkProvenance(corpus('signtest-0.1.0.tgz.prov'), SIGNTEST, null);
    assert.equal(check.result, 'unchecked');
  });
});

describe('Keyring', () => {
  it('refuses a keybox, an empty file and garbage with a clear message', async () => {
    const keybox = Buffer.concat([
      Buffer.from([0, 0, 0, 32, 1, 1, 0, 0]),
      Buffer.from('KBXf'),
      Buffer.alloc(20),
    ]);
    await assert.rejects(
      Keyring.fromBytes(keybox, 'pubring.kbx'),
      (e: unknown) => e instanceof KeyringError && /keybox.*gpg --export/.test(e.message),
    );
    await assert.rejects(Keyring.fromBytes(Buffer.from('hello'), 'k.gpg'), KeyringError);
    await assert.rejects(Keyring.fromBytes(Buffer.alloc(0), 'k.gpg'), KeyringError);
    await assert.rejects(Keyring.read('/nonexistent/keyring.gpg'), /cannot be read/);
  });
});
