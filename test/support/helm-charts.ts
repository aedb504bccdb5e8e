import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Helm } from './kube-tools.js';
import type { Curl, CurlResponse, ToolRun } from './skopeo.js';

/*
 * Chart folders for the real-helm tests: written from a few fields, copied from the corpus, packaged by
 * the helm under test, and uploaded the way `helm cm-push` uploads them.
 */

/** The shared corpus (charts, signed chart and its key): ../shared/corpus beside the repository. */
export const CORPUS = new URL('../../../shared/corpus/', import.meta.url).pathname;

export interface ChartDependency {
  name: string;
  version: string;
  repository: string;
  alias?: string;
}

export interface ChartSpec {
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  dependencies?: ChartDependency[];
  deprecated?: boolean;
  keywords?: string[];
  /**
   * values.yaml's `greeting`, rendered into a `<release>-greeting` ConfigMap instead of the chart-naming
   * one: change it to get other content under the same name and version.
   */
  greeting?: string;
}

/**
 * Writes `<parent>/<name>/` with Chart.yaml, values.yaml and one ConfigMap template naming the chart
 * and version (so `helm template` shows which version of a subchart was vendored); returns its path.
 */
export async function writeChart(parent: string, spec: ChartSpec): Promise<string> {
  const dir = join(parent, spec.name);
  await mkdir(join(dir, 'templates'), { recursive: true });
  const chartYaml = {
    apiVersion: 'v2',
    name: spec.name,
    version: spec.version,
    ...(spec.appVersion !== undefined ? { appVersion: spec.appVersion } : {}),
    description: spec.description ?? `The ${spec.name} chart`,
    ...(spec.dependencies ? { dependencies: spec.dependencies } : {}),
    ...(spec.deprecated !== undefined ? { deprecated: spec.deprecated } : {}),
    ...(spec.keywords ? { keywords: spec.keywords } : {}),
  };
  // js-yaml without line folding, so descriptions with any Unicode arrive exactly as given.
  await writeFile(join(dir, 'Chart.yaml'), yaml.dump(chartYaml, { lineWidth: -1 }));
  if (spec.greeting !== undefined) {
    await writeFile(
      join(dir, 'values.yaml'),
      `# The greeting the ConfigMap carries.\ngreeting: ${spec.greeting}\n`,
    );
    await writeFile(
      join(dir, 'templates', 'configmap.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\n' +
        'data:\n  greeting: {{ .Values.greeting | quote }}\n',
    );
    return dir;
  }
  await writeFile(join(dir, 'values.yaml'), 'enabled: true\n');
  await writeFile(
    join(dir, 'templates', 'configmap.yaml'),
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
      'data:',
      '  chart: {{ .Chart.Name }}-{{ .Chart.Version }}',
      '',
    ].join('\n'),
  );
  return dir;
}

/** Copies the corpus chart folder `charts/<name>` into `parent`; returns the copy's path. */
export async function copyCorpusChart(name: string, parent: string): Promise<string> {
  const dir = join(parent, name);
  await cp(join(CORPUS, 'charts', name), dir, { recursive: true });
  return dir;
}

/**
 * `helm package DIR... -d OUT [...extra]` in one helm run; returns the archives' paths as helm reports
 * them, in the order of `chartDirs`.
 */
export async function helmPackage(
  helm: Helm,
  chartDirs: readonly string[],
  outDir: string,
  extra: string[] = [],
): Promise<string[]> {
  const run = await helm.ok(['package', ...chartDirs, '-d', outDir, ...extra]);
  const saved = [...run.stdout.matchAll(/saved it to: (\S+)/g)].map((m) => m[1]!);
  if (saved.length !== chartDirs.length)
    throw new Error(`helm package saved ${saved.length} of ${chartDirs.length} charts: ${run.stdout}`);
  return saved;
}

/**
 * Uploads an archive the way `helm cm-push` does (research/protocols.md d.5): GET index.yaml for
 * `serverInfo.contextPath`, then a chunked multipart POST of the `chart` field (and `prov`, the other
 * field ChartMuseum reads, when given) to `<contextPath>/api<repo path>/charts`, `?force` when forced.
 * `auth` is `user:password` (`--username/--password`) or `{ bearer }` (`--access-token`). Like
 * cm-push it stops at a refused index.yaml, and answers with that response.
 */
export async function cmPush(
  curl: Curl,
  repoUrl: string,
  auth: string | { bearer: string },
  files: { chart: string; prov?: string },
  opts: { force?: boolean } = {},
): Promise<CurlResponse> {
  const authArgs = typeof auth === 'string' ? ['-u', auth] : ['-H', `Authorization: Bearer ${auth.bearer}`];
  const index = await curl.request(authArgs, `${repoUrl}/index.yaml`);
  if (index.status !== 200) return index;
  const doc = yaml.load(index.body.toString('utf8')) as { serverInfo?: { contextPath?: string } };
  const contextPath = doc.serverInfo?.contextPath ?? '';
  const repo = new URL(repoUrl);
  const post = `${repo.origin}${contextPath}/api${repo.pathname.slice(contextPath.length)}/charts`;
  return curl.request(
    [
      ...authArgs,
      '-H',
      'Transfer-Encoding: chunked',
      '-F',
      `chart=@${files.chart}`,
      ...(files.prov ? ['-F', `prov=@${files.prov}`] : []),
    ],
    `${post}${opts.force ? '?force' : ''}`,
  );
}

/** `helm registry login HOST -u USER --password-stdin` over plain HTTP (the flag differs by major). */
export function helmRegistryLogin(
  helm: Helm,
  host: string,
  username: string,
  secret: string,
): Promise<ToolRun> {
  return helm.run(['registry', 'login', host, '-u', username, '--password-stdin', helm.loginPlainHttpFlag], {
    stdin: secret,
  });
}

/** Someone who signs in: a member's username and password, or a username and an API token. */
export interface HelmUser {
  username: string;
  password: string;
}

/** `helm registry login` that must succeed (the secret on stdin). */
export function helmRegistryLoginOk(helm: Helm, host: string, user: HelmUser): Promise<ToolRun> {
  return helm.ok(
    ['registry', 'login', host, '--username', user.username, '--password-stdin', helm.loginPlainHttpFlag],
    {
      stdin: user.password,
    },
  );
}

/** `helm repo add NAME URL --username U --password-stdin` that must succeed. */
export function helmRepoAdd(helm: Helm, name: string, url: string, user: HelmUser): Promise<ToolRun> {
  return helm.ok(['repo', 'add', name, url, '--username', user.username, '--password-stdin'], {
    stdin: user.password,
  });
}
