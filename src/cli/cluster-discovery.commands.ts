import { type Command, Option } from 'commander';
import type { ApiClient, DiscoveryRunView } from '../client/api-client.js';
import { connect } from './cli-config.js';
import { collectReleasePages, RELEASE_PAGE_LIMIT } from './release-pages.js';
import {
  formatReleaseTable,
  formatRunOutcome,
  formatRunTable,
  formatSyncedCharts,
  runFinished,
  runWarningText,
  syncedWarnings,
  syncExitCode,
} from './discovery-format.js';
import { collect, duration, jsonWanted, positiveInt, withOutput, type OutputOpts } from './options.js';
import { action, CliError, formatJson, formatWarnings } from './output.js';
import { tenantOf, withTenant, type TenantOpts } from './tenant-options.js';

const NAMESPACE_OPTION = [
  '--namespace <namespace>',
  'only this namespace (repeatable; default: every namespace)',
  collect,
] as const;

/**
 * Brownfield discovery of a cluster (SPEC §2): discover its Helm releases, list them with the catalog
 * versions they match, and sync the charts no registry has into the tenant's hosted registry.
 */
export function registerClusterDiscoveryCommands(cluster: Command): void {
  withOutput(withTenant(cluster.command('discover')))
    .description('discover the Helm releases installed in a cluster (tenant administrators)')
    .argument('<name>', 'cluster name')
    .option(...NAMESPACE_OPTION)
    .option('--wait', 'wait for the discovery to finish and print what it found (exit 1 if it failed)')
    .addOption(
      new Option('--timeout <duration>', 'with --wait: give up waiting after this long (30s, 10m, 1h)')
        .argParser(duration)
        .default(600_000, '10m'),
    )
    .addHelpText(
      'after',
      `
Discovery reads Helm's own release records (Secrets and ConfigMaps) and keeps the newest revision of
each release. A kubeconfig cluster is read by the server at once; an agent cluster's agent does it at
its next heartbeat (the run stays "requested" until then). Without --wait the command returns as soon
as the discovery is asked for; follow it with "charthouse cluster discoveries NAME". With --wait the
exit status is 1 when the discovery failed or did not finish in time.`,
    )
    .action(
      action(
        async (
          name: string,
          opts: TenantOpts & OutputOpts & { namespace?: string[]; wait?: boolean; timeout: number },
        ) => {
          const tenant = tenantOf(opts);
          const client = await connect(opts);
          const { run } = await client.clusters.discover(
            tenant,
            name,
            opts.namespace ? { namespaces: opts.namespace } : {},
          );
          if (!opts.wait) {
            if (jsonWanted(opts)) return void process.stdout.write(formatJson(run));
            const asked =
              run.status === 'requested'
                ? `Asked the agent of cluster ${name} to discover its releases at its next heartbeat`
                : `Started a discovery of cluster ${name}`;
            return void process.stdout.write(
              `${asked} (run ${run.id}). Follow it with "charthouse cluster discoveries ${name}".\n`,
            );
          }
          process.stderr.write(
            run.status === 'requested'
              ? `Asked the agent of cluster ${name} to discover its releases; waiting for it.\n`
              : `Started a discovery of cluster ${name}.\n`,
          );
          const done = await waitForDiscovery(client, tenant, name, run.id, opts.timeout);
          process.stderr.write(formatWarnings(done.warnings.map(runWarningText)));
          process.stdout.write(jsonWanted(opts) ? formatJson(done) : formatRunOutcome(name, done));
          if (done.status === 'failed') process.exitCode = 1;
        },
      ),
    );

  withOutput(withTenant(cluster.command('discoveries')))
    .description("a cluster's discovery runs, newest first")
    .argument('<name>', 'cluster name')
    .option('--limit <n>', 'at most this many runs (1 to 500)', positiveInt, 20)
    .action(
      action(async (name: string, opts: TenantOpts & OutputOpts & { limit: number }) => {
        const page = await (
          await connect(opts)
        ).clusters.discoveries(tenantOf(opts), name, { limit: opts.limit });
        process.stdout.write(jsonWanted(opts) ? formatJson(page) : formatRunTable(page.items));
      }),
    );

  withOutput(withTenant(cluster.command('releases')))
    .description(
      "the Helm releases a cluster's newest finished discovery found, with the registries their charts matched",
    )
    .argument('<name>', 'cluster name')
    .option('--namespace <namespace>', 'only releases of this namespace')
    .option('--search <text>', 'only releases whose release or chart name contains this')
    .addHelpText(
      'after',
      `
MATCHED names each registry (the tenant's or the system's) holding the release's chart name and version:
"content" when its archive has the release's Chart.yaml, templates and default values, "name-version"
when only those two agree. "-" means no registry has it: "charthouse cluster sync-releases NAME" puts it
into the tenant's hosted registry, rebuilt from the release ("reconstructed"). Helm 2 (Tiller) releases
are listed and never synced.`,
    )
    .action(
      action(
        async (name: string, opts: TenantOpts & OutputOpts & { namespace?: string; search?: string }) => {
          const tenant = tenantOf(opts);
          const client = await connect(opts);
          const filter = {
            ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
            ...(opts.search === undefined ? {} : { q: opts.search }),
          };
          const { items, run } = await collectReleasePages(name, (cursor) =>
            client.clusters.releases(tenant, name, {
              ...filter,
              limit: RELEASE_PAGE_LIMIT,
              ...(cursor === undefined ? {} : { cursor }),
            }),
          );
          process.stdout.write(
            jsonWanted(opts) ? formatJson({ items, run }) : formatReleaseTable(name, items, run),
          );
        },
      ),
    );

  withOutput(withTenant(cluster.command('sync-releases')))
    .description(
      "sync discovered charts: put the charts of a cluster's releases that no registry has into the tenant's hosted registry (tenant administrators)",
    )
    .argument('<name>', 'cluster name')
    .addHelpText(
      'after',
      `
Works on the releases of the cluster's newest finished discovery. Per chart the outcome is one of:
  created    rebuilt from the chart stored in the release and published, marked reconstructed
  unchanged  already published as rebuilt by an earlier sync
  matched    a registry already has the same content: nothing to do
  conflict   the hosted registry holds this name and version with other content (never overwritten)
  skipped    a Helm 2 release
  failed     the chart could not be rebuilt or published (the message says why)
Helm does not store subcharts in a release, so a chart that declares some is rebuilt without them,
with a warning.

Exit status: 0 when every chart is created, unchanged, matched or skipped; 1 when any chart failed;
3 when none failed but some are in conflict (a profile made from the cluster would name the other
chart: rename or remove it in the hosted registry, then sync again).`,
    )
    .action(
      action(async (name: string, opts: TenantOpts & OutputOpts) => {
        const { items } = await (await connect(opts)).clusters.syncReleases(tenantOf(opts), name);
        process.stderr.write(formatWarnings(syncedWarnings(items)));
        process.stdout.write(jsonWanted(opts) ? formatJson({ items }) : formatSyncedCharts(name, items));
        const code = syncExitCode(items);
        if (code === 0) return;
        const n = items.filter((i) => i.outcome === (code === 1 ? 'failed' : 'conflict')).length;
        process.stderr.write(
          code === 1
            ? `error: ${n} chart(s) could not be synced (see MESSAGE)\n`
            : `error: ${n} chart(s) in conflict with the hosted registry: nothing was overwritten\n`,
        );
        process.exitCode = code;
      }),
    );
}

const FIRST_POLL_MS = 300;
const MAX_POLL_MS = 5_000;

/** Polls the run history until the run has finished; progress goes to stderr. */
async function waitForDiscovery(
  client: ApiClient,
  tenant: string,
  name: string,
  id: string,
  timeoutMs: number,
): Promise<DiscoveryRunView> {
  const started = Date.now();
  // On a terminal the progress line rewrites itself; in a log it is written once per 10 s.
  const tty = process.stderr.isTTY;
  let lastLine = -10;
  let pause = FIRST_POLL_MS;
  for (;;) {
    // The run just started is on the first page of a newest-first history unless 20 more started since.
    const runs = await client.clusters.discoveries(tenant, name, { limit: 20 });
    const run = runs.items.find((r) => r.id === id);
    if (run && runFinished(run)) {
      if (tty) process.stderr.write('\r\x1b[K');
      return run;
    }
    const elapsed = Math.round((Date.now() - started) / 1000);
    const state = run?.status === 'requested' ? 'waiting for its agent' : 'discovering';
    if (tty) process.stderr.write(`\r\x1b[K${name}: ${state}… ${elapsed} s`);
    else if (elapsed - lastLine >= 10) {
      process.stderr.write(`${name}: ${state}… ${elapsed} s\n`);
      lastLine = elapsed;
    }
    if (Date.now() - started > timeoutMs) {
      if (tty) process.stderr.write('\n');
      throw new CliError(
        `the discovery of ${name} has not finished after ${Math.round(timeoutMs / 1000)} s (it is ${run?.status ?? 'not listed'}): follow it with "charthouse cluster discoveries ${name}"`,
      );
    }
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 1.5, MAX_POLL_MS);
  }
}
