import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { blobFilePath } from '../blobs/fs-blob-store.js';
import { openStorage } from '../storage/database.js';
import { BackupInvalidError, TargetNotEmptyError } from './backup-errors.js';
import { KEY_FILE, type BackupManifest } from './backup-manifest.js';
import { liveWorkers, readDatabaseFacts } from './backup.repository.js';
import { blobFileIntact } from './blob-files.js';
import {
  checkBackupFolder,
  checkRestoredFacts,
  forgetBackedUpServers,
  planKeyRestore,
  refuseLiveServers,
} from './restore-checks.js';
import type { KeySettings } from './secret-key.js';
import { SQLITE_FILE } from './sqlite-backup.js';

export interface SqliteRestoreOptions {
  dataDir: string;
  key: KeySettings;
  from: string;
  manifest: BackupManifest;
  force: boolean;
  /** How recent a heartbeat in the target database means a server is running there. */
  heartbeatWindowMs: number;
}

/**
 * Restores a SQLite backup into the data folder, with every server stopped. Everything is checked
 * before anything is touched (files against the manifest, blobs against their digests, the key);
 * then blobs and key go in, and the database last, renamed into place, so an interrupted restore
 * leaves no database that names blobs it does not have. The data folder's old database (with its
 * -wal and -shm, which would otherwise be replayed into the restored file) and blob folder are
 * replaced; other files in it are left alone.
 */
export async function restoreSqlite(o: SqliteRestoreOptions): Promise<void> {
  const { manifest } = o;
  await checkBackupFolder(o.from, manifest, SQLITE_FILE);
  const fromBlobs = path.join(o.from, 'blobs');
  for (const blob of manifest.blobs) {
    if (!(await blobFileIntact(fromBlobs, blob.digest, blob.size))) {
      throw new BackupInvalidError(`the backup's blob ${blob.digest} is missing or damaged.`);
    }
  }
  const key = await planKeyRestore(manifest, o.key, o.force);

  const target = path.join(o.dataDir, SQLITE_FILE);
  const toBlobs = path.join(o.dataDir, 'blobs');
  const present: string[] = [];
  if (await exists(target)) present.push(target);
  if ((await readdir(toBlobs).catch(() => [])).length > 0) present.push(toBlobs);
  if (present.length > 0 && !o.force) {
    throw new TargetNotEmptyError(
      `${present.join(' and ')} already exist: restore into an empty data folder, or pass --force to replace them.`,
    );
  }
  if (await exists(target)) {
    const storage = openStorage({ databaseUrl: null, dataDir: o.dataDir });
    try {
      refuseLiveServers(
        await liveWorkers(storage.db, new Date(Date.now() - o.heartbeatWindowMs)),
        o.heartbeatWindowMs,
      );
    } finally {
      await storage.close();
    }
  }

  await rm(toBlobs, { recursive: true, force: true });
  for (const blob of manifest.blobs) {
    const to = blobFilePath(toBlobs, blob.digest)!;
    await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
    await copyFile(blobFilePath(fromBlobs, blob.digest)!, to);
  }
  if (key.writeFile && manifest.files.some((f) => f.path === KEY_FILE)) {
    const text = await readFile(path.join(o.from, KEY_FILE));
    await mkdir(path.dirname(o.key.secretKeyFile), { recursive: true });
    await writeFile(o.key.secretKeyFile, text, { mode: 0o600 });
  }
  const incoming = `${target}.restoring`;
  await copyFile(path.join(o.from, SQLITE_FILE), incoming);
  for (const suffix of ['-wal', '-shm']) await rm(`${target}${suffix}`, { force: true });
  await rename(incoming, target);

  const storage = openStorage({ databaseUrl: null, dataDir: o.dataDir });
  try {
    await forgetBackedUpServers(storage);
    checkRestoredFacts(manifest, await readDatabaseFacts(storage.db));
  } finally {
    await storage.close();
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
