/**
 * What can go wrong backing up or restoring. The CLI prints the message as it is (no stack), so each
 * one says what to do about it. Messages never contain a database URL or a key.
 */
export abstract class BackupError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The place a backup or restore would write to holds data already. */
export class TargetNotEmptyError extends BackupError {
  readonly code = 'target_not_empty';
}

/** A server is (or seems) running on the installation a restore would replace. */
export class ServerRunningError extends BackupError {
  readonly code = 'server_running';
}

/** The backup folder is not a whole, unchanged backup this build can restore. */
export class BackupInvalidError extends BackupError {
  readonly code = 'backup_invalid';
}

/** The installation could not be copied consistently (e.g. blobs kept disappearing under the copy). */
export class BackupIncompleteError extends BackupError {
  readonly code = 'backup_incomplete';
}

/** pg_dump or pg_restore failed, or could not be started. */
export class PostgresToolError extends BackupError {
  readonly code = 'postgres_tool_failed';
}
