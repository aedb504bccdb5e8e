import { type Command, Option } from 'commander';
import type {
  ApiClient,
  ChartDetail,
  ChartSummary,
  ChartVersionDetail,
  RegistryScope,
} from '../client/api-client.js';
import { registerChartTransferCommands } from './chart-transfer.commands.js';
import { connect } from './cli-config.js';
import { JSON_OPTION, positiveInt, SERVER_OPTION, type ServerOpts } from './options.js';
import { action, formatDate, formatJson, formatTable, UsageError } from './output.js';

interface SearchOpts extends ServerOpts {
  tenant?: string;
  registry?: string;
  limit: number;
  devel?: boolean;
}

interface ShowOpts extends ServerOpts {
  tenant?: string;
  system?: boolean;
  version?: string;
  devel?: boolean;
}

/** Helm's own flag and words (`helm search repo --devel`). */
const DEVEL_OPTION = [
  '--devel',
  'use development versions (alpha, beta, release candidates) too: the latest may be a pre-release',
] as const;

const PAGE = 200;
const DESCRIPTION_WIDTH = 60;

function tenantOf(opts: { tenant?: string }): string {
  const tenant = opts.tenant ?? process.env.CHARTHOUSE_TENANT;
  if (!tenant) throw new UsageError('choose the tenant: --tenant NAME (or CHARTHOUSE_TENANT)');
  return tenant;
}

/** Pages through the search until `limit` charts (the server caps a page at 200). */
async function searchUpTo(
  client: ApiClient,
  tenant: string,
  q: string,
  registry: string | undefined,
  limit: number,
  devel: boolean,
): Promise<{ items: ChartSummary[]; more: boolean }> {
  const items: ChartSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.charts.search(tenant, {
      q,
      ...(registry !== undefined ? { registry } : {}),
      limit: Math.min(PAGE, limit - items.length),
      ...(devel ? { devel } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && items.length < limit);
  return { items, more: cursor !== undefined };
}

/** One line per cell: control characters and newlines from upstream descriptions would break the table. */
const oneLine = (s: string | null, width = Infinity): string => {
  const flat = (s ?? '').replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
};

export function formatChartTable(charts: ChartSummary[]): string {
  if (charts.length === 0) return 'No charts found.\n';
  return formatTable(
    ['REGISTRY', 'CHART', 'LATEST', 'APP VERSION', 'DESCRIPTION'],
    charts.map((c) => [
      c.registry.name,
      c.name,
      c.latestVersion + (c.prerelease ? ' (pre-release)' : '') + (c.deprecated ? ' (deprecated)' : ''),
      oneLine(c.appVersion) || '-',
      oneLine(c.description, DESCRIPTION_WIDTH),
    ]),
  );
}

function pairs(list: Array<[string, string]>): string {
  const width = Math.max(...list.map(([k]) => k.length)) + 1;
  return list.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n') + '\n';
}

export function formatChartDetail(c: ChartDetail): string {
  const head = pairs([
    ['Chart', c.name],
    ['Registry', `${c.registry.name} (${c.registry.scope}, ${c.registry.kind})`],
    ['Latest', c.latestVersion + (c.prerelease ? ' (pre-release)' : '')],
    ['App version', oneLine(c.appVersion) || '-'],
    ['Description', oneLine(c.description) || '-'],
    ['Keywords', c.keywords.map((k) => oneLine(k)).join(', ') || '-'],
    ['Deprecated', c.deprecated ? 'yes' : 'no'],
    ['Versions', String(c.versionCount)],
  ]);
  const table = formatTable(
    ['VERSION', 'APP VERSION', 'CREATED', 'DEPRECATED'],
    c.versions.map((v) => [
      v.version,
      oneLine(v.appVersion) || '-',
      formatDate(v.created),
      v.deprecated ? 'yes' : '',
    ]),
  );
  return `${head}\n${table}`;
}

export function formatVersionDetail(v: ChartVersionDetail): string {
  const list: Array<[string, string]> = [
    ['Chart', v.name],
    ['Version', v.version],
    ['Registry', `${v.registry.name} (${v.registry.scope}, ${v.registry.kind})`],
    ['App version', oneLine(v.appVersion) || '-'],
    ['API version', v.apiVersion ?? '-'],
    ['Type', v.type ?? '-'],
    ['Description', oneLine(v.description) || '-'],
    ['Home', oneLine(v.home) || '-'],
    ['Sources', v.sources.map((s) => oneLine(s)).join(', ') || '-'],
    ['Keywords', v.keywords.map((k) => oneLine(k)).join(', ') || '-'],
    ['Maintainers', v.maintainers.map((m) => oneLine(m.name)).join(', ') || '-'],
    ['Kubernetes', oneLine(v.kubeVersion) || '-'],
    ['Deprecated', v.deprecated ? 'yes' : 'no'],
    ['Created', formatDate(v.created)],
    ['Digest', v.digest ?? '-'],
    ['Chart URL', v.chartUrl ?? '-'],
    ['Dependencies', v.dependencies.map((d) => oneLine(`${d.name} ${d.version ?? ''}`)).join(', ') || '-'],
  ];
  if (v.republished) list.push(['Re-published', 'yes: its content changed upstream under the same version']);
  list.push(['First seen', formatDate(v.firstSeenAt)], ['Updated', formatDate(v.updatedAt)]);
  return pairs(list);
}

export function registerChartCommands(program: Command): void {
  const chart = program
    .command('chart')
    .description('the chart catalog of synchronized registries; push and pull for hosted registries');

  chart
    .command('search')
    .description('search the charts of every registry the tenant sees, by name, keyword and description')
    .argument('<text>', 'text to look for (matched literally, case-insensitively)')
    .option('--tenant <tenant>', 'the tenant (default: CHARTHOUSE_TENANT)')
    .option('--registry <registry>', 'only this registry')
    .option('--limit <n>', 'at most this many charts', positiveInt, 50)
    .option(...DEVEL_OPTION)
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (text: string, opts: SearchOpts) => {
        const client = await connect(opts);
        const { items, more } = await searchUpTo(
          client,
          tenantOf(opts),
          text,
          opts.registry,
          opts.limit,
          opts.devel === true,
        );
        if (opts.json) return void process.stdout.write(formatJson({ items }));
        process.stdout.write(formatChartTable(items));
        if (more) process.stderr.write(`(first ${items.length} charts: raise --limit for more)\n`);
      }),
    );

  chart
    .command('show')
    .description('show a chart and its versions, or one version with --version')
    .argument('<registry/chart>', 'registry name and chart name, e.g. bitnami/nginx')
    .addOption(new Option('--tenant <tenant>', 'the tenant (default: CHARTHOUSE_TENANT)').conflicts('system'))
    .option('--system', 'a system registry through the system scope (system administrator)')
    .option('--version <version>', 'one version')
    .option(...DEVEL_OPTION)
    .option(...SERVER_OPTION)
    .option(...JSON_OPTION)
    .action(
      action(async (ref: string, opts: ShowOpts) => {
        const slash = ref.indexOf('/');
        if (slash <= 0 || slash === ref.length - 1 || ref.indexOf('/', slash + 1) !== -1) {
          throw new UsageError(`"${ref}" is not REGISTRY/CHART`);
        }
        const [registry, name] = [ref.slice(0, slash), ref.slice(slash + 1)];
        const scope: RegistryScope = opts.system ? 'system' : { tenant: tenantOf(opts) };
        const client = await connect(opts);
        if (opts.version !== undefined) {
          const v = await client.charts.version(scope, registry, name, opts.version);
          process.stdout.write(opts.json ? formatJson(v) : formatVersionDetail(v));
        } else {
          const c = await client.charts.get(scope, registry, name, opts.devel ? { devel: true } : {});
          process.stdout.write(opts.json ? formatJson(c) : formatChartDetail(c));
        }
      }),
    );

  registerChartTransferCommands(chart);
}
