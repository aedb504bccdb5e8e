import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type {
  ApiClient,
  SyncRunView,
  RegistryCreateBody,
  RegistryPatchBody,
  RegistryScope,
  RegistryView,
} from '../client/api-client.js';
import { connect } from './cli-config.js';
import { collect, JSON_OPTION, positiveInt, SERVER_OPTION, type ServerOpts } from './options.js';
import {
  action,
  CliError,
  formatDate,
  formatJson,
  formatRegistryDetail,
  formatRegistryTable,
  formatTable,
  formatWarnings,
  UsageError,
} from './output.js';
import { confirm, readSecretFromStdin, requireSecret, stdinIsTTY } from './prompt.js';

interface ScopeOpts extends ServerOpts {
  tenant?: string;
  system?: boolean;
}

interface ConnectionOpts {
  username?: string;
  passwordStdin?: boolean;
  passCredentials?: boolean;
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  plainHttp?: boolean;
  ociRepository?: string[];
  syncInterval?: number;
}

interface WaitOpts {
  /** commander: false for --no-wait, true for --wait (kept for scripts written before it was the default). */
  wait?: boolean;
  timeout: number;
}

interface AddOpts extends ScopeOpts, ConnectionOpts, WaitOpts {
  protected?: boolean;
}

interface UpdateOpts extends AddOpts {
  name?: string;
  endpoint?: string;
  unprotected?: boolean;
  /** commander sets this to false for --no-auth, and leaves it true otherwise. */
  auth: boolean;
  removeCa?: boolean;
}

function scopeOf(opts: ScopeOpts): RegistryScope {
  if (opts.system) return 'system';
  const tenant = opts.tenant ?? process.env.CHARTHOUSE_TENANT;
  if (!tenant) throw new UsageError('choose the scope: --tenant NAME (or CHARTHOUSE_TENANT) or --system');
  return { tenant };
}

const describeScope = (scope: RegistryScope): string =>
  scope === 'system' ? 'system' : `tenant ${scope.tenant}`;

function withScope(cmd: Command): Command {
  return cmd
    .addOption(new Option('--tenant <tenant>', 'the tenant (default: CHARTHOUSE_TENANT)').conflicts('system'))
    .option('--system', 'the system registries (system administrator)')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION);
}

/** Options add and update share; update adds the ways to turn each one off again. */
/** Waiting for a sync is the default; --no-wait returns as soon as the server accepted the request. */
function withWait(cmd: Command): Command {
  return cmd
    .addOption(new Option('--wait', 'wait for the sync to finish (the default)').hideHelp())
    .option('--no-wait', 'return at once instead of waiting for the sync to finish')
    .option('--timeout <seconds>', 'give up waiting for the sync after this long', positiveInt, 900);
}

function withConnection(cmd: Command): Command {
  return cmd
    .option('--username <username>', 'basic authentication user (password from --password-stdin or a prompt)')
    .option('--password-stdin', 'read the registry password from stdin')
    .option(
      '--pass-credentials',
      'also send the credentials to chart URLs on other hosts (Helm --pass-credentials)',
    )
    .option('--ca-file <path>', 'PEM file with the CA certificate(s) that sign the registry TLS certificate')
    .option('--insecure-skip-tls-verify', 'do not verify the registry TLS certificate')
    .option('--plain-http', 'OCI only: talk http instead of https (Helm --plain-http)')
    .option(
      '--oci-repository <repository>',
      'OCI chart repository to read (repeatable; for closed /v2/_catalog)',
      collect,
    )
    .option('--sync-interval <minutes>', 'minutes between syncs (5 to 10080)', positiveInt);
}

async function readCaFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the CA file ${file}: ${(err as Error).message}`);
  }
}

async function tlsOf(opts: UpdateOpts | AddOpts): Promise<RegistryCreateBody['tls']> {
  const tls: NonNullable<RegistryCreateBody['tls']> = {};
  if (opts.caFile) tls.caCert = await readCaFile(opts.caFile);
  if ('removeCa' in opts && opts.removeCa) tls.caCert = null;
  if (opts.insecureSkipTlsVerify !== undefined) tls.insecureSkipVerify = opts.insecureSkipTlsVerify;
  return Object.keys(tls).length > 0 ? tls : undefined;
}

/** Sends what was given on the command line and nothing else: for PATCH, absent means "keep". */
function common(opts: ConnectionOpts): Partial<RegistryCreateBody> {
  const body: Partial<RegistryCreateBody> = {};
  if (opts.passCredentials !== undefined) body.passCredentials = opts.passCredentials;
  if (opts.plainHttp !== undefined) body.plainHttp = opts.plainHttp;
  if (opts.ociRepository) body.ociRepositories = opts.ociRepository;
  if (opts.syncInterval !== undefined) body.syncIntervalMinutes = opts.syncInterval;
  return body;
}

async function addBody(name: string, endpoint: string, opts: AddOpts): Promise<RegistryCreateBody> {
  if (opts.passwordStdin && !opts.username) throw new UsageError('--password-stdin needs --username');
  const body: RegistryCreateBody = { name, endpoint, ...common(opts) };
  if (opts.protected) body.protected = true;
  if (opts.username) {
    body.auth = { type: 'basic', username: opts.username, password: await requireSecret(opts.passwordStdin) };
  }
  const tls = await tlsOf(opts);
  if (tls) body.tls = tls;
  return body;
}

async function patchBody(
  client: ApiClient,
  scope: RegistryScope,
  name: string,
  opts: UpdateOpts,
): Promise<RegistryPatchBody> {
  const patch: RegistryPatchBody = common(opts);
  if (opts.name !== undefined) patch.name = opts.name;
  if (opts.endpoint !== undefined) patch.endpoint = opts.endpoint;
  if (opts.protected) patch.protected = true;
  if (opts.unprotected) patch.protected = false;
  if (!opts.auth) {
    patch.auth = { type: 'none' };
  } else if (opts.username || opts.passwordStdin) {
    // A new password for the same user: the server needs the username with it.
    const username = opts.username ?? (await client.registries.get(scope, name)).auth.username;
    if (!username)
      throw new UsageError(`registry "${name}" has no username yet: give --username with --password-stdin`);
    patch.auth = { type: 'basic', username };
    if (opts.passwordStdin) patch.auth.password = await readSecretFromStdin();
  }
  const tls = await tlsOf(opts);
  if (tls) patch.tls = tls;
  if (Object.keys(patch).length === 0)
    throw new UsageError('nothing to change: give at least one option (see --help)');
  return patch;
}

function printRegistry(r: RegistryView, json: boolean | undefined, headline: string): void {
  process.stderr.write(formatWarnings(r.warnings));
  if (json) return void process.stdout.write(formatJson(r));
  process.stdout.write(`${headline}\n\n${formatRegistryDetail(r)}`);
}

export function registerRegistryCommands(program: Command): void {
  const registry = program.command('registry').description('Helm registries (classic, OCI and hosted)');

  withWait(withConnection(withScope(registry.command('add'))))
    .description(
      'add a Helm registry; an unprotected one is checked by the server first, then its first sync is awaited',
    )
    .argument('<name>', 'unique within its scope')
    .argument('<endpoint>', 'https://… (classic index.yaml repository) or oci://host[:port][/path]')
    .option('--protected', 'inside a private network: never contacted, never synced (agents pull from it)')
    .action(
      action(async (name: string, endpoint: string, opts: AddOpts) => {
        const scope = scopeOf(opts);
        const body = await addBody(name, endpoint, opts);
        const client = await connect(opts);
        const created = await client.registries.create(scope, body);
        const headline = `Added Helm registry ${created.name} (${describeScope(scope)}).`;
        if (opts.wait === false || created.syncStatus !== 'syncing') {
          printRegistry(created, opts.json, headline);
          if (created.syncStatus === 'never' && !opts.json) {
            process.stderr.write(
              `Its first sync starts at the server's next scheduled look; "charthouse registry sync ${created.name}" starts it now.\n`,
            );
          }
          return;
        }
        process.stderr.write(formatWarnings(created.warnings));
        if (!opts.json) process.stderr.write(`${headline}\n`);
        // The server started the first sync before answering (it is the newest run), or saw it just
        // started by the scheduler, whose run may take a moment to appear.
        const first = await firstRun(client, scope, created.name);
        const done = first
          ? await waitForRun(client, scope, created.name, first.id, opts.timeout * 1000)
          : null;
        const now = await client.registries.get(scope, created.name);
        if (done) process.stderr.write(formatWarnings(done.warnings.map(warningText)));
        if (opts.json) process.stdout.write(formatJson(now));
        else {
          if (done) process.stdout.write(formatRunOutcome(created.name, done, now));
          process.stdout.write(`\n${formatRegistryDetail(now)}`);
        }
        if (done && failed(done)) process.exitCode = 1;
      }),
    );

  withScope(registry.command('list'))
    .description("list Helm registries (a tenant's list includes the system registries)")
    .action(
      action(async (opts: ScopeOpts) => {
        const scope = scopeOf(opts);
        const items = await (await connect(opts)).registries.listAll(scope);
        process.stdout.write(opts.json ? formatJson({ items }) : formatRegistryTable(items));
      }),
    );

  withScope(registry.command('get'))
    .description('show one Helm registry')
    .argument('<name>', 'registry name')
    .action(
      action(async (name: string, opts: ScopeOpts) => {
        const r = await (await connect(opts)).registries.get(scopeOf(opts), name);
        process.stdout.write(opts.json ? formatJson(r) : formatRegistryDetail(r));
      }),
    );

  withConnection(withScope(registry.command('update')))
    .description(
      'change a Helm registry (re-checked when how to reach it changes); unset options stay as they are',
    )
    .argument('<name>', 'registry name')
    .option('--name <new-name>', 'rename the registry')
    .option('--endpoint <endpoint>', 'move the registry to another endpoint')
    .addOption(
      new Option('--protected', 'mark as protected: never contacted, never synced').conflicts('unprotected'),
    )
    .option('--unprotected', 'mark as unprotected: checked now and synced on schedule')
    .addOption(new Option('--no-auth', 'remove the credentials').conflicts(['username', 'passwordStdin']))
    .option('--no-pass-credentials', 'send credentials only to the registry host')
    .addOption(new Option('--remove-ca', 'forget the custom CA certificate').conflicts('caFile'))
    .option('--no-insecure-skip-tls-verify', 'verify the registry TLS certificate again')
    .option('--no-plain-http', 'OCI only: talk https again')
    .addHelpText('after', '\n--oci-repository replaces the whole list.')
    .action(
      action(async (name: string, opts: UpdateOpts) => {
        const scope = scopeOf(opts);
        const client = await connect(opts);
        const patch = await patchBody(client, scope, name, opts);
        const updated = await client.registries.update(scope, name, patch);
        printRegistry(updated, opts.json, `Updated Helm registry ${updated.name} (${describeScope(scope)}).`);
      }),
    );

  withScope(registry.command('remove'))
    .description('remove a Helm registry and its catalog')
    .argument('<name>', 'registry name')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      action(async (name: string, opts: ScopeOpts & { yes?: boolean }) => {
        const scope = scopeOf(opts);
        if (!opts.yes) {
          if (!stdinIsTTY())
            throw new UsageError('stdin is not a terminal: add --yes to remove without confirmation');
          if (!(await confirm(`Remove Helm registry "${name}" (${describeScope(scope)}) and its catalog?`))) {
            throw new CliError('not removed');
          }
        }
        await (await connect(opts)).registries.remove(scope, name);
        // The API answers 204 with no body: with --json there is nothing to print.
        if (!opts.json) process.stdout.write(`Removed Helm registry ${name} (${describeScope(scope)}).\n`);
      }),
    );

  withWait(withScope(registry.command('sync')))
    .description(
      'synchronize a registry now (its catalog and Last Synced), wait for it and print the outcome (exit 1 if it failed)',
    )
    .argument('<name>', 'registry name')
    .action(
      action(async (name: string, opts: ScopeOpts & WaitOpts) => {
        const scope = scopeOf(opts);
        const client = await connect(opts);
        const { run } = await client.syncs.start(scope, name);
        if (opts.wait === false) {
          if (opts.json) return void process.stdout.write(formatJson(run));
          process.stdout.write(
            `Started a sync of ${name} (${describeScope(scope)}). Follow it with "charthouse registry syncs ${name}".\n`,
          );
          return;
        }
        process.stderr.write(`Started a sync of ${name} (${describeScope(scope)}).\n`);
        const done = await waitForRun(client, scope, name, run.id, opts.timeout * 1000);
        process.stderr.write(formatWarnings(done.warnings.map(warningText)));
        if (opts.json) process.stdout.write(formatJson(done));
        else process.stdout.write(formatRunOutcome(name, done, await client.registries.get(scope, name)));
        if (failed(done)) process.exitCode = 1;
      }),
    );

  withScope(registry.command('syncs'))
    .description('the sync history of a registry, newest first')
    .argument('<name>', 'registry name')
    .option('--limit <n>', 'at most this many runs (1 to 100)', positiveInt, 20)
    .action(
      action(async (name: string, opts: ScopeOpts & { limit: number }) => {
        const page = await (await connect(opts)).syncs.list(scopeOf(opts), name, { limit: opts.limit });
        process.stdout.write(opts.json ? formatJson(page) : formatRunTable(page.items));
      }),
    );
}

const POLL_MS = 500;
/** How long a just-added registry's first run may take to appear (a scheduler's lease before its run). */
const FIRST_RUN_WAIT_MS = 10_000;

async function firstRun(client: ApiClient, scope: RegistryScope, name: string): Promise<SyncRunView | null> {
  const deadline = Date.now() + FIRST_RUN_WAIT_MS;
  for (;;) {
    const [run] = (await client.syncs.list(scope, name, { limit: 1 })).items;
    if (run || Date.now() > deadline) return run ?? null;
    await new Promise((r) => setTimeout(r, POLL_MS / 5));
  }
}

/** Polls the run history until the run is no longer running; progress goes to stderr. */
async function waitForRun(
  client: ApiClient,
  scope: RegistryScope,
  name: string,
  id: string,
  timeoutMs: number,
): Promise<SyncRunView> {
  const started = Date.now();
  // On a terminal the progress line rewrites itself; in a log it is written once per 10 s.
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  for (;;) {
    // The run just started is on the first page of a newest-first history unless 20 more started since.
    const runs = await client.syncs.list(scope, name, { limit: 20 });
    const run = runs.items.find((r) => r.id === id);
    if (run && run.status !== 'running') {
      if (tty) process.stderr.write('\r\x1b[K');
      return run;
    }
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (tty) process.stderr.write(`\r\x1b[KSyncing ${name}… ${elapsed} s`);
    else if (elapsed === 0 || elapsed - lastLine >= 10) {
      process.stderr.write(`Syncing ${name}… ${elapsed} s\n`);
      lastLine = elapsed;
    }
    if (Date.now() - started > timeoutMs) {
      if (tty) process.stderr.write('\n');
      throw new CliError(
        `the sync of ${name} is still running after ${Math.round(timeoutMs / 1000)} s: follow it with "charthouse registry syncs ${name}"`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A suspect document was refused, so the catalog did not move: as much a failure as an error. */
const failed = (run: SyncRunView): boolean => run.status === 'failed' || run.status === 'suspect';

const warningText = (w: SyncRunView['warnings'][number]): string =>
  [w.chart, w.version].filter(Boolean).join(' ') + (w.chart ? ': ' : '') + w.message;

function formatRunOutcome(name: string, run: SyncRunView, registry: RegistryView): string {
  const totals = `; it has ${plural(registry.chartCount, 'chart')}, ${plural(registry.versionCount, 'version')}`;
  const counts = `added ${run.added}, updated ${run.updated}, removed ${run.removed}, unchanged ${run.unchanged}`;
  const seconds =
    run.finishedAt === null
      ? ''
      : ` in ${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`;
  const warnings = run.warnings.length > 0 ? `, ${run.warnings.length} warning(s)` : '';
  switch (run.status) {
    case 'succeeded':
      return `Synced ${name}${seconds}: ${counts}${warnings}${totals}.\n`;
    case 'unchanged':
      return `${name} is unchanged upstream${seconds}: nothing to write${warnings}${totals}.\n`;
    default:
      return `Sync of ${name} ${run.status === 'suspect' ? 'held as suspect' : 'failed'}${seconds}: ${run.error ?? 'no reason given'}${run.errorCode ? ` (${run.errorCode})` : ''}\n`;
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function formatRunTable(runs: SyncRunView[]): string {
  if (runs.length === 0) return 'No syncs yet.\n';
  return formatTable(
    ['STARTED', 'TRIGGER', 'STATUS', 'ADDED', 'UPDATED', 'REMOVED', 'UNCHANGED', 'WARNINGS', 'ERROR'],
    runs.map((r) => [
      formatDate(r.startedAt),
      r.trigger,
      r.status,
      String(r.added),
      String(r.updated),
      String(r.removed),
      String(r.unchanged),
      String(r.warnings.length),
      (r.error ?? '').replace(/\s+/g, ' '),
    ]),
  );
}
