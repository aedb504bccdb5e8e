import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { keyFromString } from '../shared/secret-box.js';
import { BackupInvalidError } from './backup-errors.js';

/** The settings that say where the sealing key comes from (src/config). */
export interface KeySettings {
  secretKey: string | null;
  secretKeyFile: string;
}

export interface KeySource {
  source: 'file' | 'environment';
  fingerprint: string;
  /** The key file's text, when the key comes from a file. */
  fileText: string | null;
}

/** Identifies a key without revealing it: a restore compares it with the key it will run under. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256')
    .update('charthouse secret key fingerprint\0')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

/**
 * The key as the server would load it (shared/secret-box.ts `loadOrCreateKey`), without creating one:
 * a backup of an installation whose key file is missing could never open its sealed secrets.
 */
export async function readKeySource(settings: KeySettings): Promise<KeySource> {
  if (settings.secretKey) {
    return {
      source: 'environment',
      fingerprint: keyFingerprint(keyFromString(settings.secretKey)),
      fileText: null,
    };
  }
  let text: string;
  try {
    text = await readFile(settings.secretKeyFile, 'utf8');
  } catch {
    throw new BackupInvalidError(
      `the secret key file ${settings.secretKeyFile} cannot be read: without it the sealed registry passwords ` +
        'and kubeconfigs are lost. Point CHARTHOUSE_SECRET_KEY_FILE at it (or set CHARTHOUSE_SECRET_KEY) as the server does.',
    );
  }
  return { source: 'file', fingerprint: keyFingerprint(keyFromString(text.trim())), fileText: text };
}

/** The fingerprint of the key a server with these settings would use now, or null if it has none yet. */
export async function currentKeyFingerprint(settings: KeySettings): Promise<string | null> {
  try {
    return (await readKeySource(settings)).fingerprint;
  } catch {
    return null;
  }
}
