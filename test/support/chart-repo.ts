import { createHash } from 'node:crypto';
import { createTgz } from './chart-archive.js';
import { sendBody, startFixtureServer, type FixtureServer } from './fixture-servers.js';

/** A chart version a test repository serves: Chart.yaml fields and, optionally, its values and schema. */
export interface RepoChart {
  name: string;
  version: string;
  appVersion?: string;
  deprecated?: boolean;
  /** values.yaml text; default `replicaCount: 1`. */
  values?: string;
  /** values.schema.json text, or none. */
  schema?: string;
  /** templates/configmap.yaml text; default a ConfigMap named after the release, without data. */
  template?: string;
}

export interface ChartRepo {
  /** The repository URL a registry's endpoint names (`<fixture>/repo`). */
  url: string;
  server: FixtureServer;
  /** Replaces what the repository lists (and serves) from now on: a version removed "upstream". */
  setCharts(charts: RepoChart[]): void;
  /** The sha256 hex of a version's archive as served. */
  digest(name: string, version: string): string;
  close(): Promise<void>;
}

export function repoChartArchive(c: RepoChart): Buffer {
  const chartYaml = [
    'apiVersion: v2',
    `name: ${c.name}`,
    `version: ${c.version}`,
    `description: ${c.name} for profile tests`,
    ...(c.appVersion ? [`appVersion: "${c.appVersion}"`] : []),
    ...(c.deprecated ? ['deprecated: true'] : []),
  ].join('\n');
  return createTgz([
    { path: `${c.name}/Chart.yaml`, content: `${chartYaml}\n` },
    { path: `${c.name}/values.yaml`, content: c.values ?? 'replicaCount: 1\n' },
    ...(c.schema === undefined ? [] : [{ path: `${c.name}/values.schema.json`, content: c.schema }]),
    {
      path: `${c.name}/templates/configmap.yaml`,
      content: c.template ?? 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
    },
  ]);
}

/**
 * A classic Helm repository on loopback: index.yaml with digests and the archives it names, built from
 * `charts`. What it serves can be replaced while it runs, as an upstream changes between syncs.
 */
export async function startChartRepo(charts: RepoChart[]): Promise<ChartRepo> {
  let archives = new Map<string, Buffer>();
  let index = '';
  const server = await startFixtureServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/repo/index.yaml')
      return sendBody(index, { headers: { 'content-type': 'text/yaml' } })(req, res);
    const file = archives.get(path.replace(/^\/repo\/charts\//, ''));
    if (file) return sendBody(file, { headers: { 'content-type': 'application/gzip' } })(req, res);
    res.writeHead(404).end();
  });
  const setCharts = (list: RepoChart[]): void => {
    archives = new Map();
    const lines = ['apiVersion: v1', 'entries:'];
    const byName = new Map<string, RepoChart[]>();
    for (const c of list) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
    for (const [name, versions] of byName) {
      lines.push(`  ${name}:`);
      for (const c of versions) {
        const tgz = repoChartArchive(c);
        const file = `${c.name}-${c.version}.tgz`;
        archives.set(file, tgz);
        lines.push(
          '  - apiVersion: v2',
          `    name: ${name}`,
          `    version: ${c.version}`,
          ...(c.appVersion ? [`    appVersion: "${c.appVersion}"`] : []),
          ...(c.deprecated ? ['    deprecated: true'] : []),
          `    digest: ${createHash('sha256').update(tgz).digest('hex')}`,
          `    urls: [charts/${file}]`,
        );
      }
    }
    index = `${lines.join('\n')}\n`;
  };
  setCharts(charts);
  return {
    url: `${server.url}/repo`,
    server,
    setCharts,
    digest: (name, version) => {
      const tgz = archives.get(`${name}-${version}.tgz`);
      if (!tgz) throw new Error(`no archive ${name}-${version}`);
      return createHash('sha256').update(tgz).digest('hex');
    },
    close: () => server.close(),
  };
}

/** A values.schema.json for tests: `replicaCount` an integer 1..10, `image.tag` a string, `service.type` an enum. */
export const TEST_VALUES_SCHEMA = JSON.stringify({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['replicaCount'],
  properties: {
    replicaCount: { type: 'integer', minimum: 1, maximum: 10 },
    image: {
      type: 'object',
      properties: { tag: { type: 'string' }, pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] } },
      additionalProperties: false,
    },
    service: { type: 'object', properties: { type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] } } },
    enabled: { type: 'boolean' },
  },
});
