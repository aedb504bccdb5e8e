import { JobWorkerRepository } from '../jobs/job-worker.repository.js';
import type { Storage } from '../storage/database.js';
import { migrations } from '../storage/migrations/index.js';
import { BackupInvalidError, ServerRunningError, TargetNotEmptyError } from './backup-errors.js';
import { verifyFiles, type BackupManifest } from './backup-manifest.js';
import type { DatabaseFacts, LiveWorker } from './backup.repository.js';
import { currentKeyFingerprint, type KeySettings } from './secret-key.js';

/** A backup from a newer Charthouse has tables this build does not know: refused, not half-read. */
export function checkMigrationKnown(manifest: BackupManifest): void {
  if (manifest.migration !== null && !(manifest.migration in migrations)) {
    throw new BackupInvalidError(
      `the backup was made by a newer Charthouse (${manifest.charthouseVersion}, migration ${manifest.migration}): restore it with that version or a later one.`,
    );
  }
}

/**
 * The checks every restore starts with, before anything is touched: a migration level this build
 * knows, every file as the manifest lists it, and the database's own file (`databaseFile`) among them.
 */
export async function checkBackupFolder(
  from: string,
  manifest: BackupManifest,
  databaseFile: string,
): Promise<void> {
  checkMigrationKnown(manifest);
  await verifyFiles(from, manifest.files);
  if (!manifest.files.some((f) => f.path === databaseFile)) {
    throw new BackupInvalidError(`the backup's manifest lists no ${databaseFile}.`);
  }
}

/**
 * What to do with the key file. The key the restored server will run under must be the backup's,
 * or every sealed password and kubeconfig is unreadable: a key set in the environment must be that
 * key, and a key file already at the target is replaced only with --force.
 */
export async function planKeyRestore(
  manifest: BackupManifest,
  settings: KeySettings,
  force: boolean,
): Promise<{ writeFile: boolean }> {
  const wanted = manifest.secretKey.fingerprint;
  if (settings.secretKey) {
    if ((await currentKeyFingerprint(settings)) !== wanted) {
      throw new BackupInvalidError(
        manifest.secretKey.source === 'environment'
          ? 'CHARTHOUSE_SECRET_KEY is not the key the backup was sealed with: set the key the backed-up server had.'
          : "CHARTHOUSE_SECRET_KEY is set and is not the backup's key (its secret.key): unset it so the restored key file is used.",
      );
    }
    return { writeFile: manifest.secretKey.source === 'file' };
  }
  if (manifest.secretKey.source === 'environment') {
    throw new BackupInvalidError(
      'the backed-up server took its key from CHARTHOUSE_SECRET_KEY, which is not in the backup: set the same key before restoring.',
    );
  }
  const existing = await currentKeyFingerprint(settings);
  if (existing !== null && existing !== wanted && !force) {
    throw new TargetNotEmptyError(
      `${settings.secretKeyFile} holds another key: restore with --force to replace it (secrets sealed with it will no longer open).`,
    );
  }
  return { writeFile: true };
}

/**
 * Refuses while a server heartbeats on the target database (`live`: the workers seen within
 * `heartbeatWindowMs`; a clean stop removes a server's row at once).
 */
export function refuseLiveServers(live: readonly LiveWorker[], heartbeatWindowMs: number): void {
  if (live.length > 0) {
    const who = live.map((w) => `${w.host} pid ${w.pid}, last heartbeat ${w.heartbeatAt}`).join('; ');
    throw new ServerRunningError(
      `a Charthouse server is running on this installation (${who}): stop every server before restoring. ` +
        `A server killed without a clean stop counts as running until ${Math.round(heartbeatWindowMs / 1000)} s after its last heartbeat.`,
    );
  }
}

/** The restored database holds what the backup counted. */
export function checkRestoredFacts(manifest: BackupManifest, facts: DatabaseFacts): void {
  const differences: string[] = [];
  if (facts.migration !== manifest.migration) {
    differences.push(`migration ${String(facts.migration)} instead of ${String(manifest.migration)}`);
  }
  for (const [table, count] of Object.entries(manifest.counts)) {
    if (facts.counts[table] !== count) {
      differences.push(`${table}: ${String(facts.counts[table])} rows instead of ${count}`);
    }
  }
  if (differences.length > 0) {
    throw new BackupInvalidError(
      `the restored database differs from the backup's manifest: ${differences.join(', ')}.`,
    );
  }
}

/**
 * The backup holds the heartbeat rows of the servers that ran when it was taken. In the restored
 * database they name processes that are not its own: they would hold job leases (and make the next
 * restore think a server runs) until they went stale, so they are dropped.
 */
export async function forgetBackedUpServers(storage: Storage): Promise<void> {
  await new JobWorkerRepository(storage.db, storage.dialect).removeAll();
}
