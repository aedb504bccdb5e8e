import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BackupInvalidError } from './backup-errors.js';
import type { DatabaseFacts, TableCounts } from './backup.repository.js';
import type { KeySource } from './secret-key.js';

export const MANIFEST_FILE = 'manifest.json';
/** The key file's name in a backup (when the key came from a file). */
export const KEY_FILE = 'secret.key';
const FORMAT = 1;

/** A file of the backup, relative to its folder, with what it must hash to. */
export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * `manifest.json`, written last: a folder without one is an unfinished backup. Restore checks every
 * file against it before it touches the target, and the restored database against its counts.
 */
export interface BackupManifest {
  format: typeof FORMAT;
  charthouseVersion: string;
  createdAt: string;
  database: 'sqlite' | 'postgres';
  /** The last migration applied to the copied database. */
  migration: string | null;
  counts: TableCounts;
  /** Database file or dump, and the key file when it is part of the backup. */
  files: ManifestFile[];
  /** SQLite: the blob files (named by their digest, under `blobs/`); empty on PostgreSQL. */
  blobs: { digest: string; size: number }[];
  /**
   * Where the key sealing passwords and kubeconfigs comes from: copied into the backup (`file`), or
   * set in the environment (`environment`: not copied; restore needs the same key). The fingerprint
   * identifies the key without revealing it, so a restore can tell the wrong key in advance.
   */
  secretKey: { source: 'file' | 'environment'; fingerprint: string };
  /** SQLite: how many database snapshots it took until every blob a snapshot names was copied. */
  snapshotRounds?: number;
}

/** sha256 (hex) and size of a file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export async function describeFile(folder: string, relative: string): Promise<ManifestFile> {
  return { path: relative, ...(await hashFile(path.join(folder, relative))) };
}

export async function writeManifest(folder: string, manifest: BackupManifest): Promise<void> {
  await writeFile(path.join(folder, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o600,
  });
}

/** The manifest of `folder`, checked for form (not yet against the files: see {@link verifyFiles}). */
export async function readManifest(folder: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(path.join(folder, MANIFEST_FILE), 'utf8');
  } catch {
    throw new BackupInvalidError(
      `${folder} has no ${MANIFEST_FILE}: it is not a Charthouse backup, or the backup did not finish.`,
    );
  }
  let doc: Partial<BackupManifest>;
  try {
    doc = JSON.parse(text) as Partial<BackupManifest>;
  } catch {
    throw new BackupInvalidError(`${path.join(folder, MANIFEST_FILE)} is not valid JSON.`);
  }
  if (
    doc.format !== FORMAT ||
    (doc.database !== 'sqlite' && doc.database !== 'postgres') ||
    !Array.isArray(doc.files) ||
    !Array.isArray(doc.blobs) ||
    typeof doc.counts !== 'object' ||
    doc.secretKey === undefined
  ) {
    throw new BackupInvalidError(
      `${path.join(folder, MANIFEST_FILE)} is not a manifest this version of Charthouse reads (format ${FORMAT}).`,
    );
  }
  for (const f of doc.files) {
    // Names come from a file a user may have edited: nothing outside the backup folder is read.
    if (typeof f.path !== 'string' || path.isAbsolute(f.path) || f.path.split(/[\\/]/).includes('..')) {
      throw new BackupInvalidError(`${MANIFEST_FILE} names a file outside the backup: ${String(f.path)}`);
    }
  }
  return doc as BackupManifest;
}

/** Every listed file is there with its size and sha256; throws naming the first that is not. */
export async function verifyFiles(folder: string, files: readonly ManifestFile[]): Promise<void> {
  for (const f of files) {
    const file = path.join(folder, f.path);
    const info = await stat(file).catch(() => null);
    if (info === null) throw new BackupInvalidError(`the backup is missing ${f.path}.`);
    const actual = await hashFile(file);
    if (actual.size !== f.size || actual.sha256 !== f.sha256) {
      throw new BackupInvalidError(
        `${f.path} is not the file the backup wrote (its sha256 differs from ${MANIFEST_FILE}): the backup is damaged.`,
      );
    }
  }
}

/** The version in package.json, from the source tree or dist/ alike (both sit two folders down). */
export async function charthouseVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The end of every backup: the key file (when the key came from one), then the manifest naming the
 * database file or dump, the key and the blobs. The manifest goes last: a folder without one is an
 * unfinished backup.
 */
export async function finishBackup(
  out: string,
  o: {
    database: BackupManifest['database'];
    databaseFile: string;
    facts: DatabaseFacts;
    key: KeySource;
    blobs?: BackupManifest['blobs'];
    snapshotRounds?: number;
  },
): Promise<BackupManifest> {
  const files: ManifestFile[] = [await describeFile(out, o.databaseFile)];
  if (o.key.fileText !== null) {
    await writeFile(path.join(out, KEY_FILE), o.key.fileText, { mode: 0o600 });
    files.push(await describeFile(out, KEY_FILE));
  }
  const manifest: BackupManifest = {
    format: FORMAT,
    charthouseVersion: await charthouseVersion(),
    createdAt: new Date().toISOString(),
    database: o.database,
    migration: o.facts.migration,
    counts: o.facts.counts,
    files,
    blobs: o.blobs ?? [],
    secretKey: { source: o.key.source, fingerprint: o.key.fingerprint },
    ...(o.snapshotRounds === undefined ? {} : { snapshotRounds: o.snapshotRounds }),
  };
  await writeManifest(out, manifest);
  return manifest;
}
