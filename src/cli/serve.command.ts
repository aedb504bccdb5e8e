import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';

/** `charthouse serve`: API, console and (later) scheduler in one process. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run the Charthouse server (configuration from CHARTHOUSE_* variables and CHARTHOUSE_CONFIG_FILE)',
    )
    .action(async () => {
      let config;
      try {
        config = loadConfig();
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const logger = createLogger(config.logLevel, config.nodeId);
      // Loaded here, not at the top: the other commands should not pay for Fastify and the drivers.
      const { createApp } = await import('../app.js');
      const app = await createApp(config, logger);
      if (app.generatedAdminPassword) {
        // Printed once, outside the JSON log stream, so it is not shipped to log aggregation.
        process.stdout.write(
          `\n  Charthouse created the system administrator "${config.adminUsername}".\n` +
            `  Password (shown only now): ${app.generatedAdminPassword}\n` +
            `  Set CHARTHOUSE_ADMIN_PASSWORD before the first start to choose it yourself.\n\n`,
        );
      }
      const address = await app.listen();
      logger.info(
        { address, database: app.storage.dialect, publicUrl: config.publicUrl ?? '(from each request)' },
        'charthouse listening',
      );
      let closing = false;
      const shutdown = (signal: string): void => {
        if (closing) return;
        closing = true;
        logger.info({ signal }, 'shutting down');
        app.close().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    });
}
