import type { Command, CommanderError } from 'commander';
import { registerAuthCommands } from './auth.commands.js';
import { registerChartCommands } from './chart.commands.js';
import { registerClusterCommands } from './cluster.commands.js';
import { registerProfileCommands } from './profile.commands.js';
import { registerRegistryCommands } from './registry.commands.js';
import { registerInvitationCommands, registerTenantCommands } from './tenant.commands.js';

/**
 * The commands that talk to a Charthouse server through the API client. Also makes every command-line
 * mistake exit with 2 (commander's default is 1), so scripts can tell "you called it wrong" from
 * "the server said no"; set before the commands are created, which copy it from their parent.
 */
export function registerClientCommands(program: Command): void {
  program.exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : 2));
  // The program's own options (--version, --help) only count before a command name, so that
  // `chart show REPO/CHART --version 1.2.3` means the chart version, as in Helm.
  program.enablePositionalOptions();
  registerAuthCommands(program);
  registerTenantCommands(program);
  registerInvitationCommands(program);
  registerRegistryCommands(program);
  registerChartCommands(program);
  registerProfileCommands(program);
  registerClusterCommands(program);
}
