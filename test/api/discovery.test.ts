import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import type {
  DiscoveredReleaseView,
  DiscoveryRunView,
  SyncedChartView,
} from '../../src/client/api-client.js';
import { repoChartArchive, startChartRepo, type ChartRepo } from '../support/chart-repo.js';
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

type RunView = DiscoveryRunView;
type ReleaseView = DiscoveredReleaseView;
type SyncedChart = SyncedChartView;

const SECRET_VALUE = 's3cr3t-Value-91x';
const CORPUS = new URL('../../../shared/corpus/releases/', import.meta.url);

const chart = releaseChart;
const release = helmReleaseJson;

/** Helm's ConfigMap driver: the same labels, `data.release` base64(gzip(JSON)) once. */
function configMapRelease(r: ReturnType<typeof helmReleaseJson>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `sh.helm.release.v1.${r.name}.v${r.version}`,
      namespace: r.namespace,
      labels: { name: r.name, owner: 'helm', status: r.info.status, version: String(r.version) },
    },
    data: { release: gzipSync(Buffer.from(JSON.stringify(r))).toString('base64') },
  };
}

/** A Secret labelled like a release whose payload is whatever the test wants. */
function rawReleaseSecret(name: string, namespace: string, inner: Buffer | string): KubeObject {
  const stored = typeof inner === 'string' ? inner : inner.toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: {
      name: `sh.helm.release.v1.${name}.v1`,
      namespace,
      labels: { name, owner: 'helm', status: 'deployed', version: '1' },
    },
    data: { release: Buffer.from(stored).toString('base64') },
  };
}

describe(`brownfield discovery API (${TEST_DB})`, () => {
  let server: TestServer;
  let repo: ChartRepo;
  let kube: KubeCluster;
  let acme: { adminToken: string; memberToken: string };
  let other: { adminToken: string; memberToken: string };
  const base = '/api/v1/tenants/acme/clusters';
  let apiPayload = '';

  const runOf = async (cluster: string, runId: string, token = acme.adminToken): Promise<RunView> =>
    waitFor(
      async () => {
        const runs = await server.api<{ items: RunView[] }>('GET', `${base}/${cluster}/discoveries`, {
          token,
        });
        const run = runs.body.items.find((r) => r.id === runId);
        return run && run.status !== 'running' && run.status !== 'requested' && run;
      },
      { what: `discovery ${runId} finished`, timeoutMs: 60_000, intervalMs: 50 },
    );
  const releases = async (cluster: string, token = acme.adminToken) => {
    const res = await server.api<{ items: ReleaseView[]; run: RunView | null }>(
      'GET',
      `${base}/${cluster}/releases?limit=500`,
      { token },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const byName = (items: ReleaseView[], ns: string, name: string) => {
    const found = items.find((r) => r.namespace === ns && r.name === name);
    assert.ok(found, `release ${ns}/${name} listed`);
    return found;
  };
  const sync = async (cluster = 'prod') => {
    const res = await server.api<{ items: SyncedChart[] }>('POST', `${base}/${cluster}/releases/sync`, {
      token: acme.adminToken,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return new Map(res.body.items.map((i) => [`${i.chart}@${i.version}`, i]));
  };

  before(async () => {
    repo = await startChartRepo([
      { name: 'web', version: '1.2.0' },
      { name: 'db', version: '3.1.0' },
    ]);
    const webChart = await releaseChartFromArchive(repoChartArchive({ name: 'web', version: '1.2.0' }));
    const apiRevisions = [1, 2, 3, 4, 5].map((revision) =>
      release({
        name: 'api',
        namespace: 'apps',
        revision,
        status: revision === 5 ? 'deployed' : 'superseded',
        chart: chart('api', '0.3.0'),
        config: { password: SECRET_VALUE, replicas: revision },
      }),
    );
    const helm2 = yaml.load(
      await readFile(new URL('deckhouse-helm2-release-configmap.yaml', CORPUS), 'utf8'),
    ) as KubeObject;
    const objects: KubeObject[] = [
      ...apiRevisions.map((r) => helmReleaseSecret({ release: r })),
      helmReleaseSecret({
        release: release({ name: 'web', namespace: 'apps', revision: 2, chart: webChart }),
      }),
      helmReleaseSecret({
        release: release({
          name: 'db',
          namespace: 'data',
          revision: 1,
          chart: chart('db', '3.1.0'),
        }),
      }),
      configMapRelease(
        release({ name: 'cache', namespace: 'data', revision: 3, chart: chart('cache', '1.0.0') }),
      ),
      helmReleaseSecret({
        release: release({
          name: 'umbrella',
          namespace: 'data',
          revision: 1,
          chart: chart('umbrella', '2.0.0', {
            metadata: {
              apiVersion: 'v2',
              name: 'umbrella',
              version: '2.0.0',
              dependencies: [{ name: 'redis', version: '17.0.0', repository: 'https://charts.example' }],
            },
          }),
        }),
      }),
      helmReleaseSecret({
        release: release({
          name: 'clash',
          namespace: 'data',
          revision: 1,
          chart: chart('conflicting', '1.0.0'),
        }),
      }),
      helm2,
      // A gzip bomb: 64 MiB of zeros in a few KiB.
      rawReleaseSecret('bomb', 'apps', gzipSync(Buffer.alloc(64 * 1024 * 1024))),
      rawReleaseSecret('garbage', 'apps', '%%% not base64 %%%'),
      rawReleaseSecret(
        'escape',
        'apps',
        gzipSync(
          Buffer.from(
            JSON.stringify(
              release({ name: '../etc', namespace: 'apps', revision: 1, chart: chart('x', '1.0.0') }),
            ),
          ),
        ),
      ),
      // Labelled owner=helm but no release: a chart's own ConfigMap is reported, an Opaque Secret never listed.
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'app-settings', namespace: 'apps', labels: { owner: 'helm' } },
        data: { mode: 'fast' },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name: 'app-password', namespace: 'apps', labels: { owner: 'helm' } },
        data: { password: Buffer.from('x').toString('base64') },
      },
    ];
    kube = await startKubeCluster({ objects });
    apiPayload = Buffer.from(
      (kube.get('secrets', 'apps', 'sh.helm.release.v1.api.v5')!['data'] as Record<string, string>)[
        'release'
      ]!,
      'base64',
    ).toString('latin1');
    server = await startTestServer();
    [acme, other] = await Promise.all([createTenant(server, 'acme'), createTenant(server, 'other')]);
    const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: { name: 'upstream', endpoint: repo.url },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(
      (await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/upstream', acme.adminToken)).status,
      'succeeded',
    );
    // The hosted registry already holds `conflicting` 1.0.0 with other content than the release's.
    const pushed = await uploadChart(
      server.url,
      'acme',
      chartTgz('conflicting', '1.0.0'),
      basic('acme-admin'),
    );
    assert.equal(pushed.status, 201);
    for (const [tenant, token] of [
      ['acme', acme.adminToken],
      ['other', other.adminToken],
    ] as const) {
      const created = await server.api('POST', `/api/v1/tenants/${tenant}/clusters`, {
        token,
        body: { name: 'prod', mode: 'kubeconfig', kubeconfig: kube.kubeconfig },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
  });

  after(async () => {
    await server?.close();
    await kube?.close();
    await repo?.close();
  });

  it('discovers every release through the kubeconfig: newest revision, both drivers, Helm 2, bad objects as warnings', async () => {
    assert.deepEqual((await releases('prod')).items, []);
    const started = await server.api<{ run: RunView }>('POST', `${base}/prod/discover`, {
      token: acme.adminToken,
      body: {},
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.run.status, 'running');
    const run = await runOf('prod', started.body.run.id);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.trigger, 'manual');
    const { items, run: current } = await releases('prod');
    assert.equal(current?.id, run.id);
    assert.deepEqual(
      items.map((r) => `${r.namespace}/${r.name}`),
      ['apps/api', 'apps/web', 'data/cache', 'data/clash', 'data/db', 'data/umbrella', 'default/bar'],
    );
    assert.equal(run.releases, 7);
    assert.equal(run.helm2, 1);
    const api = byName(items, 'apps', 'api');
    assert.equal(api.revision, 5);
    assert.equal(api.status, 'deployed');
    assert.equal(api.chart, 'api');
    assert.equal(api.version, '0.3.0');
    assert.equal(api.values, 'sealed');
    assert.equal(byName(items, 'apps', 'web').values, 'none');
    assert.equal(byName(items, 'data', 'cache').driver, 'configmap');
    assert.equal(byName(items, 'data', 'umbrella').dependencies, 1);
    const tiller = byName(items, 'default', 'bar');
    assert.equal(tiller.helm, 2);
    // Bad objects are reported, each naming its object, and the rest went on.
    const codes = new Map(run.warnings.map((w) => [w.object, w.code]));
    assert.equal(codes.get('sh.helm.release.v1.bomb.v1'), 'release_too_large');
    assert.equal(codes.get('sh.helm.release.v1.garbage.v1'), 'invalid_release');
    assert.equal(codes.get('sh.helm.release.v1.escape.v1'), 'invalid_release');
    assert.equal(codes.get('app-settings'), 'not_helm_release');
    assert.ok(!codes.has('app-password'));
    // The values users gave are sealed: in no answer, in no log.
    assert.ok(!JSON.stringify(items).includes(SECRET_VALUE));
    assert.ok(!server.logLines.some((l) => l.includes(SECRET_VALUE)));
  });

  it('matches releases to catalog versions by content, or by name and version only', async () => {
    const { items, run } = await releases('prod');
    const web = byName(items, 'apps', 'web').matchedRegistries;
    assert.deepEqual(
      web.map((m) => [m.registry, m.how]),
      [['upstream', 'content']],
    );
    const db = byName(items, 'data', 'db').matchedRegistries;
    assert.deepEqual(
      db.map((m) => [m.registry, m.how]),
      [['upstream', 'name-version']],
    );
    assert.deepEqual(byName(items, 'apps', 'api').matchedRegistries, []);
    assert.equal(byName(items, 'data', 'clash').matchedRegistries[0]?.how, 'name-version');
    assert.equal(run?.matched, 3);
    // Another tenant sees neither the catalog nor the releases of acme.
    const theirs = await server.api('GET', '/api/v1/tenants/other/clusters/prod/releases', {
      token: other.adminToken,
    });
    assert.equal(theirs.status, 200);
    assert.deepEqual((theirs.body as { items: unknown[] }).items, []);
    const probe = await server.api('GET', `${base}/prod/releases`, { token: other.adminToken });
    assert.equal(probe.status, 404);
  });

  it('syncs discovered charts into the hosted registry, marked reconstructed, and a second sync changes nothing', async () => {
    const member = await server.api('POST', `${base}/prod/releases/sync`, { token: acme.memberToken });
    assert.equal(member.status, 403);
    const first = await sync();
    assert.equal(first.get('api@0.3.0')?.outcome, 'created', JSON.stringify([...first.values()]));
    assert.equal(first.get('db@3.1.0')?.outcome, 'created');
    assert.equal(first.get('cache@1.0.0')?.outcome, 'created');
    assert.equal(first.get('web@1.2.0')?.outcome, 'matched');
    const umbrella = first.get('umbrella@2.0.0');
    assert.equal(umbrella?.outcome, 'created');
    assert.match(umbrella?.warnings.join(' ') ?? '', /redis/);
    const clash = first.get('conflicting@1.0.0');
    assert.equal(clash?.outcome, 'conflict');
    assert.match(clash?.message ?? '', /not overwritten/);
    const tiller = [...first.values()].find((c) => c.outcome === 'skipped');
    assert.deepEqual(tiller?.releases, [{ name: 'bar', namespace: 'default' }]);
    assert.match(tiller?.message ?? '', /Helm 2/);

    // The hosted registry serves the rebuilt chart with its annotation; the pushed one is untouched.
    const index = await fetch(`${server.url}/helm/acme/index.yaml`, {
      headers: { authorization: basic('acme-admin') },
    });
    const text = await index.text();
    const doc = yaml.load(text) as {
      entries: Record<
        string,
        Array<{ version: string; annotations?: Record<string, string>; digest: string }>
      >;
    };
    assert.equal(doc.entries['api']?.[0]?.annotations?.['charthouse.io/reconstructed'], 'true');
    assert.equal(doc.entries['conflicting']?.[0]?.annotations?.['charthouse.io/reconstructed'], undefined);
    const { items } = await releases('prod');
    const api = byName(items, 'apps', 'api');
    assert.equal(api.reconstructed, true);
    assert.deepEqual(
      api.matchedRegistries.map((m) => [m.kind, m.how, m.reconstructed]),
      [['hosted', 'content', true]],
    );
    assert.equal(api.sync?.outcome, 'created');

    const etag = index.headers.get('etag');
    const second = await sync();
    assert.ok(
      ![...second.values()].some((c) => c.outcome === 'created'),
      JSON.stringify([...second.values()]),
    );
    assert.equal(second.get('api@0.3.0')?.outcome, 'unchanged');
    assert.equal(second.get('conflicting@1.0.0')?.outcome, 'conflict');
    const again = await fetch(`${server.url}/helm/acme/index.yaml`, {
      headers: { authorization: basic('acme-admin') },
    });
    assert.equal(await again.text(), text);
    assert.equal(again.headers.get('etag'), etag);
  });

  it('makes a draft profile from the cluster, with each release and its values', async () => {
    const made = await server.api<{
      profile: {
        version: string;
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
      skipped: Array<{ release: string; reason: string }>;
    }>('POST', '/api/v1/tenants/acme/profiles/from-cluster', {
      token: acme.adminToken,
      body: { cluster: 'prod', name: 'brownfield' },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { profile, skipped } = made.body;
    assert.equal(profile.status, 'draft');
    const layer = (name: string) => profile.layers.find((l) => l.name === name);
    assert.deepEqual(profile.layers.map((l) => l.name).sort(), [
      'api',
      'cache',
      'clash',
      'db',
      'umbrella',
      'web',
    ]);
    assert.equal(layer('web')?.registry, 'upstream');
    assert.equal(layer('api')?.registry, layer('cache')?.registry);
    assert.equal(layer('api')?.version, '0.3.0');
    assert.equal(layer('api')?.namespace, 'apps');
    assert.equal(layer('api')?.releaseName, 'api');
    assert.match(layer('api')?.values ?? '', new RegExp(SECRET_VALUE));
    assert.deepEqual(
      skipped.map((s) => s.release),
      ['bar'],
    );
    assert.match(skipped[0]!.reason, /Helm 2/);
    const member = await server.api('POST', '/api/v1/tenants/acme/profiles/from-cluster', {
      token: acme.memberToken,
      body: { cluster: 'prod', name: 'brownfield-2' },
    });
    assert.equal(member.status, 403);
    const unknown = await server.api('POST', '/api/v1/tenants/other/profiles/from-cluster', {
      token: other.adminToken,
      body: { cluster: 'nope', name: 'x' },
    });
    assert.equal(unknown.status, 404);
  });

  it('keeps the last discovery when the cluster API fails, and says why', async () => {
    const remove = kube.intercept((req) =>
      req.path.endsWith('/secrets')
        ? { status: 500, body: { kind: 'Status', message: 'etcd is down' } }
        : undefined,
    );
    try {
      const started = await server.api<{ run: RunView }>('POST', `${base}/prod/discover`, {
        token: acme.adminToken,
      });
      assert.equal(started.status, 202);
      const run = await runOf('prod', started.body.run.id);
      assert.equal(run.status, 'failed');
      assert.match(run.error?.message ?? '', /500|etcd/);
    } finally {
      remove();
    }
    const { items, run } = await releases('prod');
    assert.equal(items.length, 7);
    assert.equal(run?.status, 'succeeded');
  });

  it('discovers kubeconfig clusters on a schedule, a new one at once', async () => {
    // Its own server: the shared one keeps schedules off, as every test server does.
    const scheduled = await startTestServer({
      CHARTHOUSE_SYNC_SCHEDULER: 'true',
      CHARTHOUSE_JOBS_TICK_SECONDS: '1',
      CHARTHOUSE_DISCOVERY_INTERVAL_HOURS: '24',
    });
    try {
      const t = await createTenant(scheduled, 'beta');
      const made = await scheduled.api('POST', '/api/v1/tenants/beta/clusters', {
        token: t.adminToken,
        body: { name: 'legacy', mode: 'kubeconfig', kubeconfig: kube.kubeconfig },
      });
      assert.equal(made.status, 201);
      const list = async () =>
        (
          await scheduled.api<{ items: RunView[] }>(
            'GET',
            '/api/v1/tenants/beta/clusters/legacy/discoveries',
            {
              token: t.adminToken,
            },
          )
        ).body.items;
      const run = await waitFor(
        async () => {
          const first = (await list())[0];
          return first && first.status !== 'running' && first;
        },
        { what: 'the scheduled discovery', timeoutMs: 60_000, intervalMs: 100 },
      );
      assert.equal(run.trigger, 'schedule');
      assert.equal(run.status, 'succeeded');
      assert.equal(run.releases, 7);
      // Once discovered, it is not due again within the interval.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.equal((await list()).length, 1);
    } finally {
      await scheduled.close();
    }
  });

  it("asks an agent cluster's agent through its heartbeat, and takes its posts", async () => {
    const created = await server.api<{ agentToken: string }>('POST', base, {
      token: acme.adminToken,
      body: { name: 'edge', mode: 'agent', releaseValues: 'omitted' },
    });
    assert.equal(created.status, 201);
    const token = created.body.agentToken;
    const agent = (path: string, body: unknown, t = token) =>
      server.api<Record<string, unknown>>('POST', path, { token: t, body });

    const asked = await server.api<{ run: RunView }>('POST', `${base}/edge/discover`, {
      token: acme.adminToken,
      body: { namespaces: ['apps'] },
    });
    assert.equal(asked.status, 202);
    assert.equal(asked.body.run.status, 'requested');
    const beat = await agent('/api/v1/agent/heartbeat', {});
    assert.deepEqual(beat.body, { discovery: { run: asked.body.run.id, namespaces: ['apps'] } });

    const another = await server.api<{ agentToken: string }>('POST', '/api/v1/tenants/other/clusters', {
      token: other.adminToken,
      body: { name: 'edge', mode: 'agent' },
    });
    const foreign = await agent(
      '/api/v1/agent/releases',
      { run: asked.body.run.id, releases: [], done: true },
      another.body.agentToken,
    );
    assert.equal(foreign.status, 404);

    const first = await agent('/api/v1/agent/releases', {
      run: asked.body.run.id,
      releases: [
        {
          driver: 'secret',
          helm: 3,
          payload: apiPayload,
          namespace: 'apps',
          object: 'sh.helm.release.v1.api.v5',
        },
      ],
      objects: 5,
      done: false,
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { run: asked.body.run.id, accepted: 1, rejected: 0 });
    const last = await agent('/api/v1/agent/releases', {
      run: asked.body.run.id,
      releases: [
        {
          driver: 'secret',
          helm: 3,
          payload: 'H4sI-not-gzip',
          namespace: 'apps',
          object: 'sh.helm.release.v1.bad.v1',
        },
        // The longest fields Helm may hold and the decoder takes must fit the columns, on both databases.
        {
          driver: 'configmap',
          helm: 3,
          payload: gzipSync(
            Buffer.from(
              JSON.stringify(
                release({
                  name: 'odd',
                  namespace: 'apps',
                  revision: 1,
                  status: `pending-${'x'.repeat(55)}`,
                  chart: chart('odd', '1.0.0', {
                    metadata: {
                      apiVersion: 'v2',
                      name: 'odd',
                      version: '1.0.0',
                      appVersion: 'v'.repeat(1000),
                    },
                  }),
                }),
              ),
            ),
          ).toString('base64'),
          namespace: 'apps',
          object: 'sh.helm.release.v1.odd.v1',
        },
      ],
      objects: 6,
      warnings: [
        { code: 'forbidden', message: 'may not list secrets in kube-system', namespace: 'kube-system' },
      ],
      done: true,
    });
    assert.deepEqual(last.body, { run: asked.body.run.id, accepted: 1, rejected: 1 });
    const run = await runOf('edge', asked.body.run.id);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.objects, 6);
    assert.deepEqual(run.warnings.map((w) => w.code).sort(), ['forbidden', 'invalid_release']);
    const { items } = await releases('edge');
    assert.deepEqual(
      items.map((r) => [r.name, r.revision, r.values]),
      [
        ['api', 5, 'omitted'],
        ['odd', 1, 'none'],
      ],
    );
    assert.equal(items[1]?.appVersion?.length, 1000);
    assert.equal(items[1]?.status.length, 63);
    // Matched against the hosted registry, where the earlier sync put the rebuilt chart.
    assert.equal(items[0]?.matchedRegistries[0]?.how, 'content');
    const closed = await agent('/api/v1/agent/releases', {
      run: asked.body.run.id,
      releases: [],
      done: true,
    });
    assert.equal(closed.status, 422);
    assert.equal((closed.body as { error: { code: string } }).error.code, 'discovery_run_closed');
    assert.deepEqual((await agent('/api/v1/agent/heartbeat', {})).body, { discovery: null });
  });
});
