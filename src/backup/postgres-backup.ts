import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openStorage } from '../storage/database.js';
import { PostgresToolError, TargetNotEmptyError } from './backup-errors.js';
import { finishBackup, KEY_FILE, type BackupManifest } from './backup-manifest.js';
import {
  liveWorkers,
  postgresHasTables,
  readDatabaseFacts,
  withExportedSnapshot,
} from './backup.repository.js';
import { prepareEmptyFolder } from './folders.js';
import {
  checkBackupFolder,
  checkRestoredFacts,
  forgetBackedUpServers,
  planKeyRestore,
  refuseLiveServers,
} from './restore-checks.js';
import { readKeySource, type KeySettings } from './secret-key.js';

export const DUMP_FILE = 'charthouse.pgdump';

export interface PostgresBackupOptions {
  databaseUrl: string;
  key: KeySettings;
  out: string;
}

/**
 * A PostgreSQL installation: `pg_dump --format=custom` of the database (blobs included: they live in
 * it), the key file, and a manifest. The dump runs in a snapshot exported from a transaction in which
 * the manifest's counts are read, so the counts describe exactly what was dumped while servers write.
 */
export async function backupPostgres(o: PostgresBackupOptions): Promise<BackupManifest> {
  await prepareEmptyFolder(o.out);
  const key = await readKeySource(o.key);
  const storage = openStorage({ databaseUrl: o.databaseUrl, dataDir: o.out, maxConnections: 1 });
  let facts;
  try {
    facts = await withExportedSnapshot(storage.db, async (snapshotId, inSnapshot) => {
      await runTool(
        'pg_dump',
        ['--format=custom', `--snapshot=${snapshotId}`, `--file=${path.join(o.out, DUMP_FILE)}`],
        o.databaseUrl,
      );
      return inSnapshot;
    });
  } finally {
    await storage.close();
  }
  return finishBackup(o.out, { database: 'postgres', databaseFile: DUMP_FILE, facts, key });
}

export interface PostgresRestoreOptions {
  databaseUrl: string;
  key: KeySettings;
  from: string;
  manifest: BackupManifest;
  force: boolean;
  heartbeatWindowMs: number;
}

/**
 * `pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error` into the configured
 * database, with every server stopped: all of it or (on any error) none of it. A database that holds
 * tables already is replaced only with --force; tables the dump does not have are left as they are,
 * so restore into an empty database where you can.
 */
export async function restorePostgres(o: PostgresRestoreOptions): Promise<void> {
  const { manifest } = o;
  await checkBackupFolder(o.from, manifest, DUMP_FILE);
  const key = await planKeyRestore(manifest, o.key, o.force);
  const storage = openStorage({ databaseUrl: o.databaseUrl, dataDir: o.from, maxConnections: 1 });
  try {
    if (await postgresHasTables(storage.db)) {
      if (!o.force) {
        throw new TargetNotEmptyError(
          'the database named by CHARTHOUSE_DATABASE_URL holds tables already: restore into an empty database, or pass --force to replace its Charthouse tables.',
        );
      }
      refuseLiveServers(
        await liveWorkers(storage.db, new Date(Date.now() - o.heartbeatWindowMs)),
        o.heartbeatWindowMs,
      );
    }
  } finally {
    await storage.close();
  }
  await runTool(
    'pg_restore',
    [
      '--clean',
      '--if-exists',
      '--no-owner',
      '--single-transaction',
      '--exit-on-error',
      path.join(o.from, DUMP_FILE),
    ],
    o.databaseUrl,
  );
  if (key.writeFile && manifest.files.some((f) => f.path === KEY_FILE)) {
    await mkdir(path.dirname(o.key.secretKeyFile), { recursive: true });
    await writeFile(o.key.secretKeyFile, await readFile(path.join(o.from, KEY_FILE)), { mode: 0o600 });
  }
  const restored = openStorage({ databaseUrl: o.databaseUrl, dataDir: o.from, maxConnections: 1 });
  try {
    await forgetBackedUpServers(restored);
    checkRestoredFacts(manifest, await readDatabaseFacts(restored.db));
  } finally {
    await restored.close();
  }
}

/**
 * Runs pg_dump or pg_restore (from PATH) against `databaseUrl`. The password travels in PGPASSWORD,
 * not on the command line where `ps` shows it; the rest of the URL is libpq's own connection URI.
 */
function runTool(tool: 'pg_dump' | 'pg_restore', args: string[], databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  const env: NodeJS.ProcessEnv = { ...process.env, ...(password ? { PGPASSWORD: password } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn(tool, [...args, `--dbname=${url.toString()}`], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new PostgresToolError(
          err.code === 'ENOENT'
            ? `${tool} is not installed (or not on PATH): install the PostgreSQL client tools of the server's major version.`
            : `${tool} could not be started: ${err.message}`,
        ),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new PostgresToolError(`${tool} failed (exit ${String(code)}): ${stderr.trim() || 'no message'}`),
        );
    });
  });
}
