import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import {
  type ChartDependency,
  cmPush,
  copyCorpusChart,
  CORPUS,
  helmPackage,
  helmRegistryLoginOk,
  helmRepoAdd,
  writeChart,
} from '../support/helm-charts.js';
import { Helm, HELM_MAJORS } from '../support/kube-tools.js';
import { ADMIN, createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { startCurl, type Curl } from '../support/skopeo.js';

/*
 * `helm dependency update` and `helm dependency build` (Helm 3.17.2 and 4.1.4) against charts hosted in
 * Charthouse, through the three kinds of repository a Chart.yaml can name: `oci://HOST/TENANT`, the
 * classic URL `http://HOST/helm/TENANT`, and `@NAME` for a repository added with `helm repo add`. The
 * tenant is private: helm needs `helm registry login` for OCI and `helm repo add` credentials for the
 * others. Then the corpus prometheus chart, its four subcharts uploaded to Charthouse first.
 */

const MEMBER = { username: 'acme-member', password: 'acme-member-password' };
const creds = `${MEMBER.username}:${MEMBER.password}`;

/** Versions uploaded per chart; the constraint each dependency uses and the version it must resolve to. */
const RANGES = [
  { name: 'tilde', versions: ['1.1.9', '1.2.0', '1.2.5', '1.3.0'], constraint: '~1.2.0', expected: '1.2.5' },
  {
    name: 'caret',
    versions: ['1.9.0', '2.0.0', '2.4.1', '2.5.0-rc.1', '3.0.0'],
    constraint: '^2.0.0',
    expected: '2.4.1',
  },
  {
    name: 'range',
    versions: ['0.9.0', '1.0.0', '1.7.3', '2.0.0'],
    constraint: '>=1.0.0 <2.0.0',
    expected: '1.7.3',
  },
];
/** prometheus's subcharts (corpus Chart.lock versions), and a newer version its `1.42.*` must skip. */
const PROMETHEUS_DEPS = [
  'alertmanager',
  'kube-state-metrics',
  'prometheus-node-exporter',
  'prometheus-pushgateway',
];

type ChartLock = { dependencies: { name: string; repository: string; version: string }[]; digest: string };

describe(`real helm resolving dependencies from the hosted registry (${TEST_DB})`, () => {
  let server: TestServer;
  let curl: Curl;
  let work: string;
  let host: string;
  let repoUrl: string;
  /** Uploaded archive bytes by `<name>-<version>`. */
  const uploaded = new Map<string, Buffer>();
  let corpusLock: ChartLock;

  before(async () => {
    curl = await startCurl();
    server = await startTestServer();
    await createTenant(server, 'acme');
    // A tenant whose registry anyone may read: helm needs no credentials and no `helm repo add` there.
    assert.equal((await server.api('POST', '/api/v1/tenants', { body: { name: 'shared' } })).status, 201);
    const open = await server.api('PATCH', '/api/v1/tenants/shared/hosted', { body: { publicRead: true } });
    assert.equal(open.status, 200, JSON.stringify(open.body));
    host = new URL(server.url).host;
    repoUrl = `${server.url}/helm/acme`;
    work = await mkdtemp(join(tmpdir(), 'charthouse-helm-deps-'));
    corpusLock = yaml.load(
      await readFile(join(CORPUS, 'charts', 'prometheus', 'Chart.lock'), 'utf8'),
    ) as ChartLock;

    // Packaged by one helm run each, uploaded side by side as several cm-push runs would.
    const packager = await Helm.start(3);
    try {
      const sources: { dir: string; key: string }[] = [];
      for (const { name, versions } of RANGES) {
        for (const version of versions) {
          const dir = await writeChart(join(work, 'src', `${name}-${version}`), { name, version });
          sources.push({ dir, key: `${name}-${version}` });
        }
      }
      for (const name of PROMETHEUS_DEPS) {
        const version = corpusLock.dependencies.find((d) => d.name === name)!.version;
        sources.push({ dir: await copyCorpusChart(name, join(work, 'corpus')), key: `${name}-${version}` });
      }
      const archives = await helmPackage(
        packager,
        sources.map((s) => s.dir),
        join(work, 'packaged'),
      );
      const [newer] = await helmPackage(
        packager,
        [join(work, 'corpus', 'alertmanager')],
        join(work, 'newer'),
        ['--version', '1.43.0'],
      );
      const all = [
        ...sources.map((s, i) => ({ key: s.key, tgz: archives[i]! })),
        { key: 'alertmanager-1.43.0', tgz: newer! },
      ];
      // range's versions in the public registry too, pushed by the system administrator.
      await Promise.all(
        sources
          .map((source, i) => ({ ...source, tgz: archives[i]! }))
          .filter((source) => source.key.startsWith('range-'))
          .map(async ({ key, tgz }) => {
            const res = await cmPush(
              curl,
              `${server.url}/helm/shared`,
              `${ADMIN.username}:${ADMIN.password}`,
              {
                chart: tgz,
              },
            );
            assert.equal(res.status, 201, `shared ${key}: ${res.body.toString('utf8')}`);
          }),
      );
      await Promise.all(
        all.map(async ({ key, tgz }) => {
          const res = await cmPush(curl, repoUrl, creds, { chart: tgz });
          assert.equal(res.status, 201, `${key}: ${res.body.toString('utf8')}`);
          uploaded.set(key, await readFile(tgz));
        }),
      );
    } finally {
      await packager.close();
    }
  });

  after(async () => {
    await Promise.all([server?.close(), curl?.close(), work && rm(work, { recursive: true, force: true })]);
  });

  for (const major of HELM_MAJORS) {
    describe(`helm ${major}`, () => {
      let helm: Helm;
      let dir: string;
      const plain = '--plain-http';

      before(async () => {
        helm = await Helm.start(major);
        dir = join(work, `helm${major}`);
        await mkdir(dir);
      });
      after(() => helm?.close());

      const dependencies = (): ChartDependency[] => [
        { name: 'tilde', version: '~1.2.0', repository: `oci://${host}/acme` },
        { name: 'caret', version: '^2.0.0', repository: repoUrl },
        { name: 'range', version: '>=1.0.0 <2.0.0', repository: '@acme' },
      ];
      const lockOf = async (chartDir: string): Promise<ChartLock> =>
        yaml.load(await readFile(join(chartDir, 'Chart.lock'), 'utf8')) as ChartLock;
      /** The vendored archives of `chartDir`, each checked to be the bytes uploaded. */
      const vendored = async (chartDir: string): Promise<string[]> => {
        const files = (await readdir(join(chartDir, 'charts'))).sort();
        for (const file of files) {
          const bytes = await readFile(join(chartDir, 'charts', file));
          assert.ok(
            bytes.equals(uploaded.get(file.replace(/\.tgz$/, ''))!),
            `${file} is the uploaded archive`,
          );
        }
        return files;
      };

      it('without credentials the private repositories refuse helm, saying why; a public one needs none', async () => {
        const oci = await writeChart(join(dir, 'no-creds-oci'), {
          name: 'app',
          version: '1.0.0',
          dependencies: [dependencies()[0]!],
        });
        const refusedOci = await helm.fails(['dependency', 'update', oci, plain]);
        assert.match(
          refusedOci.stderr,
          /tags\/list": (unexpected|response) status code 401: unauthorized: Sign in/,
        );
        const url = await writeChart(join(dir, 'no-creds-url'), {
          name: 'app',
          version: '1.0.0',
          dependencies: [dependencies()[1]!],
        });
        const refusedUrl = await helm.fails(['dependency', 'update', url, plain]);
        assert.match(refusedUrl.stdout + refusedUrl.stderr, /helm\/acme\/index\.yaml : 401 Unauthorized/);
        const alias = await writeChart(join(dir, 'no-creds-alias'), {
          name: 'app',
          version: '1.0.0',
          dependencies: [dependencies()[2]!],
        });
        const refusedAlias = await helm.fails(['dependency', 'update', alias, plain]);
        assert.match(refusedAlias.stderr, /no repository definition for @acme/);

        // A public registry's URL needs neither credentials nor `helm repo add`.
        const shared = await writeChart(join(dir, 'public-url'), {
          name: 'app',
          version: '1.0.0',
          dependencies: [{ ...dependencies()[2]!, repository: `${server.url}/helm/shared` }],
        });
        await helm.ok(['dependency', 'update', shared, plain]);
        assert.deepEqual(
          (await lockOf(shared)).dependencies.map((d) => [d.name, d.version, d.repository]),
          [['range', '1.7.3', `${server.url}/helm/shared`]],
        );
        assert.deepEqual(await vendored(shared), ['range-1.7.3.tgz']);
      });

      it('dependency update resolves ~, ^ and ranges over oci://, a URL and @alias; build vendors the lock', async () => {
        await helmRegistryLoginOk(helm, host, MEMBER);
        await helmRepoAdd(helm, 'acme', repoUrl, MEMBER);
        const app = await writeChart(join(dir, 'resolved'), {
          name: 'app',
          version: '1.0.0',
          dependencies: dependencies(),
        });
        await helm.ok(['dependency', 'update', app, plain]);
        const lock = await lockOf(app);
        assert.deepEqual(
          lock.dependencies.map((d) => [d.name, d.version]),
          RANGES.map((r) => [r.name, r.expected]),
        );
        // The lock keeps each repository as written (@acme resolved to the repository's URL).
        assert.deepEqual(
          lock.dependencies.map((d) => d.repository),
          [`oci://${host}/acme`, repoUrl, repoUrl],
        );
        const expectedFiles = RANGES.map((r) => `${r.name}-${r.expected}.tgz`).sort();
        assert.deepEqual(await vendored(app), expectedFiles);

        // build: the same archives again from the lock alone, after they are removed.
        await rm(join(app, 'charts'), { recursive: true });
        await helm.ok(['dependency', 'build', app, plain]);
        assert.deepEqual(await vendored(app), expectedFiles);
        assert.deepEqual(await lockOf(app), lock, 'build does not rewrite the lock');
        const list = await helm.ok(['dependency', 'list', app]);
        for (const r of RANGES)
          assert.match(
            list.stdout,
            new RegExp(`${r.name}\\s+${r.constraint.replace(/[.^~]/g, '\\$&')}\\s+\\S+\\s+ok`),
          );

        // The rendered chart holds each subchart at the resolved version.
        const rendered = (await helm.ok(['template', 'rel', app])).stdout;
        for (const r of RANGES)
          assert.match(rendered, new RegExp(`chart: ${r.name}-${r.expected.replace(/\./g, '\\.')}\\n`));
      });

      it('the corpus prometheus chart builds against its subcharts in Charthouse, then packages and renders', async () => {
        const chart = await copyCorpusChart('prometheus', dir);
        // Its dependencies pointed at Charthouse: alertmanager over OCI, the others through the URL.
        const chartYaml = yaml.load(await readFile(join(chart, 'Chart.yaml'), 'utf8')) as {
          dependencies: { name: string; repository: string }[];
        };
        for (const dep of chartYaml.dependencies)
          dep.repository = dep.name === 'alertmanager' ? `oci://${host}/acme` : repoUrl;
        await writeFile(join(chart, 'Chart.yaml'), yaml.dump(chartYaml));

        // The corpus lock names the upstream repositories: build refuses it as out of sync.
        const stale = await helm.fails(['dependency', 'build', chart, plain]);
        assert.match(stale.stderr, /Chart\.lock\) is out of sync/);

        await helm.ok(['dependency', 'update', chart, plain]);
        const lock = await lockOf(chart);
        assert.deepEqual(
          lock.dependencies.map((d) => [d.name, d.version]),
          corpusLock.dependencies.map((d) => [d.name, d.version]),
          '1.42.* skips the newer alertmanager 1.43.0 and the others resolve to the corpus lock',
        );
        await rm(join(chart, 'charts'), { recursive: true });
        await helm.ok(['dependency', 'build', chart, plain]);
        assert.deepEqual(
          await vendored(chart),
          corpusLock.dependencies.map((d) => `${d.name}-${d.version}.tgz`).sort(),
        );

        const [packaged] = await helmPackage(helm, [chart], join(dir, 'out'));
        const rendered = (await helm.ok(['template', 'mon', packaged!, '--namespace', 'monitoring'])).stdout;
        const kinds = new Set([...rendered.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]));
        for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ConfigMap', 'Service'])
          assert.ok(kinds.has(kind), `${kind} in ${[...kinds].join(', ')}`);
        // Each subchart rendered from the vendored archive.
        for (const source of [
          'alertmanager/templates/',
          'kube-state-metrics/templates/',
          'prometheus-node-exporter/templates/daemonset.yaml',
          'prometheus-pushgateway/templates/',
        ])
          assert.ok(rendered.includes(`# Source: prometheus/charts/${source}`), source);
      });
    });
  }
});
