import type { Command } from 'commander';
import { JSON_OPTION, SERVER_OPTION, type ServerOpts } from './options.js';
import { CliError, UsageError } from './output.js';
import { confirm, stdinIsTTY } from './prompt.js';

/** Options of a command that works in one tenant (profiles, clusters). */
export interface TenantOpts extends ServerOpts {
  tenant?: string;
}

export function tenantOf(opts: TenantOpts): string {
  const tenant = opts.tenant ?? process.env.CHARTHOUSE_TENANT;
  if (!tenant) throw new UsageError('choose the tenant: --tenant NAME (or CHARTHOUSE_TENANT)');
  return tenant;
}

export function withTenant(cmd: Command): Command {
  return cmd
    .option('--tenant <tenant>', 'the tenant (default: CHARTHOUSE_TENANT)')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION);
}

/** Asks before a delete, as `registry remove` does; --yes skips it, and is needed without a terminal. */
export async function confirmDelete(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!stdinIsTTY())
    throw new UsageError('stdin is not a terminal: add --yes to delete without confirmation');
  if (!(await confirm(question))) throw new CliError('not deleted');
}
