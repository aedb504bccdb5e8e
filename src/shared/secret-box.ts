import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

/**
 * Encrypts secrets at rest (registry passwords) with AES-256-GCM. Each value is bound to its owner
 * (`context`, e.g. the registry id) as additional authenticated data, so a ciphertext copied onto
 * another row does not decrypt.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.key = key;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      data.toString('base64'),
    ].join(':');
  }

  open(envelope: string, context: string): string {
    const [version, iv, tag, data] = envelope.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('Unknown secret envelope');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** A configured key is 32 bytes of base64, or any long passphrase (hashed down to 32 bytes). */
export function keyFromString(secret: string): Buffer {
  const decoded = Buffer.from(secret, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(secret)) return decoded;
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * The key from `CHARTHOUSE_SECRET_KEY`, else from the key file, which is created with mode 0600 on
 * first start. A key file readable by others is tightened rather than trusted as is.
 */
export function loadOrCreateKey(
  secretKey: string | null,
  keyFile: string,
): { key: Buffer; created: boolean } {
  if (secretKey) return { key: keyFromString(secretKey), created: false };
  if (existsSync(keyFile)) {
    if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
    return { key: keyFromString(readFileSync(keyFile, 'utf8').trim()), created: false };
  }
  mkdirSync(path.dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  // Written aside, then linked into place: the link is atomic and fails if the file exists, so a
  // process sharing the data folder never reads a half-written key, and the first writer wins.
  const temp = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, keyFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKey(null, keyFile);
    throw err;
  } finally {
    unlinkSync(temp);
  }
  return { key, created: true };
}
