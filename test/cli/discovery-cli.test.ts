import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import type {
  DiscoveredReleaseView,
  DiscoveryRunList,
  DiscoveryRunView,
  ProfileFromClusterReply,
  ProfileVersionView,
  ReleaseList,
  SyncReleasesReply,
} from '../../src/client/api-client.js';
import { repoChartArchive, startChartRepo, type ChartRepo } from '../support/chart-repo.js';
import { assertCliOk, runCli, type CliRun } from '../support/cli.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import {
  helmReleaseJson,
  helmReleaseSecret,
  releaseChart,
  startKubeCluster,
  type KubeCluster,
  type KubeObject,
} from '../support/kube-cluster/index.js';
import { releaseChartFromArchive } from '../support/release-chart.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

/*
 * The discovery commands as users run them (the built CLI) against a real server that reads an
 * in-process Kubernetes API seeded with Helm release Secrets: discover, releases, sync-releases,
 * profile from-cluster, and what members and typos get.
 */

const SECRET_VALUE = 'db-Passw0rd-never-shown';
const CORPUS = new URL('../../../shared/corpus/releases/', import.meta.url);

const chart = releaseChart;
const release = helmReleaseJson;

const secretOf = (r: ReturnType<typeof release>): KubeObject => helmReleaseSecret({ release: r });

describe(`charthouse cluster discovery commands (${TEST_DB})`, () => {
  let server: TestServer;
  let repo: ChartRepo;
  let kube: KubeCluster;
  let dir: string;
  let adminConfig: string;
  let memberConfig: string;
  const T = ['--tenant', 'acme'];
  const run = (args: string[]): Promise<CliRun> => runCli(adminConfig, args);
  const asMember = (args: string[]): Promise<CliRun> => runCli(memberConfig, args);
  const json = async <V>(args: string[], what: string): Promise<V> => {
    const r = await run([...args, ...T, '-o', 'json']);
    assertCliOk(r, what);
    return JSON.parse(r.stdout) as V;
  };
  const releasesJson = (cluster = 'prod'): Promise<ReleaseList> =>
    json(['cluster', 'releases', cluster], 'cluster releases -o json');
  const byName = (items: DiscoveredReleaseView[], name: string): DiscoveredReleaseView => {
    const found = items.find((r) => r.name === name);
    assert.ok(found, `release ${name} listed`);
    return found;
  };
  const discoverAndWait = async (extra: string[] = []): Promise<CliRun> => {
    const r = await run(['cluster', 'discover', 'prod', ...T, '--wait', '--timeout', '60s', ...extra]);
    assertCliOk(r, `cluster discover --wait ${extra.join(' ')}`);
    return r;
  };

  before(async () => {
    repo = await startChartRepo([{ name: 'web', version: '1.2.0' }]);
    // web runs the chart exactly as the upstream repository serves it: a content match.
    const webChart = await releaseChartFromArchive(repoChartArchive({ name: 'web', version: '1.2.0' }));
    const legacy = chart('legacy', '0.3.0', {
      metadata: {
        apiVersion: 'v2',
        name: 'legacy',
        version: '0.3.0',
        description: 'An in-house chart nobody published',
        dependencies: [{ name: 'redis', version: '17.0.0', repository: 'https://charts.example' }],
      },
    });
    const helm2 = yaml.load(
      await readFile(new URL('deckhouse-helm2-release-configmap.yaml', CORPUS), 'utf8'),
    ) as KubeObject;
    kube = await startKubeCluster({
      objects: [
        ...[1, 2].map((revision) =>
          secretOf(
            release({
              name: 'web',
              namespace: 'apps',
              revision,
              status: revision === 2 ? 'deployed' : 'superseded',
              chart: webChart,
              config: { replicaCount: 3, database: { password: SECRET_VALUE } },
            }),
          ),
        ),
        secretOf(release({ name: 'legacy', namespace: 'ops', revision: 1, chart: legacy })),
        secretOf(release({ name: 'batch', namespace: 'ops', revision: 1, chart: legacy })),
        helm2,
      ],
    });

    server = await startTestServer();
    await createTenant(server, 'acme');
    const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      body: { name: 'upstream', endpoint: repo.url },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const synced = await syncAndWait(
      server,
      '/api/v1/tenants/acme/registries/helm/upstream',
      server.adminToken,
    );
    assert.equal(synced.status, 'succeeded', JSON.stringify(synced));

    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-discovery-cli-'));
    adminConfig = path.join(dir, 'admin.json');
    memberConfig = path.join(dir, 'member.json');
    for (const [config, username] of [
      [adminConfig, 'acme-admin'],
      [memberConfig, 'acme-member'],
    ] as const) {
      const login = await runCli(
        config,
        ['login', '--server', server.url, '--username', username, '--password-stdin'],
        { stdin: `${username}-password` },
      );
      assertCliOk(login, `login ${username}`);
    }
  });
  after(async () => {
    await server?.close();
    await kube?.close();
    await repo?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers a kubeconfig cluster keeping release values sealed; nothing discovered yet', async () => {
    const created = await run([
      'cluster',
      'create',
      'prod',
      ...T,
      '--mode',
      'kubeconfig',
      '--kubeconfig-file',
      kube.kubeconfigPath,
    ]);
    assertCliOk(created, 'cluster create --mode kubeconfig');
    const show = await run(['cluster', 'show', 'prod', ...T]);
    assertCliOk(show, 'cluster show');
    assert.match(
      show.stdout,
      /^Release values: +sealed \(discovery keeps them encrypted and never shows them\)$/m,
    );

    const none = await run(['cluster', 'releases', 'prod', ...T]);
    assertCliOk(none, 'cluster releases before any discovery');
    assert.equal(
      none.stdout,
      'No discovery of prod has finished yet: run "charthouse cluster discover prod --wait".\n',
    );
    assert.equal((await run(['cluster', 'discoveries', 'prod', ...T])).stdout, 'No discoveries yet.\n');
  });

  it('discovers one namespace and waits for the outcome', async () => {
    const r = await discoverAndWait(['--namespace', 'apps']);
    assert.match(r.stderr, /^Started a discovery of cluster prod\.$/m);
    assert.match(
      r.stdout,
      /^Discovered prod \(namespaces apps\) in \d+\.\d s: 1 release, 1 matched a catalog version; 2 release objects read\.\nSee them with "charthouse cluster releases prod"\.\n$/,
    );
    const { items, run: current } = await releasesJson();
    assert.deepEqual(
      items.map((i) => `${i.namespace}/${i.name}`),
      ['apps/web'],
    );
    assert.deepEqual(current?.namespaces, ['apps']);
  });

  it('starts a discovery without waiting, which the run history then shows finished', async () => {
    const started = await run(['cluster', 'discover', 'prod', ...T, '-o', 'json']);
    assertCliOk(started, 'cluster discover -o json');
    const runView = JSON.parse(started.stdout) as DiscoveryRunView;
    assert.equal(runView.status, 'running');
    assert.equal(runView.namespaces, null);
    const done = await waitFor(
      async () => {
        const list = await json<DiscoveryRunList>(['cluster', 'discoveries', 'prod'], 'cluster discoveries');
        const found = list.items.find((i) => i.id === runView.id);
        return found && found.status !== 'running' && found;
      },
      { what: 'the discovery finished', timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.releases, 4);
    assert.equal(done.helm2, 1);

    const table = await run(['cluster', 'discoveries', 'prod', ...T]);
    assertCliOk(table, 'cluster discoveries');
    assert.match(
      table.stdout,
      /^REQUESTED +TRIGGER +STATUS +NAMESPACES +RELEASES +HELM2 +MATCHED +WARNINGS +ERROR$/m,
    );
    const rows = table.stdout.trim().split('\n').slice(1);
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, / manual +succeeded +all +4 +1 +1 +0 +-$/);
    assert.match(rows[1]!, / manual +succeeded +apps +1 +0 +1 +0 +-$/);

    const again = await discoverAndWait();
    assert.match(
      again.stdout,
      /^Discovered prod in \d+\.\d s: 4 releases \(1 Helm 2, not synced\), 1 matched a catalog version; 5 release objects read\.$/m,
    );
  });

  it('lists every release with the registries its chart matched, as a table and as JSON', async () => {
    const table = await run(['cluster', 'releases', 'prod', ...T]);
    assertCliOk(table, 'cluster releases');
    const lines = table.stdout.split('\n');
    assert.match(lines[0]!, /^RELEASE +NAMESPACE +CHART +VERSION +STATUS +MATCHED +NOTES$/);
    assert.match(table.stdout, /^web +apps +web +1\.2\.0 +deployed +upstream\(content\) +-$/m);
    assert.match(table.stdout, /^legacy +ops +legacy +0\.3\.0 +deployed +- +1 subchart not in the release$/m);
    assert.match(table.stdout, /^batch +ops +legacy +0\.3\.0 +deployed +- +1 subchart not in the release$/m);
    assert.match(
      table.stdout,
      /^bar +default +\S+ +\S+ +DEPLOYED +- +Helm 2 \(not synced\); configmap driver$/m,
    );
    assert.match(
      table.stdout,
      /\n\nFrom the discovery of \d{4}-\d\d-\d\d \d\d:\d\d UTC \(4 releases found\)\.\n$/,
    );

    const ops = await run(['cluster', 'releases', 'prod', ...T, '--namespace', 'ops']);
    assertCliOk(ops, 'cluster releases --namespace');
    assert.deepEqual(releaseNames(ops.stdout), ['batch', 'legacy']);
    const search = await run(['cluster', 'releases', 'prod', ...T, '--search', 'bat']);
    assertCliOk(search, 'cluster releases --search');
    assert.deepEqual(releaseNames(search.stdout), ['batch']);

    const { items, run: current } = await releasesJson();
    assert.equal(current?.status, 'succeeded');
    assert.deepEqual(items.map((i) => `${i.namespace}/${i.name}`).sort(), [
      'apps/web',
      'default/bar',
      'ops/batch',
      'ops/legacy',
    ]);
    const web = byName(items, 'web');
    assert.equal(web.revision, 2);
    assert.equal(web.values, 'sealed');
    assert.deepEqual(
      web.matchedRegistries.map((m) => [m.registry, m.how]),
      [['upstream', 'content']],
    );
    assert.equal(byName(items, 'legacy').values, 'none');
    assert.equal(byName(items, 'bar').helm, 2);
    // --json is -o json.
    assert.deepEqual(JSON.parse((await run(['cluster', 'releases', 'prod', ...T, '--json'])).stdout), {
      items,
      run: current,
    });
    assert.ok(!table.stdout.includes(SECRET_VALUE) && !JSON.stringify(items).includes(SECRET_VALUE));
  });

  it("refuses a member's writes with the server's reason, and lets them read", async () => {
    const read = await asMember(['cluster', 'releases', 'prod', ...T]);
    assertCliOk(read, 'member cluster releases');
    assert.match(read.stdout, /^web +apps /m);
    const refused: Array<[CliRun, RegExp]> = [
      [
        await asMember(['cluster', 'sync-releases', 'prod', ...T]),
        /^error: Only tenant administrators can sync discovered charts\.\n$/,
      ],
      [
        await asMember(['cluster', 'discover', 'prod', ...T, '--wait']),
        /^error: Only tenant administrators can discover releases\.\n$/,
      ],
      [
        await asMember(['profile', 'from-cluster', 'prod', ...T, '--name', 'mine']),
        /^error: Only tenant administrators can create cluster profiles\.\n$/,
      ],
    ];
    for (const [r, message] of refused) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });

  it('syncs the unmatched charts into the hosted registry, then finds nothing left to do', async () => {
    const first = await run(['cluster', 'sync-releases', 'prod', ...T]);
    assertCliOk(first, 'cluster sync-releases');
    assert.match(first.stdout, /^CHART +VERSION +OUTCOME +REGISTRY +RELEASES +MESSAGE$/m);
    const hosted = /^legacy +0\.3\.0 +created +(\S+) +ops\/batch, ops\/legacy +/m.exec(first.stdout);
    assert.ok(hosted, first.stdout);
    assert.match(first.stdout, /^web +1\.2\.0 +matched +upstream +apps\/web +/m);
    assert.match(first.stdout, /^\S+ +\S+ +skipped +- +default\/bar +.*Helm 2/m);
    assert.match(first.stdout, /\n3 charts: 1 created, 1 matched, 1 skipped\.\n$/);
    assert.match(first.stderr, /^warning: legacy 0\.3\.0: .*redis/m);

    const releases = await run(['cluster', 'releases', 'prod', ...T, '--namespace', 'ops']);
    assert.match(
      releases.stdout,
      new RegExp(
        `^legacy +ops +legacy +0\\.3\\.0 +deployed +${hosted[1]}\\(content, reconstructed\\) +reconstructed; 1 subchart not in the release$`,
        'm',
      ),
    );

    const second = await json<SyncReleasesReply>(
      ['cluster', 'sync-releases', 'prod'],
      'second sync-releases',
    );
    assert.deepEqual(
      second.items.map((i) => [i.chart, i.outcome]).sort(),
      [
        ['legacy', 'unchanged'],
        ['web', 'matched'],
        [second.items.find((i) => i.outcome === 'skipped')?.chart ?? '?', 'skipped'],
      ].sort(),
    );
  });

  it('makes a draft profile from the cluster, saying which releases it skipped and why', async () => {
    const made = await run(['profile', 'from-cluster', 'prod', ...T, '--name', 'estate']);
    assertCliOk(made, 'profile from-cluster');
    assert.equal(
      made.stdout,
      [
        'Created cluster profile estate with draft version 1.0.0: 3 layers from the releases of cluster prod.',
        '',
        'Skipped 1 release:',
        'RELEASE  NAMESPACE  REASON',
        'bar      default    A Helm 2 (Tiller) release: migrate it to Helm 3 (helm 2to3) first.',
        '',
      ].join('\n'),
    );
    const shown = await run(['profile', 'show', 'estate', ...T, '--version', '1.0.0', '--json']);
    assertCliOk(shown, 'profile show --json');
    const version = JSON.parse(shown.stdout) as ProfileVersionView;
    assert.equal(version.status, 'draft');
    const web = version.layers.find((l) => l.name === 'web');
    assert.equal(web?.registry, 'upstream');
    assert.equal(web?.version, '1.2.0');
    // The sealed values of the release became the layer's values.
    assert.match(web?.values ?? '', new RegExp(SECRET_VALUE));
    assert.deepEqual(version.layers.map((l) => l.name).sort(), ['batch', 'legacy', 'web']);

    const ops = await json<ProfileFromClusterReply>(
      ['profile', 'from-cluster', 'prod', '--name', 'ops-only', '--namespace', 'ops', '--description', 'Ops'],
      'profile from-cluster --namespace -o json',
    );
    assert.deepEqual(ops.profile.layers.map((l) => l.name).sort(), ['batch', 'legacy']);
    assert.equal(ops.profile.description, 'Ops');
    assert.deepEqual(ops.skipped, []);
  });

  it('names an unknown cluster in a clear error, exit code 1', async () => {
    const tries: CliRun[] = [
      await run(['cluster', 'discover', 'nowhere', ...T, '--wait']),
      await run(['cluster', 'releases', 'nowhere', ...T]),
      await run(['cluster', 'sync-releases', 'nowhere', ...T]),
      await run(['cluster', 'discoveries', 'nowhere', ...T]),
      await run(['profile', 'from-cluster', 'nowhere', ...T, '--name', 'x']),
    ];
    for (const r of tries) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: .*"nowhere".*\n$/);
      assert.equal(r.stdout, '');
    }
    const usage = await run(['cluster', 'discover', 'prod', ...T, '--timeout', '5x']);
    assert.equal(usage.code, 2, usage.stderr);
    const noName = await run(['profile', 'from-cluster', 'prod', ...T]);
    assert.equal(noName.code, 2, noName.stderr);
  });

  it('reports a chart the hosted registry holds with other content as a conflict, exit code 3', async () => {
    const pushed = await uploadChart(server.url, 'acme', chartTgz('late', '1.0.0'), basic('acme-admin'));
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
    kube.seed(
      secretOf(release({ name: 'late', namespace: 'apps', revision: 1, chart: chart('late', '1.0.0') })),
    );
    await discoverAndWait();
    const sync = await run(['cluster', 'sync-releases', 'prod', ...T]);
    assert.equal(sync.code, 3, sync.stderr);
    assert.match(sync.stdout, /^late +1\.0\.0 +conflict +\S+ +apps\/late +.*not overwritten/m);
    assert.match(
      sync.stderr,
      /^error: 1 chart\(s\) in conflict with the hosted registry: nothing was overwritten\n$/m,
    );
  });

  it('stops keeping release values once told to omit them', async () => {
    const updated = await run(['cluster', 'update', 'prod', ...T, '--release-values', 'omitted']);
    assertCliOk(updated, 'cluster update --release-values');
    assert.equal(updated.stdout, 'Updated cluster prod (tenant acme; release values omitted).\n');
    assert.match(
      (await run(['cluster', 'show', 'prod', ...T])).stdout,
      /^Release values: +omitted \(discovery never stores them\)$/m,
    );
    await discoverAndWait(['--namespace', 'apps']);
    assert.equal(byName((await releasesJson()).items, 'web').values, 'omitted');

    const nothing = await run(['cluster', 'update', 'prod', ...T]);
    assert.equal(nothing.code, 2, nothing.stderr);
    assert.match(nothing.stderr, /nothing to change/);
    const bad = await run(['cluster', 'update', 'prod', ...T, '--release-values', 'plain']);
    assert.equal(bad.code, 2, bad.stderr);
  });
});

/** The first column of a table's rows. */
function releaseNames(table: string): string[] {
  return table
    .split('\n\n')[0]!
    .split('\n')
    .slice(1)
    .map((l) => l.split(/ +/)[0]!)
    .sort();
}
