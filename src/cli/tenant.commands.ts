import { type Command, Option } from 'commander';
import { connect } from './cli-config.js';
import { JSON_OPTION, SERVER_OPTION, type ServerOpts } from './options.js';
import { action, formatDate, formatJson, formatTable } from './output.js';
import { readSecretFromStdin } from './prompt.js';

export function registerTenantCommands(program: Command): void {
  const tenant = program.command('tenant').description('tenants and their members');

  tenant
    .command('create')
    .description('create a tenant (system administrator)')
    .argument('<name>', 'slug: lowercase letters, digits and "-"')
    .option('--display-name <text>', 'a human-friendly name')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (name: string, opts: ServerOpts & { displayName?: string }) => {
        const client = await connect(opts);
        const created = await client.tenants.create({
          name,
          ...(opts.displayName !== undefined ? { displayName: opts.displayName } : {}),
        });
        if (opts.json) return void process.stdout.write(formatJson(created));
        process.stdout.write(`Created tenant ${created.name}.\n`);
      }),
    );

  tenant
    .command('list')
    .description('list tenants (system administrator)')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (opts: ServerOpts) => {
        const items = await (await connect(opts)).tenants.listAll();
        if (opts.json) return void process.stdout.write(formatJson({ items }));
        if (items.length === 0) return void process.stdout.write('No tenants.\n');
        process.stdout.write(
          formatTable(
            ['NAME', 'DISPLAY NAME', 'CREATED'],
            items.map((t) => [t.name, t.displayName, formatDate(t.createdAt)]),
          ),
        );
      }),
    );

  const member = tenant.command('member').description("a tenant's members");

  member
    .command('add')
    .description('add a member to a tenant (tenant administrator); creates the user if new')
    .argument('<tenant>', 'tenant name')
    .argument('<username>', 'user to add')
    .addOption(
      new Option('--role <role>', 'role in the tenant').choices(['admin', 'member']).makeOptionMandatory(),
    )
    .option('--password-stdin', "read a new user's password from stdin (leave out for an existing user)")
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(
        async (
          tenantName: string,
          username: string,
          opts: ServerOpts & { role: 'admin' | 'member'; passwordStdin?: boolean },
        ) => {
          const password = opts.passwordStdin
            ? await readSecretFromStdin(`Password for ${username}`)
            : undefined;
          const client = await connect(opts);
          const added = await client.members.add(tenantName, {
            username,
            role: opts.role,
            ...(password !== undefined ? { password } : {}),
          });
          if (opts.json) return void process.stdout.write(formatJson(added));
          process.stdout.write(`Added ${added.username} to ${tenantName} as ${added.role}.\n`);
        },
      ),
    );

  member
    .command('list')
    .description("list a tenant's members")
    .argument('<tenant>', 'tenant name')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (tenantName: string, opts: ServerOpts) => {
        const list = await (await connect(opts)).members.list(tenantName);
        if (opts.json) return void process.stdout.write(formatJson(list));
        process.stdout.write(
          formatTable(
            ['USERNAME', 'ROLE', 'ADDED'],
            list.items.map((m) => [m.username, m.role, formatDate(m.createdAt)]),
          ),
        );
      }),
    );
}
