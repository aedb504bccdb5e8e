import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { ApiError, type ApiClient, type RegistryScope } from '../client/api-client.js';
import { readChartFiles } from '../protocol/helm/chart-archive.js';
import { parseChartYaml } from '../protocol/helm/chart-metadata.js';
import { parseHelmIndex } from '../protocol/helm/index-document.js';
import { versionSortKey } from '../protocol/helm/semver-sort.js';
import { packageChartFolder } from './chart-folder.js';
import { connect } from './cli-config.js';
import { JSON_OPTION, SERVER_OPTION, type ServerOpts } from './options.js';
import { action, CliError, formatJson, UsageError } from './output.js';

/*
 * `chart push` and `chart pull`: the CLI side of a hosted registry, through its ChartMuseum upload API,
 * index.yaml and archive URLs (the same ones `helm cm-push`, `helm repo add` and `helm pull` use).
 */

interface ScopeOpts extends ServerOpts {
  tenant?: string;
  system?: boolean;
}

interface PushOpts extends ScopeOpts {
  force?: boolean;
}

interface PullOpts extends ScopeOpts {
  version?: string;
  destination?: string;
}

function scopeOf(opts: ScopeOpts): RegistryScope {
  if (opts.system) return 'system';
  const tenant = opts.tenant ?? process.env.CHARTHOUSE_TENANT;
  if (!tenant) throw new UsageError('choose the registry: --tenant NAME (or CHARTHOUSE_TENANT) or --system');
  return { tenant };
}

const scopeName = (scope: RegistryScope): string => (scope === 'system' ? 'system' : scope.tenant);

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

interface ChartToPush {
  archive: Buffer;
  name: string;
  version: string;
}

/** A folder is packaged (reproducibly, like `helm package`); a file is an archive sent as it is. */
async function chartToPush(source: string): Promise<ChartToPush> {
  const info = await stat(source).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(
      `cannot read ${source}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}`,
    );
  });
  if (info.isDirectory()) return packageChartFolder(source);
  const archive = await readFile(source).catch((err: Error) => {
    throw new CliError(`cannot read ${source}: ${err.message}`);
  });
  // Read locally for the name and version to report; the server checks the archive again.
  const meta = parseChartYaml((await readChartFiles(archive)).chartYaml);
  return { archive, name: meta.name, version: meta.version };
}

/** What the server said, with the next step when the version exists already. */
function pushError(err: unknown, chart: ChartToPush, force: boolean): unknown {
  if (!(err instanceof ApiError) || err.status !== 409 || force) return err;
  return new CliError(
    `${err.message}\nhint: bump the version in Chart.yaml, or overwrite ${chart.name} ${chart.version} with --force (tenant administrators)`,
  );
}

interface IndexEntry {
  version: string;
  digest: string | null;
}

/** The versions of `name` in the registry's index.yaml (empty when the chart is not there). */
async function indexEntries(client: ApiClient, scope: RegistryScope, name: string): Promise<IndexEntry[]> {
  const index = parseHelmIndex(Buffer.from(await client.hosted.index(scope), 'utf8'));
  return (index.entries.get(name) ?? []).flatMap((e) =>
    typeof e['version'] === 'string'
      ? [{ version: e['version'], digest: typeof e['digest'] === 'string' ? e['digest'] : null }]
      : [],
  );
}

/**
 * `helm pull` without --version: the newest release, in SemVer order; pre-releases only when the chart
 * has nothing else (Helm would need --devel for them, but a hosted chart may have only those).
 */
export function newestVersion<T extends { version: string }>(entries: readonly T[]): T | undefined {
  const keyed = entries.flatMap((e) => {
    const key = versionSortKey(e.version);
    return key === null ? [] : [{ e, key, release: key.endsWith('~') }];
  });
  const pool = keyed.some((k) => k.release) ? keyed.filter((k) => k.release) : keyed;
  let best: (typeof pool)[number] | undefined;
  for (const k of pool) {
    if (!best || k.key > best.key || (k.key === best.key && k.e.version > best.e.version)) best = k;
  }
  return best?.e;
}

/** Writes through a temporary file, so an interrupted or refused pull never leaves half an archive. */
async function writeArchive(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

export function registerChartTransferCommands(chart: Command): void {
  chart
    .command('push')
    .description('upload a chart to a hosted registry: a chart folder (packaged like helm package) or a .tgz')
    .argument('<chart>', 'a chart folder or a chart archive (.tgz)')
    .addOption(new Option('--tenant <tenant>', 'the tenant (default: CHARTHOUSE_TENANT)').conflicts('system'))
    .option('--system', "the system's hosted registry, shown to tenants as stable (system administrator)")
    .option('--force', 'overwrite the version if it exists with other content (administrators)')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (source: string, opts: PushOpts) => {
        const scope = scopeOf(opts);
        const client = await connect(opts);
        const chart = await chartToPush(source);
        await client.hosted
          .push(scope, chart.archive, { force: opts.force === true })
          .catch((err: unknown) => {
            throw pushError(err, chart, opts.force === true);
          });
        const pushed = {
          name: chart.name,
          version: chart.version,
          digest: `sha256:${sha256(chart.archive)}`,
          tenant: scopeName(scope),
        };
        if (opts.json) return void process.stdout.write(formatJson(pushed));
        process.stdout.write(`Pushed ${pushed.name} ${pushed.version} to ${pushed.tenant}\n`);
      }),
    );

  chart
    .command('pull')
    .description('download a chart archive from a hosted registry, checking its digest against index.yaml')
    .argument('<name>', 'the chart name')
    .option('--version <version>', 'the chart version (default: the newest release)')
    .addOption(new Option('--tenant <tenant>', 'the tenant (default: CHARTHOUSE_TENANT)').conflicts('system'))
    .option('--system', "the system's hosted registry, shown to tenants as stable")
    .option('--destination <dir>', 'the folder to write <name>-<version>.tgz to', '.')
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (name: string, opts: PullOpts) => {
        const scope = scopeOf(opts);
        const where = scopeName(scope);
        const client = await connect(opts);
        const entries = await indexEntries(client, scope, name);
        const entry =
          opts.version === undefined
            ? newestVersion(entries)
            : entries.find((e) => e.version === opts.version);
        if (!entry) {
          throw new CliError(
            opts.version === undefined
              ? `chart ${name} not found in ${where}`
              : `chart ${name} version ${opts.version} not found in ${where}`,
          );
        }
        const bytes = await client.hosted.download(scope, name, entry.version).catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 404) {
            throw new CliError(`chart ${name} version ${entry.version} not found in ${where}`);
          }
          throw err;
        });
        const digest = sha256(bytes);
        const expected = entry.digest?.replace(/^sha256:/, '').toLowerCase() ?? null;
        if (expected === null) {
          throw new CliError(
            `index.yaml of ${where} has no digest for ${name} ${entry.version}: nothing written`,
          );
        }
        if (digest !== expected) {
          throw new CliError(
            `${name}-${entry.version}.tgz does not match the digest in index.yaml of ${where} ` +
              `(expected sha256:${expected}, got sha256:${digest}): nothing written`,
          );
        }
        const base = `${name}-${entry.version}.tgz`;
        // Names and versions come from the server's index: never let one pick another folder.
        if (path.basename(base) !== base || base.includes('\\')) {
          throw new CliError(`refusing to write ${JSON.stringify(base)}: not a plain file name`);
        }
        const file = path.join(opts.destination ?? '.', base);
        await writeArchive(file, bytes);
        if (opts.json) {
          return void process.stdout.write(
            formatJson({
              name,
              version: entry.version,
              digest: `sha256:${digest}`,
              tenant: where,
              path: file,
            }),
          );
        }
        process.stdout.write(`${file}\n`);
      }),
    );
}
