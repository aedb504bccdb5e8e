import { type Command, Option } from 'commander';
import type { InvitationView } from '../client/api-client.js';
import { connect } from './cli-config.js';
import { JSON_OPTION, SERVER_OPTION, type ServerOpts } from './options.js';
import { action, CliError, formatDate, formatJson, formatTable, UsageError } from './output.js';
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
    .description(
      'add a member: a system administrator adds at once (creating the user if new); a tenant administrator invites',
    )
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
          if (opts.json)
            return void process.stdout.write(
              formatJson(added.status === 'added' ? added.member : added.invitation),
            );
          if (added.status === 'added') {
            process.stdout.write(
              `Added ${added.member.username} to ${tenantName} as ${added.member.role}.\n`,
            );
          } else {
            process.stdout.write(
              `Invited ${added.invitation.username} to ${tenantName} as ${added.invitation.role} until ${formatDate(added.invitation.expiresAt)}: ` +
                'they join when they accept (charthouse invitation accept).\n',
            );
          }
        },
      ),
    );

  member
    .command('set-role')
    .description("change a member's role (tenant administrator); a tenant keeps at least one administrator")
    .argument('<tenant>', 'tenant name')
    .argument('<username>', 'member')
    .argument('<role>', 'admin or member')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (tenantName: string, username: string, role: string, opts: ServerOpts) => {
        if (role !== 'admin' && role !== 'member') throw new UsageError('role must be "admin" or "member"');
        const changed = await (await connect(opts)).members.setRole(tenantName, username, role);
        if (opts.json) return void process.stdout.write(formatJson(changed));
        process.stdout.write(`${changed.username} is now ${changed.role} of ${tenantName}.\n`);
      }),
    );

  member
    .command('remove')
    .description('remove a member (tenant administrator; or yourself, to leave); access ends at once')
    .argument('<tenant>', 'tenant name')
    .argument('<username>', 'member')
    .option(...SERVER_OPTION)
    .action(
      action(async (tenantName: string, username: string, opts: ServerOpts) => {
        await (await connect(opts)).members.remove(tenantName, username);
        process.stdout.write(`Removed ${username} from ${tenantName}.\n`);
      }),
    );

  member
    .command('invitations')
    .description("a tenant's invitations waiting for an answer (tenant administrator)")
    .argument('<tenant>', 'tenant name')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (tenantName: string, opts: ServerOpts) => {
        const list = await (await connect(opts)).members.invitations(tenantName);
        if (opts.json) return void process.stdout.write(formatJson(list));
        if (list.items.length === 0) return void process.stdout.write('No pending invitations.\n');
        process.stdout.write(invitationTable(list.items));
      }),
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

/** The invitee's side: invitations to join tenants, accepted or declined by tenant name. */
export function registerInvitationCommands(program: Command): void {
  const invitation = program.command('invitation').description('invitations to join tenants');

  invitation
    .command('list')
    .description('invitations waiting for your answer')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (opts: ServerOpts) => {
        const list = await (await connect(opts)).invitations.list();
        if (opts.json) return void process.stdout.write(formatJson(list));
        if (list.items.length === 0) return void process.stdout.write('No invitations.\n');
        process.stdout.write(invitationTable(list.items));
      }),
    );

  for (const [verb, description] of [
    ['accept', 'join a tenant you were invited to'],
    ['decline', 'decline an invitation'],
  ] as const) {
    invitation
      .command(verb)
      .description(description)
      .argument('<tenant>', 'the tenant the invitation is for')
      .option(...SERVER_OPTION)
      .action(
        action(async (tenantName: string, opts: ServerOpts) => {
          const client = await connect(opts);
          const found = (await client.invitations.list()).items.find((i) => i.tenant === tenantName);
          if (!found)
            throw new CliError(`no invitation to "${tenantName}" waits for you (charthouse invitation list)`);
          if (verb === 'accept') {
            const joined = await client.invitations.accept(found.id);
            process.stdout.write(`Joined ${joined.tenant} as ${joined.role}.\n`);
          } else {
            await client.invitations.decline(found.id);
            process.stdout.write(`Declined the invitation to ${tenantName}.\n`);
          }
        }),
      );
  }
}

function invitationTable(items: InvitationView[]): string {
  return formatTable(
    ['TENANT', 'USERNAME', 'ROLE', 'INVITED BY', 'EXPIRES'],
    items.map((i) => [i.tenant, i.username, i.role, i.invitedBy, formatDate(i.expiresAt)]),
  );
}
