import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  decodeHelmRelease,
  helmReleaseSecret,
  startKubeCluster,
  type KubeCluster,
} from '../support/kube-cluster/index.js';
import { decodeProtobufObject } from '../support/kube-cluster/protobuf.js';
import { Helm, HELM_MAJORS, helmVersion, kubectlBinary, type HelmMajor } from '../support/kube-tools.js';
import { runTool } from '../support/skopeo.js';

/*
 * The real helm 3.17.2 / 4.1.4 and kubectl 1.32 / 1.33 against the test cluster: the install,
 * upgrade, list and uninstall the agent and brownfield discovery will rely on, the release Secrets
 * as Helm writes them (protobuf bodies included), and kubectl's view of them, with RBAC.
 */

let cluster: KubeCluster;
const helms = new Map<HelmMajor, Helm>();

/** `helm create`'s chart plus a ConfigMap whose keys come from values, so an upgrade can drop one. */
async function createChart(helm: Helm): Promise<string> {
  await helm.ok(['create', 'demo'], { cwd: helm.home });
  const chart = join(helm.home, 'demo');
  await rm(join(chart, 'templates', 'tests'), { recursive: true });
  await writeFile(
    join(chart, 'templates', 'configmap.yaml'),
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ include "demo.fullname" . }}',
      '  labels:',
      '    {{- include "demo.labels" . | nindent 4 }}',
      'data:',
      '  {{- range $key, $value := .Values.settings }}',
      '  {{ $key }}: {{ $value | quote }}',
      '  {{- end }}',
      '',
    ].join('\n'),
  );
  await writeFile(join(chart, 'values-settings.yaml'), 'settings:\n  greeting: hello\n  farewell: bye\n');
  return chart;
}

async function kubectl(major: HelmMajor, kubeconfigPath: string, args: string[]) {
  // kubectl caches discovery under $HOME/.kube; without a HOME that is ./.kube of the working tree.
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: cluster.home };
  return runTool(await kubectlBinary(major), ['--kubeconfig', kubeconfigPath, ...args], {
    env,
    timeoutMs: 30_000,
  });
}

before(async () => {
  cluster = await startKubeCluster({ users: [{ name: 'outsider', deniedNamespaces: ['kube-system'] }] });
  for (const major of HELM_MAJORS) {
    const helm = await Helm.start(major);
    await mkdir(helm.home, { recursive: true });
    await writeFile(helm.env()['KUBECONFIG']!, cluster.kubeconfig, { mode: 0o600 });
    helms.set(major, helm);
  }
});

after(async () => {
  for (const helm of helms.values()) await helm.close();
  await cluster?.close();
});

for (const major of HELM_MAJORS) {
  describe(`helm ${helmVersion(major)} against the test cluster`, () => {
    const namespace = `apps-h${major}`;
    const release = `demo${major}`;
    let chart: string;
    let helm: Helm;

    before(async () => {
      helm = helms.get(major)!;
      chart = await createChart(helm);
    });

    it('installs into a new namespace with --create-namespace', async () => {
      const from = cluster.requests.length;
      await helm.ok([
        'install',
        release,
        chart,
        '-n',
        namespace,
        '--create-namespace',
        '-f',
        join(chart, 'values-settings.yaml'),
      ]);
      assert.equal(
        cluster.get('namespaces', undefined, namespace)?.['status']?.toString(),
        { phase: 'Active' }.toString(),
      );
      const deployment = cluster.get('deployments.apps', namespace, release)!;
      assert.equal((deployment['spec'] as { replicas: number }).replicas, 1);
      assert.deepEqual(cluster.get('configmaps', namespace, release)?.['data'], {
        greeting: 'hello',
        farewell: 'bye',
      });
      assert.ok(cluster.get('services', namespace, release));
      assert.ok(cluster.get('serviceaccounts', namespace, release));

      const secret = cluster.get('secrets', namespace, `sh.helm.release.v1.${release}.v1`)!;
      assert.equal(secret['type'], 'helm.sh/release.v1');
      assert.deepEqual(
        { ...secret.metadata.labels, modifiedAt: 'x' },
        { name: release, owner: 'helm', status: 'deployed', version: '1', modifiedAt: 'x' },
      );
      const stored = decodeHelmRelease(secret) as {
        info: { status: string };
        config: unknown;
        namespace: string;
      };
      assert.equal(stored.info.status, 'deployed');
      assert.equal(stored.namespace, namespace);

      // Helm writes its release Secret as protobuf (client-go's typed client); these are its real bytes.
      const sent = cluster.requests
        .slice(from)
        .filter((r) => r.method === 'POST' && r.path === `/api/v1/namespaces/${namespace}/secrets`);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.contentType, 'application/vnd.kubernetes.protobuf');
      const decoded = decodeProtobufObject(sent[0]!.body) as {
        kind: string;
        metadata: { labels: Record<string, string> };
        data: Record<string, string>;
      };
      assert.equal(decoded.kind, 'Secret');
      assert.equal(decoded.metadata.labels['status'], 'pending-install');
      assert.ok(decoded.data['release']);

      const objectWrites = cluster.requests
        .slice(from)
        .filter((r) => r.path.endsWith(`/deployments/${release}`) || r.path.endsWith('/deployments'));
      if (major === 4) {
        // Helm 4: server-side apply, and with our OpenAPI documents it leaves validation to the server.
        assert.deepEqual(
          objectWrites
            .map((r) => [r.method, r.contentType, r.query['fieldValidation'], r.status])
            .filter(([m]) => m === 'PATCH'),
          [['PATCH', 'application/apply-patch+yaml', 'Strict', 201]],
        );
      } else {
        assert.deepEqual(
          objectWrites.map((r) => [r.method, r.contentType, r.status]).filter(([m]) => m === 'POST'),
          [['POST', 'application/json', 201]],
        );
      }
    });

    it('upgrades with changed values: the stored objects change, dropped keys go', async () => {
      const from = cluster.requests.length;
      await helm.ok([
        'upgrade',
        release,
        chart,
        '-n',
        namespace,
        '-f',
        join(chart, 'values-settings.yaml'),
        '--set',
        'replicaCount=3,settings.greeting=hi,settings.farewell=null',
      ]);
      const deployment = cluster.get('deployments.apps', namespace, release)!;
      assert.equal((deployment['spec'] as { replicas: number }).replicas, 3);
      assert.equal(deployment.metadata.generation, 2);
      assert.deepEqual(cluster.get('configmaps', namespace, release)?.['data'], { greeting: 'hi' });
      const patches = cluster.requests
        .slice(from)
        .filter((r) => r.method === 'PATCH' && r.path.endsWith(`/configmaps/${release}`));
      assert.deepEqual(
        patches.map((r) => r.contentType),
        [major === 4 ? 'application/apply-patch+yaml' : 'application/strategic-merge-patch+json'],
      );
      const v1 = cluster.get('secrets', namespace, `sh.helm.release.v1.${release}.v1`)!;
      const v2 = cluster.get('secrets', namespace, `sh.helm.release.v1.${release}.v2`)!;
      assert.equal(v1.metadata.labels?.['status'], 'superseded');
      assert.equal(v2.metadata.labels?.['status'], 'deployed');
    });

    it('helm list -A shows the release with its revision and status', async () => {
      const run = await helm.ok(['list', '-A', '-o', 'json']);
      const listed = (
        JSON.parse(run.stdout) as {
          name: string;
          namespace: string;
          revision: string;
          status: string;
          chart: string;
        }[]
      ).find((r) => r.name === release);
      assert.deepEqual(listed && [listed.namespace, listed.revision, listed.status, listed.chart], [
        namespace,
        '2',
        'deployed',
        'demo-0.1.0',
      ]);
    });

    it(`kubectl ${major === 3 ? '1.32' : '1.33'} lists the release Secrets across namespaces`, async () => {
      const run = await kubectl(major, cluster.kubeconfigPath, [
        'get',
        'secrets',
        '-A',
        '-l',
        `owner=helm,name=${release}`,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const rows = run.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/));
      assert.deepEqual(rows[0], ['NAMESPACE', 'NAME', 'TYPE', 'DATA', 'AGE']);
      assert.deepEqual(
        rows.slice(1).map((r) => r.slice(0, 4)),
        [1, 2].map((v) => [namespace, `sh.helm.release.v1.${release}.v${v}`, 'helm.sh/release.v1', '1']),
      );
    });

    it('uninstalls: the objects and the release Secrets are gone', async () => {
      await helm.ok(['uninstall', release, '-n', namespace]);
      assert.equal(cluster.get('deployments.apps', namespace, release), undefined);
      assert.equal(cluster.get('configmaps', namespace, release), undefined);
      assert.equal(cluster.get('services', namespace, release), undefined);
      assert.deepEqual(cluster.list('secrets', { namespace, labelSelector: 'owner=helm' }), []);
      const run = await helm.ok(['list', '-n', namespace, '-q']);
      assert.equal(run.stdout.trim(), '');
    });

    it('lists a release that was seeded straight into the store', async () => {
      cluster.seed(
        helmReleaseSecret({
          release: {
            name: `seeded${major}`,
            namespace: 'brownfield',
            version: 4,
            info: { status: 'deployed', last_deployed: '2024-01-02T03:04:05Z' },
            chart: { metadata: { name: 'legacy', version: '1.2.3', appVersion: '9' } },
            config: {},
            manifest: '',
          },
        }),
      );
      const run = await helm.ok(['list', '-n', 'brownfield', '-o', 'json']);
      const listed = (
        JSON.parse(run.stdout) as { name: string; revision: string; status: string; chart: string }[]
      ).find((r) => r.name === `seeded${major}`);
      assert.deepEqual(listed && [listed.revision, listed.status, listed.chart], [
        '4',
        'deployed',
        'legacy-1.2.3',
      ]);
    });
  });
}

describe('kubectl and RBAC', () => {
  it('a user denied a namespace gets a Forbidden error there, and works elsewhere', async () => {
    const outsider = cluster.user('outsider');
    const denied = await kubectl(4, outsider.kubeconfigPath, ['get', 'secrets', '-n', 'kube-system']);
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /Error from server \(Forbidden\): secrets is forbidden: User "outsider" cannot list resource "secrets" in API group "" in the namespace "kube-system"/,
    );
    const allowed = await kubectl(4, outsider.kubeconfigPath, [
      'get',
      'configmaps',
      '-n',
      'default',
      '-o',
      'json',
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal((JSON.parse(allowed.stdout) as { kind: string }).kind, 'List');
  });

  it('a wrong token is Unauthorized', async () => {
    const bogus = await cluster.addUser({ name: 'bogus' });
    const path = bogus.kubeconfigPath;
    await writeFile(path, bogus.kubeconfig.replace(bogus.token, 'not-a-token'));
    const run = await kubectl(4, path, ['get', 'namespaces']);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /Unauthorized/);
  });
});
