import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { startChartRepo, type ChartRepo } from '../support/chart-repo.js';
import { createTgz } from '../support/chart-archive.js';
import { runCli } from '../support/cli.js';
import { basic, uploadChart } from '../support/hosted.js';
import { startKubeCluster, type KubeCluster, type KubeObject } from '../support/kube-cluster/index.js';
import { Helm, HELM_MAJORS, helmVersion, kubectlBinary, type HelmMajor } from '../support/kube-tools.js';
import { createTenant, startTestServer, syncAndWait, type TestServer } from '../support/server.js';
import { runTool } from '../support/skopeo.js';
import { waitFor } from '../support/wait.js';

/*
 * Brownfield discovery (issue 15) against releases the real helm 3.17.2 and 4.1.4 put into the
 * Kubernetes API test cluster, with both storage drivers, several namespaces and revisions, charts from
 * the corpus, from Charthouse's own hosted registry (classic repository and OCI) and from a synced
 * upstream, one chart with a subchart folder, and the corpus's release objects (a Helm 3 Secret, two
 * Tiller ConfigMaps) loaded as they are. Helm's own `helm list -A --all` is the oracle for what
 * discovery must find. One kube cluster for both majors (each in namespaces of its own), one server.
 */

const CORPUS = new URL('../../../shared/corpus/', import.meta.url).pathname;
const ARGO = join(CORPUS, 'packages', 'argo-helm-gh-pages');
const CLUSTERS = '/api/v1/tenants/acme/clusters';
const ADMIN_USER = 'acme-admin';
const ADMIN_PASSWORD = `${ADMIN_USER}-password`;
const RECONSTRUCTED = 'charthouse.io/reconstructed';

/** A ConfigMap named after the release holding `.Values.greeting`. */
const GREET_TEMPLATE =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greet\n' +
  'data:\n  greeting: {{ .Values.greeting | quote }}\n';

/** Helm 4 dropped `helm list --all`: every state by name instead. */
const HELM4_ALL_STATES = [
  '--deployed',
  '--failed',
  '--pending',
  '--superseded',
  '--uninstalled',
  '--uninstalling',
];

type Driver = 'secret' | 'configmap';

interface HelmListed {
  name: string;
  namespace: string;
  revision: string;
  status: string;
  chart: string;
  app_version: string;
}
interface RunView {
  id: string;
  status: string;
  objects: number;
  releases: number;
  helm2: number;
  matched: number;
  warnings: Array<{ code: string; message: string; object?: string }>;
  error: { code: string; message: string } | null;
}
interface ReleaseView {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chart: string;
  version: string;
  appVersion: string | null;
  driver: Driver;
  helm: number;
  dependencies: number;
  values: string;
  matchedRegistries: Array<{ registry: string; how: string; reconstructed: boolean; kind: string }>;
  reconstructed: boolean;
  sync: { outcome: string } | null;
}
interface SyncedChart {
  chart: string;
  version: string;
  outcome: string;
  registry: string | null;
  message: string | null;
  warnings: string[];
  releases: Array<{ name: string; namespace: string }>;
}

/** One row per release, the way `helm list -o json` and discovery can both be written. */
const row = (r: {
  namespace: string;
  name: string;
  revision: number | string;
  status: string;
  chart: string;
  appVersion: string;
  driver: Driver;
}) => `${r.namespace}/${r.name} r${r.revision} ${r.status} ${r.chart} app=${r.appVersion} ${r.driver}`;

describe('brownfield discovery of releases installed by the real helm 3 and 4', () => {
  let kube: KubeCluster;
  let server: TestServer;
  let repo: ChartRepo;
  let admin: string;
  const helms = new Map<HelmMajor, Helm>();
  /** `host:port` of the server, for `oci://` references. */
  let host: string;

  before(async () => {
    const corpusObjects = await Promise.all(
      [
        'deckhouse-helm3-release-secret.yaml',
        'deckhouse-helm2-release-configmap.yaml',
        'rancher-helm2-release-configmap.yaml',
      ].map(async (f) => yaml.load(await readFile(join(CORPUS, 'releases', f), 'utf8')) as KubeObject),
    );
    kube = await startKubeCluster();
    kube.seed(...corpusObjects);

    repo = await startChartRepo([
      {
        name: 'base',
        version: '1.0.0',
        appVersion: '2.4.1',
        values: 'greeting: default\n',
        template: GREET_TEMPLATE,
      },
    ]);
    server = await startTestServer();
    host = new URL(server.url).host;
    admin = (await createTenant(server, 'acme')).adminToken;
    const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: admin,
      body: { name: 'upstream', endpoint: repo.url },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const synced = await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/upstream', admin);
    assert.equal(synced.status, 'succeeded');
    const pushed = await uploadChart(
      server.url,
      'acme',
      createTgz([
        { path: 'greet/Chart.yaml', content: 'apiVersion: v2\nname: greet\nversion: 0.1.0\n' },
        { path: 'greet/values.yaml', content: 'greeting: hello\n' },
        { path: 'greet/templates/configmap.yaml', content: GREET_TEMPLATE },
      ]),
      basic(ADMIN_USER),
    );
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));

    for (const major of HELM_MAJORS) {
      const helm = await Helm.start(major);
      await mkdir(helm.home, { recursive: true });
      await writeFile(helm.env()['KUBECONFIG']!, kube.kubeconfig, { mode: 0o600 });
      helms.set(major, helm);
    }
  });

  after(async () => {
    for (const helm of helms.values()) await helm.close();
    await server?.close();
    await repo?.close();
    await kube?.close();
  });

  const hostedRepo = () => [
    '--repo',
    `${server.url}/helm/acme`,
    '--username',
    ADMIN_USER,
    '--password',
    ADMIN_PASSWORD,
  ];
  const asConfigMap = { env: { HELM_DRIVER: 'configmap' } };

  for (const major of HELM_MAJORS) {
    it(`helm ${helmVersion(major)} installs and upgrades releases in both drivers and several namespaces`, async () => {
      const helm = helms.get(major)!;
      const h = `h${major}`;
      // From Charthouse's hosted registry: Helm 3 as a classic repository, Helm 4 over OCI. Two upgrades.
      let greet: string[];
      if (major === 3) {
        greet = ['greet', ...hostedRepo(), '--version', '0.1.0'];
      } else {
        await helm.ok(['registry', 'login', host, '-u', ADMIN_USER, '--password-stdin', '--plain-http'], {
          stdin: ADMIN_PASSWORD,
        });
        greet = [`oci://${host}/acme/greet`, '--version', '0.1.0', '--plain-http'];
      }
      await helm.ok(['install', `greet-${h}`, ...greet, '-n', `hosted-${h}`, '--create-namespace']);
      for (const word of ['two', 'three'])
        await helm.ok(['upgrade', `greet-${h}`, ...greet, '-n', `hosted-${h}`, '--set', `greeting=${word}`]);

      // The synced upstream's archive, straight from the upstream: the catalog holds the same bytes.
      await helm.ok([
        'install',
        `base-${h}`,
        'base',
        '--repo',
        repo.url,
        '-n',
        `apps-${h}`,
        '--create-namespace',
      ]);
      // A corpus archive nobody synced, and the corpus's argo, whose charts/ folder holds minio.
      await helm.ok([
        'install',
        `notify-${h}`,
        join(ARGO, 'argocd-notifications-1.0.0.tgz'),
        '-n',
        `apps-${h}`,
      ]);
      await helm.ok([
        'install',
        `wf-${h}`,
        join(ARGO, 'argo-1.0.0.tgz'),
        '-n',
        `workflows-${h}`,
        '--create-namespace',
        // minio enabled, or Helm drops the dependency from the stored Chart.yaml. The test cluster
        // never marks a CRD Established nor runs a hook's Job: Helm would wait for those.
        '--set',
        'minio.install=true',
        '--skip-crds',
        '--no-hooks',
      ]);
      // An install the cluster refuses half-way (its ConfigMap, the only one written meanwhile): Helm
      // records the release as failed.
      const remove = kube.intercept((req) =>
        req.method !== 'GET' && req.path.startsWith(`/api/v1/namespaces/apps-${h}/configmaps`)
          ? {
              status: 500,
              body: {
                kind: 'Status',
                apiVersion: 'v1',
                status: 'Failure',
                message: 'etcd is down',
                code: 500,
              },
            }
          : undefined,
      );
      try {
        await helm.fails(['install', `broken-${h}`, 'base', '--repo', repo.url, '-n', `apps-${h}`]);
      } finally {
        remove();
      }

      // The ConfigMap driver: a corpus chart source folder, installed and upgraded (revision 2).
      const nats = join(CORPUS, 'charts', 'prometheus-nats-exporter');
      await helm.ok(['install', `nats-${h}`, nats, '-n', `metrics-${h}`, '--create-namespace'], asConfigMap);
      await helm.ok(
        ['upgrade', `nats-${h}`, nats, '-n', `metrics-${h}`, '--set', 'replicaCount=2'],
        asConfigMap,
      );
      await helm.ok(
        ['install', `greet-cm-${h}`, ...greet, '-n', `metrics-${h}`, '--set', 'greeting=stored'],
        asConfigMap,
      );

      const history = await helm.ok(['history', `greet-${h}`, '-n', `hosted-${h}`, '-o', 'json']);
      assert.deepEqual(
        (JSON.parse(history.stdout) as Array<{ revision: number; status: string }>).map(
          (x) => `${x.revision} ${x.status}`,
        ),
        ['1 superseded', '2 superseded', '3 deployed'],
      );
    });
  }

  /** `helm list -A --all` of one driver, as one major's helm sees it. */
  async function helmList(major: HelmMajor, driver: Driver): Promise<string[]> {
    const all = major === 3 ? ['--all'] : HELM4_ALL_STATES;
    const run = await helms
      .get(major)!
      .ok(['list', '-A', ...all, '-o', 'json'], { env: { HELM_DRIVER: driver } });
    return (JSON.parse(run.stdout) as HelmListed[]).map((r) =>
      row({ ...r, appVersion: r.app_version, driver }),
    );
  }

  let listed: string[];

  it('helm list -A --all (both drivers, both majors) and kubectl agree on what is installed', async () => {
    const byMajor = await Promise.all(
      HELM_MAJORS.map(async (m) =>
        [...(await helmList(m, 'secret')), ...(await helmList(m, 'configmap'))].sort(),
      ),
    );
    assert.deepEqual(byMajor[0], byMajor[1], 'helm 3 and helm 4 list the same releases');
    listed = byMajor[0]!;
    const expected: string[] = ['default/foobar r3 deployed boor-0.1.0 app=1.16.0 secret'];
    for (const m of HELM_MAJORS) {
      const h = `h${m}`;
      expected.push(
        `apps-${h}/base-${h} r1 deployed base-1.0.0 app=2.4.1 secret`,
        `apps-${h}/broken-${h} r1 failed base-1.0.0 app=2.4.1 secret`,
        `apps-${h}/notify-${h} r1 deployed argocd-notifications-1.0.0 app=0.7.0 secret`,
        `hosted-${h}/greet-${h} r3 deployed greet-0.1.0 app= secret`,
        `metrics-${h}/greet-cm-${h} r1 deployed greet-0.1.0 app= configmap`,
        `metrics-${h}/nats-${h} r2 deployed prometheus-nats-exporter-2.23.2 app=0.20.2 configmap`,
        `workflows-${h}/wf-${h} r1 deployed argo-1.0.0 app=v2.12.5 secret`,
      );
    }
    assert.deepEqual(listed, expected.sort());

    // kubectl sees every revision's record: 1 + 7 per major in Secrets, 3 per major in ConfigMaps.
    const kubectl = async (kind: string) => {
      const run = await runTool(
        await kubectlBinary(4),
        ['--kubeconfig', kube.kubeconfigPath, 'get', kind, '-A', '-l', 'owner=helm', '-o', 'name'],
        { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: kube.home } },
      );
      assert.equal(run.code, 0, run.stderr);
      return run.stdout.trim().split('\n').sort();
    };
    const secrets = await kubectl('secrets');
    assert.equal(secrets.length, 1 + 2 * 7, secrets.join('\n'));
    assert.ok(secrets.includes('secret/sh.helm.release.v1.greet-h4.v3'));
    const configMaps = await kubectl('configmaps');
    assert.equal(configMaps.length, 2 * 3, configMaps.join('\n'));
    assert.ok(configMaps.includes('configmap/sh.helm.release.v1.nats-h3.v2'));
  });

  const releases = async (cluster: string) => {
    const res = await server.api<{ items: ReleaseView[]; run: RunView | null }>(
      'GET',
      `${CLUSTERS}/${cluster}/releases?limit=500`,
      { token: admin },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const byName = (items: ReleaseView[], name: string) => {
    const found = items.find((r) => r.name === name);
    assert.ok(found, `release ${name} discovered`);
    return found;
  };
  const discoveredRows = (items: ReleaseView[]) =>
    items
      .filter((r) => r.helm === 3)
      .map((r) => row({ ...r, chart: `${r.chart}-${r.version}`, appVersion: r.appVersion ?? '' }))
      .sort();

  it('Discover now on a kubeconfig cluster finds exactly what helm lists, plus the Tiller releases', async () => {
    const created = await server.api('POST', CLUSTERS, {
      token: admin,
      body: { name: 'brownfield', mode: 'kubeconfig', kubeconfig: kube.kubeconfig },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const started = await server.api<{ run: RunView }>('POST', `${CLUSTERS}/brownfield/discover`, {
      token: admin,
      body: {},
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitFor(
      async () => {
        const runs = await server.api<{ items: RunView[] }>('GET', `${CLUSTERS}/brownfield/discoveries`, {
          token: admin,
        });
        const r = runs.body.items.find((x) => x.id === started.body.run.id);
        return r && r.status !== 'running' && r;
      },
      { what: 'the discovery run finished', intervalMs: 50 },
    );
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(run.warnings, []);
    // Every revision's record: 15 Secrets, 6 ConfigMaps, 2 Tiller ConfigMaps.
    assert.equal(run.objects, 15 + 6 + 2);
    assert.equal(run.releases, listed.length + 2);
    assert.equal(run.helm2, 2);

    const { items, run: current } = await releases('brownfield');
    assert.equal(current?.id, run.id);
    assert.deepEqual(discoveredRows(items), listed);
    // A Tiller release's namespace is the one it deployed to (from its payload), not kube-system
    // where Tiller keeps the rancher ConfigMap.
    assert.deepEqual(
      items
        .filter((r) => r.helm === 2)
        .map((r) => `${r.namespace}/${r.name}`)
        .sort(),
      ['default/bar', 'default/mariadb'],
    );
    assert.equal(byName(items, 'wf-h3').dependencies, 1);
    assert.equal(byName(items, 'greet-h4').values, 'sealed');
    assert.equal(byName(items, 'notify-h3').values, 'none');
  });

  it('matches the charts that came from Charthouse by content, and corpus charts to nothing', async () => {
    const { items, run } = await releases('brownfield');
    for (const m of HELM_MAJORS) {
      const h = `h${m}`;
      for (const name of [`greet-${h}`, `greet-cm-${h}`]) {
        assert.deepEqual(
          byName(items, name).matchedRegistries.map((x) => [x.registry, x.kind, x.how, x.reconstructed]),
          [['hosted', 'hosted', 'content', false]],
          name,
        );
      }
      for (const name of [`base-${h}`, `broken-${h}`]) {
        assert.deepEqual(
          byName(items, name).matchedRegistries.map((x) => [x.registry, x.how]),
          [['upstream', 'content']],
          name,
        );
      }
      for (const name of [`notify-${h}`, `wf-${h}`, `nats-${h}`])
        assert.deepEqual(byName(items, name).matchedRegistries, [], name);
    }
    assert.deepEqual(byName(items, 'foobar').matchedRegistries, []);
    assert.equal(run?.matched, 8);
  });

  const sync = async () => {
    const res = await server.api<{ items: SyncedChart[] }>('POST', `${CLUSTERS}/brownfield/releases/sync`, {
      token: admin,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.items;
  };

  it('Sync discovered charts rebuilds the unmatched ones into the hosted registry, warns about subcharts, skips Helm 2', async () => {
    const items = await sync();
    const outcomes = new Map(
      items.filter((i) => i.outcome !== 'skipped').map((i) => [`${i.chart}@${i.version}`, i]),
    );
    assert.deepEqual([...outcomes].map(([k, i]) => `${k} ${i.outcome}`).sort(), [
      'argo@1.0.0 created',
      'argocd-notifications@1.0.0 created',
      'base@1.0.0 matched',
      'boor@0.1.0 created',
      'greet@0.1.0 matched',
      'prometheus-nats-exporter@2.23.2 created',
    ]);
    for (const [, i] of outcomes) if (i.outcome === 'created') assert.equal(i.registry, 'hosted');
    assert.match(outcomes.get('argo@1.0.0')!.warnings.join(' '), /minio/);
    assert.deepEqual(outcomes.get('argocd-notifications@1.0.0')!.warnings, []);
    assert.deepEqual(
      outcomes
        .get('prometheus-nats-exporter@2.23.2')!
        .releases.map((r) => `${r.namespace}/${r.name}`)
        .sort(),
      ['metrics-h3/nats-h3', 'metrics-h4/nats-h4'],
    );
    const skipped = items.filter((i) => i.outcome === 'skipped');
    assert.deepEqual(skipped.flatMap((i) => i.releases.map((r) => `${r.namespace}/${r.name}`)).sort(), [
      'default/bar',
      'default/mariadb',
    ]);
    for (const i of skipped) assert.match(i.message ?? '', /Helm 2/);

    const { items: after } = await releases('brownfield');
    const notify = byName(after, 'notify-h4');
    assert.equal(notify.reconstructed, true);
    assert.deepEqual(
      notify.matchedRegistries.map((m) => [m.registry, m.how, m.reconstructed]),
      [['hosted', 'content', true]],
    );
  });

  it('the real helm pulls a reconstructed chart from the hosted registry and sees its annotation', async () => {
    const helm3 = helms.get(3)!;
    const out3 = join(helm3.home, 'pulled');
    await mkdir(out3);
    await helm3.ok(['pull', 'argocd-notifications', ...hostedRepo(), '--version', '1.0.0', '-d', out3]);
    assert.deepEqual(await readdir(out3), ['argocd-notifications-1.0.0.tgz']);
    const shown = await helm3.ok(['show', 'chart', join(out3, 'argocd-notifications-1.0.0.tgz')]);
    const chart = yaml.load(shown.stdout) as {
      name: string;
      version: string;
      annotations?: Record<string, string>;
    };
    assert.equal(chart.name, 'argocd-notifications');
    assert.equal(chart.version, '1.0.0');
    assert.equal(chart.annotations?.[RECONSTRUCTED], 'true');
    // A rebuilt chart renders as the release did.
    const rendered = await helm3.ok(['template', 'again', join(out3, 'argocd-notifications-1.0.0.tgz')]);
    assert.match(rendered.stdout, /kind: Deployment/);

    const helm4 = helms.get(4)!;
    const oci = await helm4.ok([
      'show',
      'chart',
      `oci://${host}/acme/prometheus-nats-exporter`,
      '--version',
      '2.23.2',
      '--plain-http',
    ]);
    assert.equal(
      (yaml.load(oci.stdout) as { annotations?: Record<string, string> }).annotations?.[RECONSTRUCTED],
      'true',
    );
  });

  it('a second sync creates nothing', async () => {
    const items = await sync();
    assert.deepEqual(
      items
        .filter((i) => i.outcome !== 'skipped')
        .map((i) => `${i.chart}@${i.version} ${i.outcome}`)
        .sort(),
      [
        'argo@1.0.0 unchanged',
        'argocd-notifications@1.0.0 unchanged',
        'base@1.0.0 matched',
        'boor@0.1.0 unchanged',
        'greet@0.1.0 matched',
        'prometheus-nats-exporter@2.23.2 unchanged',
      ],
    );
  });

  it('a profile from the cluster has one layer per Helm 3 release, with its values', async () => {
    const made = await server.api<{
      profile: {
        status: string;
        layers: Array<{
          name: string;
          registry: string;
          chart: string;
          version: string;
          releaseName: string;
          namespace: string;
          values: string | null;
        }>;
      };
      skipped: Array<{ release: string; namespace: string; reason: string }>;
    }>('POST', '/api/v1/tenants/acme/profiles/from-cluster', {
      token: admin,
      body: { cluster: 'brownfield', name: 'adopted' },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { profile, skipped } = made.body;
    assert.equal(profile.status, 'draft');
    assert.deepEqual(
      profile.layers
        .map((l) => `${l.namespace}/${l.releaseName} ${l.chart}-${l.version} ${l.registry}`)
        .sort(),
      listed
        .map((l) => {
          const [release, , , chart] = l.split(' ');
          const registry = chart!.startsWith('base-') ? 'upstream' : 'hosted';
          return `${release} ${chart} ${registry}`;
        })
        .sort(),
    );
    const greet = profile.layers.find((l) => l.releaseName === 'greet-h3');
    assert.match(greet?.values ?? '', /greeting: three/);
    assert.deepEqual(skipped.map((s) => `${s.namespace}/${s.release}`).sort(), [
      'default/bar',
      'default/mariadb',
    ]);
  });
  it('an agent cluster: `charthouse agent --once --kubeconfig` answers Discover now with the same releases', async () => {
    const created = await server.api<{ agentToken: string }>('POST', CLUSTERS, {
      token: admin,
      body: { name: 'edge', mode: 'agent' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const tokenFile = join(kube.home, 'edge.token');
    await writeFile(tokenFile, `${created.body.agentToken}\n`, { mode: 0o600 });
    const asked = await server.api<{ run: RunView }>('POST', `${CLUSTERS}/edge/discover`, {
      token: admin,
      body: {},
    });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    assert.equal(asked.body.run.status, 'requested');

    const agent = await runCli(join(kube.home, 'cli-config.json'), [
      'agent',
      '--server',
      server.url,
      '--token-file',
      tokenFile,
      '--work-dir',
      join(kube.home, 'edge-work'),
      '--once',
      '--kubeconfig',
      kube.kubeconfigPath,
    ]);
    assert.equal(agent.code, 0, agent.stderr);
    assert.match(agent.stderr, new RegExp(`asks for a discovery .*${asked.body.run.id}`));
    assert.ok(!`${agent.stdout}${agent.stderr}`.includes(created.body.agentToken));

    const { items, run } = await releases('edge');
    assert.equal(run?.id, asked.body.run.id);
    assert.equal(run?.status, 'succeeded', JSON.stringify(run));
    assert.equal(run?.objects, 15 + 6 + 2);
    assert.deepEqual(discoveredRows(items), listed);
    assert.deepEqual(
      items
        .filter((r) => r.helm === 2)
        .map((r) => `${r.namespace}/${r.name}`)
        .sort(),
      ['default/bar', 'default/mariadb'],
    );
    // The hosted registry holds the rebuilt charts by now: every Helm 3 release matches something.
    assert.ok(items.filter((r) => r.helm === 3).every((r) => r.matchedRegistries.length > 0));
  });
});
