import { readFile } from 'node:fs/promises';
import { readCleartextMessage, readKeys, verify, type Key } from 'openpgp';
import { readProvenanceBlock } from '../protocol/helm/provenance-block.js';

/**
 * Helm provenance (`helm package --sign`, `helm verify`): a `.prov` is Chart.yaml and the archive's
 * sha256, clearsigned with OpenPGP. Checked with `openpgp` (a well-kept library; no gpg binary).
 *
 * The results, as the report names them:
 * - verified: a key of the keyring made the signature, and the signed sha256 for the archive's file
 *   name is the archive's (and the signed Chart.yaml is the layer's chart and version);
 * - unsigned: there is no `.prov`;
 * - unchecked: there is a `.prov` but the agent was given no keyring;
 * - failed: a bad signature, a key not in the keyring, an unreadable `.prov`, or another sha256.
 */
export type ProvenanceCheck =
  | { result: 'verified'; signer: string }
  | { result: 'unsigned' }
  | { result: 'unchecked'; reason: string }
  | { result: 'failed'; reason: string };

/** The keyring file could not be used; the agent should stop and say so. */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/**
 * The public keys a `.prov` may be signed with: `helm verify --keyring`'s file, a binary GnuPG
 * public keyring (`gpg --export > keyring.gpg`, the legacy pubring.gpg) or ASCII-armored keys, several
 * keys in either form.
 */
export class Keyring {
  private constructor(readonly keys: readonly Key[]) {}

  static async read(path: string): Promise<Keyring> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new KeyringError(`The keyring ${path} cannot be read: ${(error as Error).message}.`);
    }
    return Keyring.fromBytes(bytes, path);
  }

  static async fromBytes(bytes: Uint8Array, shownAs = 'the keyring'): Promise<Keyring> {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // gpg >= 2.1 keeps pubring.kbx, a keybox ("KBXf" at byte 8), which is no OpenPGP packet stream.
    if (buffer.subarray(8, 12).toString('latin1') === 'KBXf') {
      throw new KeyringError(
        `${shownAs} is a GnuPG keybox (pubring.kbx); export the keys: gpg --export > keyring.gpg.`,
      );
    }
    const text = buffer.toString('latin1');
    const keys: Key[] = [];
    try {
      if (text.trimStart().startsWith('-----BEGIN PGP')) {
        // Armored keys may come as several blocks one after the other; openpgp reads one block per call.
        const blocks = text.match(
          /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g,
        );
        for (const block of blocks ?? []) keys.push(...(await readKeys({ armoredKeys: block })));
      } else {
        keys.push(...(await readKeys({ binaryKeys: new Uint8Array(buffer) })));
      }
    } catch (error) {
      throw new KeyringError(
        `${shownAs} holds no readable OpenPGP public keys: ${(error as Error).message}.`,
      );
    }
    if (keys.length === 0) throw new KeyringError(`${shownAs} holds no OpenPGP public keys.`);
    return new Keyring(keys);
  }
}

export interface ProvenanceSubject {
  /** The archive's sha256, `sha256:<hex>`. */
  digest: string;
  chart: string;
  version: string;
  /** File names the `.prov` may list the archive under: `<chart>-<version>.tgz`, and the downloaded file's name. */
  fileNames: readonly string[];
}

/** Checks a `.prov` (null: there was none) for an archive that has passed its own checks. Never throws. */
export async function checkProvenance(
  prov: Uint8Array | null,
  subject: ProvenanceSubject,
  keyring: Keyring | null,
): Promise<ProvenanceCheck> {
  if (prov === null) return { result: 'unsigned' };
  if (keyring === null) {
    return {
      result: 'unchecked',
      reason: 'the chart has a .prov, but the agent was given no keyring (--keyring)',
    };
  }
  const failed = (reason: string): ProvenanceCheck => ({ result: 'failed', reason: `provenance: ${reason}` });
  let signedText: string;
  let signer: string;
  try {
    const message = await readCleartextMessage({ cleartextMessage: Buffer.from(prov).toString('utf8') });
    const verification = await verify({ message, verificationKeys: [...keyring.keys] });
    const signature = verification.signatures[0];
    if (signature === undefined) return failed('the .prov carries no signature');
    const keyId = signature.keyID;
    const key = keyring.keys.find((k) => k.getKeys(keyId).length > 0);
    if (key === undefined) {
      return failed(`the .prov is signed by key ${keyId.toHex().toUpperCase()}, which is not in the keyring`);
    }
    try {
      await signature.verified;
    } catch (error) {
      return failed(
        `the signature does not verify with key ${keyId.toHex().toUpperCase()} (${(error as Error).message})`,
      );
    }
    signedText = verification.data;
    const user = await key.getPrimaryUser().catch(() => null);
    signer = `${user?.user.userID?.userID ?? '(no user id)'} (${key.getFingerprint().toUpperCase()})`;
  } catch (error) {
    return failed(`the .prov is not a clearsigned OpenPGP message (${(error as Error).message})`);
  }
  const read = readProvenanceBlock(signedText);
  if (!read.ok) return failed(read.reason);
  const { block } = read;
  if (block.chart.name !== subject.chart || block.chart.version !== subject.version) {
    return failed(
      `the .prov was signed for ${JSON.stringify(block.chart.name)} version ${JSON.stringify(block.chart.version)}, ` +
        `not ${JSON.stringify(subject.chart)} version ${JSON.stringify(subject.version)}`,
    );
  }
  const name = subject.fileNames.find((n) => block.files.has(n));
  if (name === undefined) {
    return failed(
      `the .prov lists no sha256 for ${subject.fileNames.map((n) => JSON.stringify(n)).join(' or ')}`,
    );
  }
  const signed = block.files.get(name)!;
  if (signed !== subject.digest) {
    return failed(
      `the signed sha256 of ${name} is ${signed.replace(/^sha256:/, '')}, the archive's is ${subject.digest.replace(/^sha256:/, '')}`,
    );
  }
  return { result: 'verified', signer };
}
