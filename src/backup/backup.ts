import type { BackupManifest } from './backup-manifest.js';
import { readManifest } from './backup-manifest.js';
import { BackupInvalidError } from './backup-errors.js';
import { backupPostgres, restorePostgres } from './postgres-backup.js';
import { backupSqlite } from './sqlite-backup.js';
import { restoreSqlite } from './sqlite-restore.js';

/** The server settings a backup or restore needs (a subset of src/config's Config). */
export interface BackupSettings {
  dataDir: string;
  databaseUrl: string | null;
  secretKey: string | null;
  secretKeyFile: string;
  jobsHeartbeatSeconds: number;
}

/** A server that missed this many heartbeats is taken for stopped (as its job leases are). */
const MISSED_BEATS = 3;

/**
 * `charthouse backup`: the installation the settings describe, into the new or empty folder `out`.
 * Safe while servers run and write (see sqlite-backup.ts and postgres-backup.ts for why).
 */
export function backupInstallation(settings: BackupSettings, out: string): Promise<BackupManifest> {
  const key = { secretKey: settings.secretKey, secretKeyFile: settings.secretKeyFile };
  return settings.databaseUrl
    ? backupPostgres({ databaseUrl: settings.databaseUrl, key, out })
    : backupSqlite({ dataDir: settings.dataDir, key, out });
}

/**
 * `charthouse restore`: the backup in `from` into the installation the settings describe, with every
 * server stopped. Refuses to replace data unless `force`; verifies the backup before it writes and
 * the restored database after.
 */
export async function restoreInstallation(
  settings: BackupSettings,
  from: string,
  options: { force: boolean },
): Promise<BackupManifest> {
  const manifest = await readManifest(from);
  const key = { secretKey: settings.secretKey, secretKeyFile: settings.secretKeyFile };
  const heartbeatWindowMs = settings.jobsHeartbeatSeconds * 1000 * MISSED_BEATS;
  if (manifest.database === 'postgres') {
    if (!settings.databaseUrl) {
      throw new BackupInvalidError(
        'this is a backup of a PostgreSQL installation: set CHARTHOUSE_DATABASE_URL to the database to restore into.',
      );
    }
    await restorePostgres({
      databaseUrl: settings.databaseUrl,
      key,
      from,
      manifest,
      force: options.force,
      heartbeatWindowMs,
    });
  } else {
    if (settings.databaseUrl) {
      throw new BackupInvalidError(
        'this is a backup of a SQLite installation: unset CHARTHOUSE_DATABASE_URL and set CHARTHOUSE_DATA_DIR to the folder to restore into.',
      );
    }
    await restoreSqlite({
      dataDir: settings.dataDir,
      key,
      from,
      manifest,
      force: options.force,
      heartbeatWindowMs,
    });
  }
  return manifest;
}
