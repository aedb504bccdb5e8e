import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { ApiClient, AssignmentIn, ClusterPatchBody, ClusterView } from '../client/api-client.js';
import { connect } from './cli-config.js';
import {
  parseAssignmentArgs,
  typedAssignments,
  type AssignmentArgs,
  type ProfileRef,
} from './cluster-assignments.js';
import { registerClusterDiscoveryCommands } from './cluster-discovery.commands.js';
import { formatClusterDetail, formatClusterTable } from './cluster-format.js';
import { collect } from './options.js';
import { confirmDelete, tenantOf, withTenant, type TenantOpts } from './tenant-options.js';
import { action, CliError, formatJson, UsageError } from './output.js';
import { prepareTokenFile, type TokenFile } from './token-file.js';

interface AssignOpts {
  profile?: string[];
  set?: string[];
  unset?: string[];
}

function withAssignments(cmd: Command): Command {
  return cmd
    .option(
      '--profile <name@version>',
      'a published profile version to assign (repeatable, install order)',
      collect,
    )
    .option(
      '--set <profile.variable=value>',
      "a value for a profile variable, read as the variable's type (repeatable)",
      collect,
    );
}

const TOKEN_FILE_OPTION = [
  '--token-file <path>',
  'write the agent token to this file (mode 0600) instead of printing it',
] as const;

type ReleaseValues = NonNullable<ClusterPatchBody['releaseValues']>;

/** What discovery keeps of the values users gave each release (SPEC §2 "Brownfield discovery"). */
const releaseValuesOption = (): Option =>
  new Option(
    '--release-values <mode>',
    'what discovery keeps of the values given to each release: sealed (encrypted, never shown; "profile from-cluster" copies them) or omitted (never stored)',
  ).choices(['sealed', 'omitted']);

const ASSIGN_HELP = `
--set reads each value as the type its profile version declares for the variable (a number variable
takes 3 or 2.5, a boolean one true or false, a string one any text), so the CLI reads each profile
version that gets a --set first; a value of the wrong type, or a variable the version does not declare,
is refused before anything is written.`;

/** The API's assignment list, with each `--set` read by its variable's declared type. */
function assignmentsOf(client: ApiClient, tenant: string, args: AssignmentArgs): Promise<AssignmentIn[]> {
  return typedAssignments(args, async (ref: ProfileRef) => {
    return (await client.profiles.version(tenant, ref.profile, ref.version)).variables;
  });
}

async function readKubeconfig(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the kubeconfig ${file}: ${(err as Error).message}`);
  }
}

/**
 * The token the server shows once: into the file, or alone on stdout (so that
 * `TOKEN=$(charthouse cluster rotate-token prod)` works) with the warning on stderr.
 */
async function handOver(token: string, file: TokenFile | null, what: string): Promise<void> {
  if (file) {
    await file.write(token);
    process.stdout.write(`${what}; the agent token is in ${file.path} (mode 0600).\n`);
    return;
  }
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    `${what}. Above is the agent token: store it now, it will not be shown again (a new one: "charthouse cluster rotate-token").\n`,
  );
}

const profilesList = (c: ClusterView): string =>
  c.profiles.map((p) => `${p.profile}@${p.version}`).join(', ') || 'none';

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('clusters: reached through "charthouse agent" or a kubeconfig, given published profiles');

  withTenant(cluster.command('list'))
    .description("list the tenant's clusters with their connection and layer states")
    .action(
      action(async (opts: TenantOpts) => {
        const tenant = tenantOf(opts);
        const items = await (await connect(opts)).clusters.listAll(tenant);
        process.stdout.write(opts.json ? formatJson({ items }) : formatClusterTable(items));
      }),
    );

  withTenant(cluster.command('show'))
    .description('show a cluster: connection, plan, profiles with their variables, and every layer state')
    .argument('<name>', 'cluster name')
    .action(
      action(async (name: string, opts: TenantOpts) => {
        const c = await (await connect(opts)).clusters.get(tenantOf(opts), name);
        process.stdout.write(opts.json ? formatJson(c) : formatClusterDetail(c));
      }),
    );

  withAssignments(withTenant(cluster.command('create')))
    .description('register a cluster (tenant administrators); agent mode prints its token once')
    .argument('<name>', 'cluster name (a DNS label)')
    .addOption(
      new Option('--mode <mode>', 'agent: reached by "charthouse agent"; kubeconfig: by the server')
        .choices(['agent', 'kubeconfig'])
        .makeOptionMandatory(),
    )
    .option(
      '--kubeconfig-file <path>',
      'kubeconfig mode: the kubeconfig, credentials embedded (no exec plugins)',
    )
    .option('--description <text>', 'what the cluster is')
    .addOption(releaseValuesOption().default('sealed'))
    .option(...TOKEN_FILE_OPTION)
    .addHelpText('after', ASSIGN_HELP)
    .action(
      action(
        async (
          name: string,
          opts: TenantOpts &
            AssignOpts & {
              mode: 'agent' | 'kubeconfig';
              kubeconfigFile?: string;
              description?: string;
              releaseValues: ReleaseValues;
              tokenFile?: string;
            },
        ) => {
          const tenant = tenantOf(opts);
          if (opts.mode === 'kubeconfig' && opts.kubeconfigFile === undefined)
            throw new UsageError('--mode kubeconfig needs --kubeconfig-file');
          if (opts.mode === 'agent' && opts.kubeconfigFile !== undefined)
            throw new UsageError('--kubeconfig-file is for --mode kubeconfig (an agent cluster has none)');
          if (opts.mode === 'kubeconfig' && opts.tokenFile !== undefined)
            throw new UsageError(
              '--token-file is for --mode agent (a kubeconfig cluster has no agent token)',
            );
          const args = parseAssignmentArgs(opts.profile ?? [], opts.set);
          const kubeconfig =
            opts.kubeconfigFile === undefined ? undefined : await readKubeconfig(opts.kubeconfigFile);
          const tokenFile = opts.tokenFile === undefined ? null : await prepareTokenFile(opts.tokenFile);
          const client = await connect(opts);
          const profiles = await assignmentsOf(client, tenant, args);
          const created = await client.clusters.create(tenant, {
            name,
            mode: opts.mode,
            releaseValues: opts.releaseValues,
            ...(opts.description === undefined ? {} : { description: opts.description }),
            ...(kubeconfig === undefined ? {} : { kubeconfig }),
            ...(profiles.length === 0 ? {} : { profiles }),
          });
          const c = created.cluster;
          const token = created.agentToken;
          if (opts.json) {
            // With --token-file the token goes to the file only, never to stdout.
            if (tokenFile && token !== null) {
              await tokenFile.write(token);
              return void process.stdout.write(
                formatJson({ cluster: c, agentToken: null, agentTokenFile: tokenFile.path }),
              );
            }
            return void process.stdout.write(formatJson(created));
          }
          const what = `Created cluster ${c.name} (tenant ${tenant}, ${c.mode} mode, profiles: ${profilesList(c)})`;
          if (token === null) return void process.stdout.write(`${what}.\n`);
          await handOver(token, tokenFile, what);
        },
      ),
    );

  withTenant(cluster.command('update'))
    .description(
      "change a cluster's description, kubeconfig or what discovery keeps of release values (tenant administrators)",
    )
    .argument('<name>', 'cluster name')
    .option('--description <text>', 'what the cluster is')
    .option('--kubeconfig-file <path>', 'kubeconfig mode: a new kubeconfig, credentials embedded')
    .addOption(releaseValuesOption())
    .addHelpText(
      'after',
      `
Only what is given changes; profiles are changed with "charthouse cluster assign". --release-values
applies from the next discovery on: values kept by the newest one stay until it is replaced.`,
    )
    .action(
      action(
        async (
          name: string,
          opts: TenantOpts & { description?: string; kubeconfigFile?: string; releaseValues?: ReleaseValues },
        ) => {
          const tenant = tenantOf(opts);
          const patch: ClusterPatchBody = {
            ...(opts.description === undefined ? {} : { description: opts.description }),
            ...(opts.kubeconfigFile === undefined
              ? {}
              : { kubeconfig: await readKubeconfig(opts.kubeconfigFile) }),
            ...(opts.releaseValues === undefined ? {} : { releaseValues: opts.releaseValues }),
          };
          if (Object.keys(patch).length === 0)
            throw new UsageError(
              'nothing to change: give --description, --kubeconfig-file or --release-values',
            );
          const c = await (await connect(opts)).clusters.update(tenant, name, patch);
          if (opts.json) return void process.stdout.write(formatJson(c));
          process.stdout.write(
            `Updated cluster ${c.name} (tenant ${tenant}; release values ${c.releaseValues}).\n`,
          );
        },
      ),
    );

  withAssignments(withTenant(cluster.command('assign')))
    .description("replace a cluster's profiles (in install order) and their variable values")
    .argument('<name>', 'cluster name')
    .option(
      '--unset <profile.variable>',
      'clear a stored value, sensitive ones included (repeatable)',
      collect,
    )
    .option('--none', 'assign no profiles at all')
    .addHelpText(
      'after',
      `${ASSIGN_HELP}
The list given is the whole list: profiles left out are unassigned, and values not given fall back to
the version's defaults, except sensitive ones, which the server keeps (they are never shown, so they
cannot be sent back); --unset clears one.`,
    )
    .action(
      action(async (name: string, opts: TenantOpts & AssignOpts & { none?: boolean }) => {
        const tenant = tenantOf(opts);
        const given = opts.profile ?? [];
        if (opts.none && given.length > 0) throw new UsageError('give either --profile or --none, not both');
        if (!opts.none && given.length === 0)
          throw new UsageError('give the profiles: --profile NAME@VERSION (repeatable), or --none');
        const args = parseAssignmentArgs(given, opts.set, opts.unset);
        const client = await connect(opts);
        const profiles = await assignmentsOf(client, tenant, args);
        const c = await client.clusters.update(tenant, name, { profiles });
        if (opts.json) return void process.stdout.write(formatJson(c));
        process.stdout.write(
          `Cluster ${c.name} (tenant ${tenant}) now has profiles: ${profilesList(c)}; plan revision ${c.plan.revision}.\n`,
        );
      }),
    );

  withTenant(cluster.command('rotate-token'))
    .description('make a new agent token for a cluster; the old one stops working at once')
    .argument('<name>', 'cluster name')
    .option(...TOKEN_FILE_OPTION)
    .action(
      action(async (name: string, opts: TenantOpts & { tokenFile?: string }) => {
        const tenant = tenantOf(opts);
        const tokenFile = opts.tokenFile === undefined ? null : await prepareTokenFile(opts.tokenFile);
        const issued = await (await connect(opts)).clusters.rotateToken(tenant, name);
        if (opts.json) {
          if (tokenFile) {
            await tokenFile.write(issued.agentToken);
            return void process.stdout.write(
              formatJson({ tokenCreatedAt: issued.tokenCreatedAt, agentTokenFile: tokenFile.path }),
            );
          }
          return void process.stdout.write(formatJson(issued));
        }
        await handOver(
          issued.agentToken,
          tokenFile,
          `New agent token for cluster ${name} (tenant ${tenant}); the old one no longer works`,
        );
      }),
    );

  withTenant(cluster.command('delete'))
    .description('delete a cluster (tenant administrators); its agent token stops working')
    .argument('<name>', 'cluster name')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      action(async (name: string, opts: TenantOpts & { yes?: boolean }) => {
        const tenant = tenantOf(opts);
        await confirmDelete(`Delete cluster "${name}" (tenant ${tenant})?`, opts.yes);
        await (await connect(opts)).clusters.remove(tenant, name);
        if (opts.json) process.stdout.write(formatJson({ deleted: { cluster: name } }));
        else process.stdout.write(`Deleted cluster ${name} (tenant ${tenant}).\n`);
      }),
    );

  registerClusterDiscoveryCommands(cluster);
}
