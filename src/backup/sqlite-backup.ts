import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { blobFilePath } from '../blobs/fs-blob-store.js';
import { openStorage } from '../storage/database.js';
import { BackupIncompleteError, BackupInvalidError } from './backup-errors.js';
import { finishBackup, type BackupManifest } from './backup-manifest.js';
import { readDatabaseFacts, referencedBlobDigests, type DatabaseFacts } from './backup.repository.js';
import { copyBlobFile } from './blob-files.js';
import { prepareEmptyFolder } from './folders.js';
import { readKeySource, type KeySettings } from './secret-key.js';

/** The database file's name in the data folder (src/storage/database.ts) and in a backup. */
export const SQLITE_FILE = 'charthouse.db';
const MAX_ROUNDS = 5;

export interface SqliteBackupOptions {
  dataDir: string;
  key: KeySettings;
  out: string;
  /** Tests: runs after each database snapshot, before its blobs are copied. */
  afterSnapshot?: (round: number) => Promise<void>;
}

/**
 * An online backup of a SQLite installation: the database through SQLite's backup API, the blob files
 * it references, the key file, and a manifest.
 *
 * Why this order. The database says which blobs exist; a blob's file is written (and renamed into
 * place) before the row naming it commits, so every blob a snapshot names was on disk when the
 * snapshot was taken. Copying the files after the snapshot therefore finds them all, unless the
 * server deleted one in between: the hosted garbage collector, an OCI blob DELETE, or an overwritten
 * chart's old archive can free a blob the snapshot still names. The copy notices (the file is gone)
 * and takes a new snapshot, copying only what it does not have yet, until a snapshot's blobs are all
 * in the backup; blobs are content-addressed, so files copied in an earlier round are the same bytes.
 * Deletions are rare (the sweep runs every 15 minutes), so a second round is already unusual.
 *
 * The snapshot is one backup step over every page, inside one read transaction: in WAL mode the
 * server keeps writing meanwhile, and the copy is the database as of that transaction's start.
 */
export async function backupSqlite(o: SqliteBackupOptions): Promise<BackupManifest> {
  const source = path.join(o.dataDir, SQLITE_FILE);
  const live = openSource(source);
  try {
    await prepareEmptyFolder(o.out);
    const key = await readKeySource(o.key);
    const fromBlobs = path.join(o.dataDir, 'blobs');
    const toBlobs = path.join(o.out, 'blobs');
    const copied = new Map<string, number>();
    let facts: DatabaseFacts | null = null;
    let wanted: string[] = [];
    let rounds = 0;
    while (facts === null) {
      rounds += 1;
      if (rounds > MAX_ROUNDS) {
        throw new BackupIncompleteError(
          `blobs were deleted under the backup ${MAX_ROUNDS} times in a row; try again when the server is quieter.`,
        );
      }
      const snapshot = path.join(o.out, SQLITE_FILE);
      await snapshotDatabase(live, snapshot);
      await o.afterSnapshot?.(rounds);
      const { facts: roundFacts, required, optional } = await readSnapshot(o.out);
      let complete = true;
      for (const digest of required) {
        if (copied.has(digest)) continue;
        const blob = await copyBlobFile(fromBlobs, toBlobs, digest);
        if (blob === null) complete = false;
        else copied.set(digest, blob.size);
      }
      // An open upload's pieces are copied where they still exist; a client whose piece is gone
      // after a restore is told to start that upload again.
      for (const digest of optional) {
        if (copied.has(digest)) continue;
        const blob = await copyBlobFile(fromBlobs, toBlobs, digest);
        if (blob !== null) copied.set(digest, blob.size);
      }
      if (complete) {
        facts = roundFacts;
        wanted = [...required, ...optional].filter((d) => copied.has(d));
      }
    }
    // Blobs only an earlier snapshot named are garbage the server has freed since: left out.
    const keep = new Set(wanted);
    for (const digest of copied.keys()) {
      if (!keep.has(digest)) {
        await rm(blobFilePath(toBlobs, digest)!, { force: true });
      }
    }
    return await finishBackup(o.out, {
      database: 'sqlite',
      databaseFile: SQLITE_FILE,
      facts,
      key,
      blobs: [...keep].sort().map((digest) => ({ digest, size: copied.get(digest)! })),
      snapshotRounds: rounds,
    });
  } finally {
    live.close();
  }
}

function openSource(file: string): SQLite.Database {
  try {
    const db = new SQLite(file, { fileMustExist: true });
    // The backup step reads under a shared lock; wait for a checkpoint or recovery rather than fail.
    db.pragma('busy_timeout = 10000');
    return db;
  } catch {
    throw new BackupInvalidError(
      `there is no Charthouse database at ${file}: set CHARTHOUSE_DATA_DIR (or CHARTHOUSE_DATABASE_URL) as the server has it.`,
    );
  }
}

/** The whole database in one backup step: one read transaction, so one consistent moment. */
async function snapshotDatabase(live: SQLite.Database, target: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) await rm(`${target}${suffix}`, { force: true });
  await mkdir(path.dirname(target), { recursive: true });
  // better-sqlite3 calls `progress` after a first empty step; from then on every remaining page at once.
  await live.backup(target, { progress: () => 0x7fffffff });
}

async function readSnapshot(
  folder: string,
): Promise<{ facts: DatabaseFacts; required: string[]; optional: string[] }> {
  const storage = openStorage({ databaseUrl: null, dataDir: folder });
  try {
    const facts = await readDatabaseFacts(storage.db);
    return { facts, ...(await referencedBlobDigests(storage.db)) };
  } finally {
    await storage.close();
  }
}
