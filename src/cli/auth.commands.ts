import type { Command } from 'commander';
import { ApiClient, ApiError } from '../client/api-client.js';
import {
  cliConfigPath,
  connect,
  isCleartextRemote,
  normalizeServer,
  readStoredLogin,
  removeStoredLogin,
  writeStoredLogin,
} from './cli-config.js';
import { action, CliError, formatDate, formatJson, formatTable, UsageError } from './output.js';
import { JSON_OPTION, positiveInt, SERVER_OPTION } from './options.js';
import { promptLine, requireSecret, stdinIsTTY } from './prompt.js';

export function registerAuthCommands(program: Command): void {
  program
    .command('login')
    .description('sign in and store the session token (never the password)')
    .option(...SERVER_OPTION)
    .option('--username <username>', 'user to sign in as (prompted for on a terminal)')
    .option('--password-stdin', 'read the password from stdin (otherwise prompted for without echo)')
    .addHelpText(
      'after',
      '\nThe session is stored in $CHARTHOUSE_CLI_CONFIG or ~/.config/charthouse/cli.json (mode 0600).',
    )
    .action(
      action(async (opts: { server?: string; username?: string; passwordStdin?: boolean }) => {
        const file = cliConfigPath();
        const given =
          opts.server ??
          process.env.CHARTHOUSE_SERVER ??
          (await readStoredLogin(file).catch(() => null))?.server;
        if (!given) throw new UsageError('give the server to sign in to: charthouse login --server URL');
        const server = normalizeServer(given);
        let username = opts.username;
        if (!username) {
          if (opts.passwordStdin || !stdinIsTTY())
            throw new UsageError('give --username when stdin is not a terminal');
          username = await promptLine('Username: ');
          if (!username) throw new UsageError('username must not be empty');
        }
        const password = await requireSecret(opts.passwordStdin);
        if (isCleartextRemote(server)) {
          process.stderr.write(
            `warning: ${server} is plain http: the password and token cross the network unencrypted\n`,
          );
        }
        const session = await new ApiClient({ baseUrl: server }).login(username, password);
        await writeStoredLogin(file, { server, token: session.token, expiresAt: session.expiresAt });
        process.stdout.write(
          `Signed in to ${server} as ${username} (session expires ${formatDate(session.expiresAt)}).\n`,
        );
      }),
    );

  program
    .command('logout')
    .description('end the session on the server and forget it here')
    .action(
      action(async () => {
        const file = cliConfigPath();
        const stored = await readStoredLogin(file).catch(() => null);
        if (stored) {
          // End it on the server first, so a copy of the token left elsewhere stops working too. An
          // unreachable server or an already expired session still ends with the local copy gone.
          await new ApiClient({ baseUrl: stored.server, token: stored.token })
            .logout()
            .catch((err: unknown) => {
              if (!(err instanceof ApiError && err.status === 401)) {
                process.stderr.write(
                  `warning: could not end the session on ${stored.server} (${(err as Error).message}); it expires ${formatDate(stored.expiresAt)}\n`,
                );
              }
            });
        }
        const removed = await removeStoredLogin(file);
        process.stdout.write(removed ? `Signed out of ${removed.server}.\n` : 'Not signed in.\n');
      }),
    );

  program
    .command('whoami')
    .description('show the signed-in user, system role and tenant memberships')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (opts: { server?: string; json?: boolean }) => {
        const client = await connect(opts);
        const me = await client.me();
        if (opts.json) return void process.stdout.write(formatJson(me));
        const role = me.systemRole === 'admin' ? ' (system administrator)' : '';
        process.stdout.write(`${me.username}${role} on ${client.baseUrl}\n`);
        if (me.tenants.length > 0) {
          process.stdout.write(
            '\n' +
              formatTable(
                ['TENANT', 'ROLE'],
                me.tenants.map((t) => [t.name, t.role]),
              ),
          );
        }
      }),
    );

  const token = program.command('token').description('personal API tokens (for CI: CHARTHOUSE_TOKEN)');
  token
    .command('create')
    .description('create a personal API token and print it once')
    .argument('<name>', 'a name to recognise the token by')
    .option('--expires-in-days <days>', 'expire after this many days (default: 90)', positiveInt)
    .option('--no-expiry', 'never expire (revoke it yourself when it is no longer needed)')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(
        async (
          name: string,
          opts: { expiresInDays?: number; expiry: boolean; server?: string; json?: boolean },
        ) => {
          if (opts.expiresInDays !== undefined && !opts.expiry)
            throw new UsageError('give either --expires-in-days or --no-expiry, not both');
          const client = await connect(opts);
          const issued = await client.tokens.create(
            name,
            !opts.expiry
              ? { expiresInDays: null }
              : opts.expiresInDays
                ? { expiresInDays: opts.expiresInDays }
                : {},
          );
          if (opts.json) return void process.stdout.write(formatJson(issued));
          // The token alone on stdout, so that `TOKEN=$(charthouse token create ci)` works.
          process.stdout.write(`${issued.token}\n`);
          const expiry = issued.expiresAt ? `expires ${formatDate(issued.expiresAt)}` : 'does not expire';
          process.stderr.write(
            `Token "${issued.name}" created; it ${expiry}. Copy it now: it is not shown again.\n`,
          );
        },
      ),
    );

  token
    .command('list')
    .description('list your personal API tokens (never their secrets)')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (opts: { server?: string; json?: boolean }) => {
        const list = await (await connect(opts)).tokens.list();
        if (opts.json) return void process.stdout.write(formatJson(list));
        if (list.items.length === 0) return void process.stdout.write('No API tokens.\n');
        process.stdout.write(
          formatTable(
            ['ID', 'NAME', 'CREATED', 'LAST USED', 'EXPIRES'],
            list.items.map((t) => [
              t.id,
              t.name,
              formatDate(t.createdAt),
              t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never',
              t.expiresAt ? formatDate(t.expiresAt) : 'never',
            ]),
          ),
        );
      }),
    );

  token
    .command('revoke')
    .description('revoke one of your personal API tokens, by id or by name')
    .argument('<token>', 'the id (charthouse token list), or the name when only one token has it')
    .option(...SERVER_OPTION)
    .action(
      action(async (which: string, opts: { server?: string }) => {
        const client = await connect(opts);
        const items = (await client.tokens.list()).items;
        const byId = items.find((t) => t.id === which);
        const byName = items.filter((t) => t.name === which);
        if (!byId && byName.length > 1)
          throw new CliError(
            `${byName.length} tokens are named "${which}": revoke one by its id (charthouse token list)`,
          );
        const target = byId ?? byName[0];
        if (!target)
          throw new CliError(`no API token with the id or name "${which}" (charthouse token list)`);
        await client.tokens.revoke(target.id);
        process.stdout.write(`Revoked token "${target.name}" (${target.id}).\n`);
      }),
    );
}
