import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { action, CliError, formatJson } from './output.js';

/*
 * `charthouse backup` and `charthouse restore`: run on the server's machine with the server's own
 * configuration (CHARTHOUSE_* variables, CHARTHOUSE_CONFIG_FILE), like `serve`. The work lives in
 * src/backup, loaded only when one of these runs.
 */

interface BackupOpts {
  out: string;
  json?: boolean;
}

interface RestoreOpts {
  from: string;
  force?: boolean;
  json?: boolean;
}

function serverConfig(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
}

const MiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description(
      'back up this installation (database, blobs, secret key) into a new folder; safe while the server runs',
    )
    .requiredOption('--out <dir>', 'a new or empty folder for the backup')
    .option('--json', 'print the manifest as JSON')
    .action(
      action(async (opts: BackupOpts) => {
        const config = serverConfig();
        const { backupInstallation } = await import('../backup/backup.js');
        const manifest = await backupInstallation(config, opts.out);
        if (opts.json) {
          process.stdout.write(formatJson(manifest));
          return;
        }
        const main = manifest.files[0]!;
        const blobBytes = manifest.blobs.reduce((sum, b) => sum + b.size, 0);
        process.stdout.write(
          `Backed up the ${manifest.database === 'sqlite' ? 'SQLite' : 'PostgreSQL'} installation into ${opts.out}\n` +
            `  ${main.path}: ${MiB(main.size)} (migration ${manifest.migration ?? 'none'})\n` +
            (manifest.database === 'sqlite'
              ? `  blobs: ${manifest.blobs.length} files, ${MiB(blobBytes)}\n`
              : '  blobs: inside the dump\n') +
            (manifest.secretKey.source === 'file'
              ? '  secret key: secret.key (keep the backup as private as the key itself)\n'
              : '  secret key: from CHARTHOUSE_SECRET_KEY, NOT in the backup: keep that key with it\n') +
            `  ${manifest.counts.chart_versions ?? 0} chart versions, ${manifest.counts.hosted_charts ?? 0} hosted charts, ${manifest.counts.helm_registries ?? 0} registries\n`,
        );
      }),
    );

  program
    .command('restore')
    .description(
      'restore a backup into this installation (CHARTHOUSE_DATA_DIR or CHARTHOUSE_DATABASE_URL); stop every server first',
    )
    .requiredOption('--from <dir>', 'a folder written by `charthouse backup`')
    .option('--force', 'replace the data already there')
    .option('--json', "print the restored backup's manifest as JSON")
    .action(
      action(async (opts: RestoreOpts) => {
        const config = serverConfig();
        const { restoreInstallation } = await import('../backup/backup.js');
        const manifest = await restoreInstallation(config, opts.from, { force: opts.force === true });
        if (opts.json) {
          process.stdout.write(formatJson(manifest));
          return;
        }
        const into = config.databaseUrl ? 'the database in CHARTHOUSE_DATABASE_URL' : config.dataDir;
        process.stdout.write(
          `Restored the backup of ${manifest.createdAt} into ${into}: every file matched its manifest and the ` +
            `restored database its counts. Start the server.\n`,
        );
      }),
    );
}
