import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { helmPackage, writeChart, type ChartSpec } from '../support/helm-charts.js';
import { Helm, HELM_MAJORS, type HelmMajor } from '../support/kube-tools.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';

/**
 * Whatever the real helm says of a repository, Charthouse's catalog says too: charts packaged and
 * indexed (or pushed) by helm 3 and helm 4, synced by Charthouse, then compared field by field with
 * `helm search repo` (classic) and `helm show chart` (OCI). The charts cover what a catalog gets wrong
 * first: pre-releases, build metadata (`+`, a `_` in OCI tags), deprecation, no appVersion, and
 * Unicode in descriptions.
 */
const CHARTS: Array<ChartSpec & { packagedBy: HelmMajor }> = [
  {
    name: 'alpha',
    version: '1.0.0',
    appVersion: '1.0',
    description: 'Alpha — ünïcode 日本語 ✓',
    packagedBy: 3,
  },
  {
    name: 'alpha',
    version: '1.1.0',
    appVersion: '1.1.0',
    description: 'Alpha, "quoted" & <tagged>',
    packagedBy: 4,
  },
  {
    name: 'alpha',
    version: '2.0.0-rc.1',
    appVersion: 'v2.0.0-rc.1',
    description: 'Alpha 2 preview',
    packagedBy: 4,
  },
  {
    name: 'alpha',
    version: '2.0.0-beta.2',
    appVersion: '2.0-beta',
    description: 'Alpha 2 beta',
    packagedBy: 3,
  },
  {
    name: 'alpha',
    version: '1.2.0+build.5',
    appVersion: '1.2',
    description: 'Alpha with build metadata',
    packagedBy: 4,
  },
  { name: 'legacy', version: '0.1.0', description: 'Old and deprecated 🦖', deprecated: true, packagedBy: 3 },
  { name: 'legacy', version: '0.2.0', description: 'Old and deprecated 🦖', deprecated: true, packagedBy: 4 },
  { name: 'no-app', version: '3.0.0', description: 'Ohne appVersion — ça marche', packagedBy: 4 },
  { name: 'no-app', version: '0.0.1-alpha', description: 'Première', packagedBy: 3 },
];

interface CatalogVersion {
  name: string;
  version: string;
  appVersion: string | null;
  description: string | null;
  deprecated: boolean;
}

describe(`sync compared with the real helm (${TEST_DB})`, () => {
  let server: TestServer;
  let token: string;
  let oci: DockerRegistry;
  let web: FixtureServer;
  let dir: string;
  const helms = new Map<HelmMajor, Helm>();
  /** The i-th check's helm: the majors take turns (a helm run costs about a second on CI). */
  const helmInTurn = (i: number): Helm => helms.get(HELM_MAJORS[i % HELM_MAJORS.length]!)!;
  const base = '/api/v1/tenants/helmsync';

  /** Every version of every chart of `registry` in Charthouse's catalog, through its JSON API. */
  async function catalog(registry: string): Promise<CatalogVersion[]> {
    const api = async <T>(path: string): Promise<T> => {
      const res = await server.api<T>('GET', `${base}${path}`, { token });
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const charts = await api<{ items: Array<{ name: string }> }>(`/charts?registry=${registry}&limit=200`);
    const out: CatalogVersion[] = [];
    for (const chart of charts.items) {
      const detail = await api<{ versions: Array<{ version: string }> }>(
        `/registries/helm/${registry}/charts/${chart.name}`,
      );
      for (const v of detail.versions) {
        const one = await api<CatalogVersion>(
          `/registries/helm/${registry}/charts/${chart.name}/versions/${encodeURIComponent(v.version)}`,
        );
        out.push({
          name: one.name,
          version: one.version,
          appVersion: one.appVersion,
          description: one.description,
          deprecated: one.deprecated,
        });
      }
    }
    return out.sort(byNameAndVersion);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charthouse-sync-vs-helm-'));
    for (const major of HELM_MAJORS) helms.set(major, await Helm.start(major));
    [server, oci] = await Promise.all([startTestServer(), startDockerRegistry()]);
    token = (await createTenant(server, 'helmsync')).adminToken;
    const outDir = join(dir, 'repo');
    for (const spec of CHARTS) {
      const src = await writeChart(join(dir, 'src', `${spec.name}-${spec.version}`), spec);
      await helmPackage(helms.get(spec.packagedBy)!, [src], outDir);
    }
    // The classic repository: the packages and helm's own index.yaml, served as static files.
    await helms.get(4)!.ok(['repo', 'index', outDir]);
    web = await startFixtureServer(async (req, res) => {
      const name = decodeURIComponent(
        new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/charts\//, ''),
      );
      const files = await readdir(outDir);
      if (!files.includes(name)) return void res.writeHead(404).end('not found\n');
      const type = name.endsWith('.yaml') ? 'text/yaml' : 'application/gzip';
      res.writeHead(200, { 'content-type': type }).end(await readFile(join(outDir, name)));
    });
  });
  after(async () => {
    await Promise.all([
      server?.close(),
      oci?.stop(),
      web?.close(),
      ...[...helms.values()].map((h) => h.close()),
    ]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a classic repository indexed by helm: the catalog equals helm search repo', async () => {
    const add = await server.api('POST', `${base}/registries/helm`, {
      token,
      body: { name: 'classic', endpoint: `${web.url}/charts` },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const run = await syncAndWait(server, `${base}/registries/helm/classic`, token);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(run.warnings, []);
    const ours = await catalog('classic');

    for (const helm of helms.values()) {
      await helm.ok(['repo', 'add', 'classic', `${web.url}/charts`]);
      // --devel: without it helm hides pre-releases, which Charthouse lists (and a user can pick).
      const search = await helm.ok(['search', 'repo', 'classic/', '--versions', '--devel', '-o', 'json']);
      const theirs = (JSON.parse(search.stdout) as Array<Record<string, string>>)
        .map((r) => ({
          name: r.name!.replace(/^classic\//, ''),
          version: r.version!,
          appVersion: r.app_version || null,
          description: r.description || null,
        }))
        .sort(byNameAndVersion);
      assert.deepEqual(
        ours.map(({ deprecated: _, ...rest }) => rest),
        theirs,
        `helm ${helm.version} search repo`,
      );
    }
    // Deprecation is not in search's JSON: helm show chart says it, per version (each major in turn).
    for (const [i, v] of ours.entries()) {
      const helm = helmInTurn(i);
      const shown = await helm.ok(['show', 'chart', `classic/${v.name}`, '--version', v.version]);
      const chart = yaml.load(shown.stdout) as { deprecated?: boolean };
      assert.equal(v.deprecated, chart.deprecated === true, `helm ${helm.version}: ${v.name} ${v.version}`);
    }
    assert.equal(ours.length, CHARTS.length);
  });

  it('an OCI registry pushed to by helm: every version as helm show chart sees it', async () => {
    for (const spec of CHARTS) {
      const helm = helms.get(spec.packagedBy)!;
      const tgz = join(dir, 'repo', `${spec.name}-${spec.version}.tgz`);
      // Both majors spell it --plain-http for push (Helm 3 since 3.13).
      await helm.ok(['push', tgz, `oci://${oci.host}/charts`, '--plain-http']);
    }
    const add = await server.api('POST', `${base}/registries/helm`, {
      token,
      body: { name: 'oci', endpoint: `oci://${oci.host}/charts`, plainHttp: true },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const run = await syncAndWait(server, `${base}/registries/helm/oci`, token);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(run.warnings, []);
    const ours = await catalog('oci');
    assert.deepEqual(
      ours.map((v) => `${v.name} ${v.version}`),
      CHARTS.map((c) => `${c.name} ${c.version}`).sort(byText),
    );

    // Each version read back by one helm, the majors in turn.
    for (const [i, v] of ours.entries()) {
      const helm = helmInTurn(i);
      const shown = await helm.ok([
        'show',
        'chart',
        `oci://${oci.host}/charts/${v.name}`,
        '--version',
        v.version,
        '--plain-http',
      ]);
      const chart = yaml.load(shown.stdout) as Record<string, unknown>;
      assert.deepEqual(
        v,
        {
          name: chart.name,
          version: chart.version,
          appVersion: chart.appVersion ?? null,
          description: chart.description ?? null,
          deprecated: chart.deprecated === true,
        },
        `helm ${helm.version} show chart ${v.name} ${v.version}`,
      );
    }
  });
});

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byNameAndVersion = (
  a: { name: string; version: string },
  b: { name: string; version: string },
): number => byText(`${a.name} ${a.version}`, `${b.name} ${b.version}`);
