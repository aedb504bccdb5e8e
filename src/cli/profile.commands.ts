import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { dump } from 'js-yaml';
import { ApiError, type ApiClient, type ProfileVersionView } from '../client/api-client.js';
import { connect } from './cli-config.js';
import { formatFromCluster } from './discovery-format.js';
import { collect, jsonWanted, withOutput, type OutputOpts } from './options.js';
import { confirmDelete, tenantOf, withTenant, type TenantOpts } from './tenant-options.js';
import { action, CliError, formatJson, formatWarnings, UsageError } from './output.js';
import { contentDifferences, parseProfileFile, tenantForFile, type ProfileFile } from './profile-file.js';
import {
  formatDiff,
  formatPlan,
  formatProfileDetail,
  formatProfileTable,
  formatVersionDetail,
  layerWarnings,
} from './profile-format.js';

const VERSION_ARG = ['--version <version>', 'a profile version, e.g. 1.0.0'] as const;

function printVersion(v: ProfileVersionView, json: boolean | undefined, headline?: string): void {
  process.stderr.write(formatWarnings(layerWarnings(v)));
  if (json) return void process.stdout.write(formatJson(v));
  process.stdout.write(`${headline ? `${headline}\n\n` : ''}${formatVersionDetail(v)}`);
}

/** `--set NAME=VALUE`: the server reads each value by its variable's type (`3`, `true`). */
function variablesOf(sets: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${s}: expected NAME=VALUE`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

export function registerProfileCommands(program: Command): void {
  const profile = program
    .command('profile')
    .description('cluster profiles: versioned stacks of chart layers, drafts until published');

  withTenant(profile.command('list'))
    .description("list the tenant's cluster profiles")
    .action(
      action(async (opts: TenantOpts) => {
        const tenant = tenantOf(opts);
        const items = await (await connect(opts)).profiles.listAll(tenant);
        process.stdout.write(opts.json ? formatJson({ items }) : formatProfileTable(items));
      }),
    );

  withTenant(profile.command('show'))
    .description('show a profile and its versions, or one version (layers in install order) with --version')
    .argument('<name>', 'profile name')
    .option(...VERSION_ARG)
    .action(
      action(async (name: string, opts: TenantOpts & { version?: string }) => {
        const tenant = tenantOf(opts);
        const client = await connect(opts);
        if (opts.version !== undefined) {
          printVersion(await client.profiles.version(tenant, name, opts.version), opts.json);
        } else {
          const p = await client.profiles.get(tenant, name);
          process.stdout.write(opts.json ? formatJson(p) : formatProfileDetail(p));
        }
      }),
    );

  withTenant(profile.command('create'))
    .description('create a profile with an empty first draft (add layers with "profile apply")')
    .argument('<name>', 'profile name (a DNS label)')
    .option('--description <text>', 'what the profile is for')
    .option('--version <version>', 'the first version', '1.0.0')
    .action(
      action(async (name: string, opts: TenantOpts & { description?: string; version: string }) => {
        const tenant = tenantOf(opts);
        const v = await (
          await connect(opts)
        ).profiles.create(tenant, {
          name,
          version: opts.version,
          ...(opts.description === undefined ? {} : { description: opts.description }),
        });
        if (opts.json) return void process.stdout.write(formatJson(v));
        process.stdout.write(`Created cluster profile ${v.profile} with draft version ${v.version}.\n`);
      }),
    );

  withOutput(withTenant(profile.command('from-cluster')))
    .description(
      "create a profile whose first draft has a layer per Helm release discovered in a cluster, with the release's values (tenant administrators)",
    )
    .argument('<cluster>', 'the cluster whose newest finished discovery to use')
    .requiredOption('--name <profile>', 'the new profile (a DNS label)')
    .option('--description <text>', 'what the profile is for (default: where it came from)')
    .option(
      '--namespace <namespace>',
      'only releases of this namespace (repeatable; default: every release)',
      collect,
    )
    .addHelpText(
      'after',
      `
Each layer pins the exact chart version the release runs, from the registry it matched (see
"charthouse cluster releases"), with the release's name, namespace and the values its users gave it
(unless the cluster's --release-values is omitted). Releases whose chart no registry has are skipped,
with the reason: run "charthouse cluster sync-releases CLUSTER" first. Helm 2 releases are skipped.
The version is a draft: review it with "charthouse profile show NAME --version VERSION", then publish.`,
    )
    .action(
      action(
        async (
          cluster: string,
          opts: TenantOpts & OutputOpts & { name: string; description?: string; namespace?: string[] },
        ) => {
          const tenant = tenantOf(opts);
          const reply = await (
            await connect(opts)
          ).clusters.profileFromCluster(tenant, {
            cluster,
            name: opts.name,
            ...(opts.description === undefined ? {} : { description: opts.description }),
            ...(opts.namespace === undefined ? {} : { namespaces: opts.namespace }),
          });
          process.stderr.write(formatWarnings(layerWarnings(reply.profile)));
          process.stdout.write(jsonWanted(opts) ? formatJson(reply) : formatFromCluster(cluster, reply));
        },
      ),
    );

  withTenant(profile.command('publish'))
    .description('publish a draft: resolve every constraint, record digests, freeze it')
    .argument('<name>', 'profile name')
    .addOption(new Option(...VERSION_ARG).makeOptionMandatory())
    .action(
      action(async (name: string, opts: TenantOpts & { version: string }) => {
        const tenant = tenantOf(opts);
        const v = await (await connect(opts)).profiles.publish(tenant, name, opts.version);
        printVersion(v, opts.json, `Published ${v.profile} ${v.version}.`);
      }),
    );

  withTenant(profile.command('diff'))
    .description('what changed between two versions: layers, their fields and values, variables')
    .argument('<name>', 'profile name')
    .requiredOption('--from <version>', 'the older version')
    .requiredOption('--to <version>', 'the newer version')
    .action(
      action(async (name: string, opts: TenantOpts & { from: string; to: string }) => {
        const d = await (await connect(opts)).profiles.diff(tenantOf(opts), name, opts.from, opts.to);
        process.stdout.write(opts.json ? formatJson(d) : formatDiff(d));
      }),
    );

  withTenant(profile.command('resolve'))
    .description('the pull plan of a published version: exact references, digests and rendered values')
    .argument('<name>', 'profile name')
    .option('--version <version>', 'a published version (default: the newest published)')
    .option('--set <name=value>', 'a value for a profile variable (repeatable)', collect)
    .addOption(
      new Option('-o, --output <format>', 'table, json or yaml')
        .choices(['table', 'json', 'yaml'])
        .conflicts('json')
        .default('table'),
    )
    .action(
      action(
        async (
          name: string,
          opts: TenantOpts & { version?: string; set?: string[]; output: 'table' | 'json' | 'yaml' },
        ) => {
          const tenant = tenantOf(opts);
          const variables = variablesOf(opts.set);
          const plan = await (
            await connect(opts)
          ).profiles.resolve(tenant, name, {
            ...(opts.version === undefined ? {} : { version: opts.version }),
            variables,
          });
          const output = opts.json ? 'json' : opts.output;
          if (output === 'json') process.stdout.write(formatJson(plan));
          else if (output === 'yaml')
            process.stdout.write(dump(plan, { noRefs: true, lineWidth: -1, sortKeys: false }));
          else process.stdout.write(formatPlan(plan));
        },
      ),
    );

  withTenant(profile.command('delete'))
    .description('delete a profile and all its versions (refused while a cluster uses it)')
    .argument('<name>', 'profile name')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      action(async (name: string, opts: TenantOpts & { yes?: boolean }) => {
        const tenant = tenantOf(opts);
        await confirmDelete(
          `Delete cluster profile "${name}" (tenant ${tenant}) and all its versions?`,
          opts.yes,
        );
        await (await connect(opts)).profiles.remove(tenant, name);
        // The API answers 204: with --json there is nothing to print but what was done.
        if (opts.json) process.stdout.write(formatJson({ deleted: { profile: name } }));
        else process.stdout.write(`Deleted cluster profile ${name} (tenant ${tenant}).\n`);
      }),
    );

  withTenant(profile.command('delete-version'))
    .description('delete a draft version (published versions are never deleted)')
    .argument('<name>', 'profile name')
    .addOption(new Option(...VERSION_ARG).makeOptionMandatory())
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      action(async (name: string, opts: TenantOpts & { version: string; yes?: boolean }) => {
        const tenant = tenantOf(opts);
        await confirmDelete(
          `Delete draft ${opts.version} of cluster profile "${name}" (tenant ${tenant})?`,
          opts.yes,
        );
        await (await connect(opts)).profiles.removeVersion(tenant, name, opts.version);
        if (opts.json)
          process.stdout.write(formatJson({ deleted: { profile: name, version: opts.version } }));
        else process.stdout.write(`Deleted draft ${name} ${opts.version} (tenant ${tenant}).\n`);
      }),
    );

  withTenant(profile.command('apply'))
    .description(
      'create or update a profile version from a ClusterProfile file (the file is the whole content)',
    )
    .requiredOption('-f, --file <path>', 'the ClusterProfile YAML file, or - for stdin')
    .option('--publish', 'publish the version afterwards')
    .addHelpText(
      'after',
      `
The version in spec.version is created when missing, replaced when it is a draft, and left alone when
it is published with the same content (anything else is an error: bump spec.version).
The tenant is --tenant, else metadata.tenant, else CHARTHOUSE_TENANT; --tenant and metadata.tenant
must agree when both are given.`,
    )
    .action(
      action(async (opts: TenantOpts & { file: string; publish?: boolean }) => {
        const file = parseProfileFile(await readSource(opts.file), opts.file === '-' ? 'stdin' : opts.file);
        const tenant = tenantForFile(file, opts.tenant, process.env.CHARTHOUSE_TENANT);
        if (!tenant)
          throw new UsageError(
            'choose the tenant: --tenant NAME, metadata.tenant in the file, or CHARTHOUSE_TENANT',
          );
        const client = await connect(opts);
        const outcome = await applyFile(client, tenant, file, opts.publish === true);
        process.stderr.write(formatWarnings(layerWarnings(outcome.version)));
        if (opts.json) return void process.stdout.write(formatJson(outcome));
        for (const a of outcome.actions) process.stdout.write(`${describeAction(a, file)}\n`);
      }),
    );
}

type ApplyAction = 'created' | 'updated' | 'unchanged' | 'published';

/** What `apply` did, in order, and the version as it stands afterwards. */
export interface ApplyOutcome {
  tenant: string;
  profile: string;
  actions: ApplyAction[];
  version: ProfileVersionView;
}

function describeAction(a: ApplyAction, file: ProfileFile): string {
  const what = `${file.name} ${file.version}`;
  switch (a) {
    case 'created':
      return `${what} created (draft)`;
    case 'updated':
      return `${what} updated (draft)`;
    case 'unchanged':
      return `${what} unchanged (published)`;
    case 'published':
      return `${what} published`;
  }
}

async function applyFile(
  client: ApiClient,
  tenant: string,
  file: ProfileFile,
  publish: boolean,
): Promise<ApplyOutcome> {
  const content = { description: file.description, variables: file.variables, layers: file.layers };
  const actions: ApplyAction[] = [];
  let version: ProfileVersionView;
  const existing = await client.profiles.get(tenant, file.name).catch(notFoundAsNull);
  const summary = existing?.versions.find((v) => v.version === file.version);
  if (!existing) {
    version = await client.profiles.create(tenant, { name: file.name, version: file.version, ...content });
    actions.push('created');
  } else if (!summary) {
    version = await client.profiles.createVersion(tenant, file.name, { version: file.version, ...content });
    actions.push('created');
  } else if (summary.status === 'draft') {
    version = await client.profiles.updateVersion(tenant, file.name, file.version, content);
    actions.push('updated');
  } else {
    version = await client.profiles.version(tenant, file.name, file.version);
    const differences = contentDifferences(file, version);
    if (differences.length > 0) {
      throw new CliError(
        `${file.name} ${file.version} is published; bump spec.version (a published version never changes, and the file differs from it)`,
        1,
        differences.map((message) => ({ message })),
      );
    }
    actions.push('unchanged');
  }
  if (publish && version.status === 'draft') {
    version = await client.profiles.publish(tenant, file.name, file.version);
    actions.push('published');
  }
  return { tenant, profile: file.name, actions, version };
}

function notFoundAsNull(err: unknown): null {
  if (err instanceof ApiError && err.status === 404) return null;
  throw err;
}

async function readSource(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}
