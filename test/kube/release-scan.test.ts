import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import type { DecodedRelease } from '../../src/protocol/helm/release/release-record.js';
import { closeUpstreamDispatchers } from '../../src/upstream/http-client.js';
import { openKubeApi, type KubeApi } from '../../src/upstream/kube/kube-connection.js';
import {
  KubeEndpointRefusedError,
  KubeForbiddenError,
  KubeResponseError,
  KubeUnauthorizedError,
  KubeUnavailableError,
  KubeUnreachableError,
} from '../../src/upstream/kube/kube-errors.js';
import { scanHelmReleases, type ScanOptions } from '../../src/upstream/kube/release-scan.js';
import { gzipBombBytes } from '../support/fixture-servers.js';
import {
  helmReleaseSecret,
  startKubeCluster,
  type KubeCluster,
  type KubeObject,
} from '../support/kube-cluster/index.js';

/*
 * Brownfield discovery's Kubernetes side against the in-process API test cluster: both Helm 3 drivers,
 * Tiller ConfigMaps from the corpus, pagination, 410 restarts, RBAC refusals, and misbehaving servers.
 */

const RELEASES = new URL('../../../shared/corpus/releases/', import.meta.url);
const SERVER_POLICY = { allowPrivateEndpoints: true };

let cluster: KubeCluster;
beforeEach(async () => {
  cluster = await startKubeCluster();
});
afterEach(async () => {
  await cluster.close();
});
after(async () => {
  await closeUpstreamDispatchers();
});

function releaseJson(name: string, namespace: string, version: number, chartVersion = `1.0.${version}`) {
  return {
    name,
    namespace,
    version,
    info: {
      status: 'deployed',
      first_deployed: '2024-01-01T00:00:00Z',
      last_deployed: '2024-01-02T00:00:00Z',
    },
    chart: {
      metadata: { name: `${name}-chart`, version: chartVersion, appVersion: '2.0' },
      templates: [{ name: 'templates/cm.yaml', data: Buffer.from('kind: ConfigMap\n').toString('base64') }],
      values: { replicas: 1 },
      schema: null,
      files: [],
    },
    config: { replicas: version },
    manifest: '---\nkind: ConfigMap\n',
  };
}

/** Helm's ConfigMap driver: same name and labels as the Secret, data.release base64 once. */
function releaseConfigMap(release: ReturnType<typeof releaseJson>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `sh.helm.release.v1.${release.name}.v${release.version}`,
      namespace: release.namespace,
      labels: { name: release.name, owner: 'helm', status: 'deployed', version: String(release.version) },
    },
    data: { release: gzipSync(JSON.stringify(release)).toString('base64') },
  };
}

function tillerConfigMap(file: string): KubeObject {
  const doc = yaml.load(readFileSync(new URL(file, RELEASES), 'utf8')) as KubeObject;
  const { name, namespace, labels } = doc.metadata;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data: doc['data'] };
}

function revisions(name: string, namespace: string, count: number): KubeObject[] {
  return Array.from({ length: count }, (_, i) =>
    helmReleaseSecret({ release: releaseJson(name, namespace, i + 1) }),
  );
}

async function scan(api: KubeApi, options: ScanOptions = {}) {
  const found: DecodedRelease[] = [];
  const batches: number[] = [];
  const result = await scanHelmReleases(api, { list: { retryDelayMs: 5 }, ...options }, async (batch) => {
    batches.push(batch.length);
    found.push(...batch);
  });
  const names = found
    .map(
      (r) =>
        `${r.summary.namespace}/${r.summary.name}@${r.summary.revision}:${r.summary.driver}:${r.summary.helmMajor}`,
    )
    .sort();
  return { result, found, names, batches };
}

const adminApi = (options: { idleTimeoutMs?: number; timeoutMs?: number } = {}) =>
  openKubeApi(cluster.kubeconfig, { policy: SERVER_POLICY, ...options });

const status = (code: number, message: string) => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, message },
});

describe('scanHelmReleases', () => {
  it('finds the newest revision of every release, both Helm 3 drivers and Tiller, page by page', async () => {
    cluster.seed(
      ...revisions('web', 'team-a', 5),
      ...revisions('db', 'team-a', 2),
      ...revisions('web', 'team-b', 3),
      releaseConfigMap(releaseJson('cache', 'team-c', 1)),
      releaseConfigMap(releaseJson('cache', 'team-c', 4)),
      // The same release in both drivers (a migration): the newest revision wins.
      releaseConfigMap(releaseJson('db', 'team-a', 7)),
      helmReleaseSecret({ release: releaseJson('plain', 'team-c', 1), gzip: false }),
      tillerConfigMap('deckhouse-helm2-release-configmap.yaml'),
      tillerConfigMap('rancher-helm2-release-configmap.yaml'),
    );
    const { result, found, names, batches } = await scan(await adminApi(), { pageSize: 2, batchSize: 3 });
    assert.deepEqual(names, [
      'default/bar@1:configmap:2',
      'default/mariadb@1:configmap:2',
      'team-a/db@7:configmap:3',
      'team-a/web@5:secret:3',
      'team-b/web@3:secret:3',
      'team-c/cache@4:configmap:3',
      'team-c/plain@1:secret:3',
    ]);
    assert.deepEqual(batches, [3, 3, 1]);
    assert.deepEqual(result, { objects: 16, releases: 7, helm2: 2, warnings: [] });
    const web = found.find((r) => r.summary.name === 'web' && r.summary.namespace === 'team-a')!;
    assert.deepEqual(web.config, { replicas: 5 });
    assert.equal(web.summary.chartVersion, '1.0.5');
    assert.equal(web.chart!.templates[0]!.data.toString(), 'kind: ConfigMap\n');
    const lists = cluster.requests.filter((r) => r.path === '/api/v1/secrets');
    assert.equal(lists.length, 6, '11 Secrets in pages of 2');
    assert.equal(lists[0]!.query['fieldSelector'], 'type=helm.sh/release.v1');
    assert.equal(lists[0]!.query['labelSelector'], 'owner=helm');
    assert.ok(lists.slice(1).every((r) => r.query['continue']));
  });

  it('starts a list again when its continue token expires (410), and still counts exactly', async () => {
    cluster.seed(...revisions('web', 'team-a', 5), ...revisions('api', 'team-b', 4));
    let expired = false;
    cluster.intercept((request) => {
      if (!expired && request.path === '/api/v1/secrets' && request.query['continue']) {
        expired = true;
        cluster.expireContinueTokens();
      }
      return undefined;
    });
    const { result, names } = await scan(await adminApi(), { pageSize: 2 });
    assert.deepEqual(names, ['team-a/web@5:secret:3', 'team-b/api@4:secret:3']);
    assert.equal(result.objects, 9, 'the objects of the expired pass are not counted twice');
    assert.equal(cluster.requests.filter((r) => r.status === 410).length, 1);
  });

  it('gives up after repeated 410s with a clear error', async () => {
    cluster.seed(...revisions('web', 'team-a', 5));
    cluster.intercept((request) =>
      request.query['continue'] ? status(410, 'The provided continue parameter is too old') : undefined,
    );
    await assert.rejects(scan(await adminApi(), { pageSize: 2 }), /restarted 3 times and expired again/);
  });

  it('reports a forbidden namespace as a warning and reads the others', async () => {
    cluster.seed(...revisions('web', 'team-a', 2), ...revisions('web', 'team-b', 1));
    const user = await cluster.addUser({ name: 'reader', deniedNamespaces: ['team-b'] });
    const api = await openKubeApi(user.kubeconfig, { policy: SERVER_POLICY });
    const { result, names } = await scan(api, { namespaces: ['team-a', 'team-b'] });
    assert.deepEqual(names, ['team-a/web@2:secret:3']);
    assert.equal(result.warnings.length, 3, 'Secrets, ConfigMaps and Tiller ConfigMaps of team-b');
    const [warning] = result.warnings;
    assert.equal(warning!.code, 'forbidden');
    assert.equal(warning!.namespace, 'team-b');
    assert.match(
      warning!.message,
      /^The kubeconfig's user may not list secrets in namespace team-b \(403\): grant list on secrets with a Role in namespace team-b\./,
    );
  });

  it('reads namespace by namespace when the cluster-wide list is forbidden', async () => {
    cluster.seed(...revisions('web', 'team-a', 2), ...revisions('api', 'team-b', 3));
    cluster.intercept((request) =>
      request.path === '/api/v1/secrets'
        ? status(403, 'secrets is forbidden at the cluster scope')
        : undefined,
    );
    const { result, names } = await scan(await adminApi());
    assert.deepEqual(names, ['team-a/web@2:secret:3', 'team-b/api@3:secret:3']);
    assert.deepEqual(result.warnings, []);
    assert.ok(cluster.requests.some((r) => r.path === '/api/v1/namespaces/team-b/secrets'));
  });

  it('fails naming the permissions when neither the cluster nor the namespaces can be listed', async () => {
    const user = await cluster.addUser({ name: 'narrow', namespaces: ['team-a'] });
    const api = await openKubeApi(user.kubeconfig, { policy: SERVER_POLICY });
    await assert.rejects(scan(api), (err: unknown) => {
      assert.ok(err instanceof KubeForbiddenError, String(err));
      assert.match(err.message, /may not list secrets across all namespaces, nor list namespaces/);
      assert.match(err.message, /grant list on secrets and configmaps with a ClusterRole/);
      return true;
    });
  });

  it('warns about objects labelled owner=helm that are not releases, and payloads that do not decode', async () => {
    const badName = releaseJson('web', 'team-a', 1);
    badName.chart.metadata.name = '../../etc';
    const bomb = helmReleaseSecret({ release: releaseJson('bomb', 'team-a', 1) });
    bomb['data'] = { release: Buffer.from(gzipBombBytes(20).toString('base64')).toString('base64') };
    cluster.seed(
      helmReleaseSecret({ release: badName }),
      bomb,
      ...revisions('ok', 'team-a', 1),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: 'team-a', labels: { owner: 'helm' } },
        data: { a: 'b' },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'helm.sh/release.v1',
        metadata: { name: 'odd', namespace: 'team-a', labels: { owner: 'helm' } },
        data: {},
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'helm.sh/release.v1',
        metadata: {
          name: 'empty',
          namespace: 'team-a',
          labels: { owner: 'helm', name: 'empty', version: '2' },
        },
        data: {},
      },
    );
    const { result, names } = await scan(await adminApi());
    assert.deepEqual(names, ['team-a/ok@1:secret:3']);
    const byObject = Object.fromEntries(result.warnings.map((w) => [w.object, w]));
    assert.equal(byObject['odd']!.code, 'not_helm_release');
    assert.match(
      byObject['odd']!.message,
      /Secret team-a\/odd is labelled owner=helm but is not a Helm release: no name\/version labels/,
    );
    assert.equal(byObject['settings']!.code, 'not_helm_release');
    assert.match(byObject['settings']!.message, /ConfigMap team-a\/settings is labelled owner=helm/);
    assert.match(
      byObject['empty']!.message,
      /Secret team-a\/empty .* not a Helm release: it has no data.release/,
    );
    assert.equal(byObject['sh.helm.release.v1.bomb.v1']!.code, 'release_too_large');
    assert.match(
      byObject['sh.helm.release.v1.bomb.v1']!.message,
      /^The Secret team-a\/sh.helm.release.v1.bomb.v1 \(revision 1\) was skipped: The release decompresses to more than the limit of 16 MiB/,
    );
    assert.equal(byObject['sh.helm.release.v1.web.v1']!.code, 'invalid_release');
    assert.match(byObject['sh.helm.release.v1.web.v1']!.message, /chart name "..\/..\/etc" is refused/);
    assert.equal(result.warnings.length, 5);
  });

  it('caps the warnings with one that says how many more there were', async () => {
    for (let i = 0; i < 5; i++) {
      cluster.seed({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm${i}`, namespace: 'team-a', labels: { owner: 'helm' } },
      });
    }
    const { result } = await scan(await adminApi(), { maxWarnings: 2 });
    assert.deepEqual(
      result.warnings.map((w) => w.code),
      ['not_helm_release', 'not_helm_release', 'warnings_truncated'],
    );
    assert.equal(result.warnings[2]!.message, '3 more warnings were left out.');
  });

  /** Answers every Secret list with its first page and the continue token `next()` gives. */
  function endlessPages(next: () => string) {
    let first: { metadata: Record<string, unknown> } | undefined;
    cluster.intercept((request, reply) => {
      if (request.path !== '/api/v1/secrets') return undefined;
      first ??= reply.body as { metadata: Record<string, unknown> };
      return { status: 200, body: { ...first, metadata: { ...first.metadata, continue: next() } } };
    });
  }

  it('stops a server that pages forever', async () => {
    cluster.seed(...revisions('web', 'team-a', 3));
    endlessPages(() => 'again');
    await assert.rejects(scan(await adminApi(), { pageSize: 2 }), (err: unknown) => {
      assert.ok(err instanceof KubeResponseError, String(err));
      assert.match(err.message, /returned a continue token .* before: it would page forever/);
      return true;
    });
  });

  it('stops a server that keeps handing out new pages past the page bound', async () => {
    let n = 0;
    endlessPages(() => `t${n++}`);
    await assert.rejects(
      scan(await adminApi(), { list: { maxPages: 5 } }),
      /kept paging \/api\/v1\/secrets past 5 pages/,
    );
  });

  it('retries a failing server a couple of times, then fails', async () => {
    cluster.intercept((request) =>
      request.path === '/api/v1/secrets' ? status(500, 'etcd is down') : undefined,
    );
    await assert.rejects(scan(await adminApi()), (err: unknown) => {
      assert.ok(err instanceof KubeUnavailableError, String(err));
      assert.match(
        err.message,
        /answered HTTP 500 to list secrets across all namespaces: .* The API server said: etcd is down/,
      );
      return true;
    });
    assert.equal(cluster.requests.filter((r) => r.path === '/api/v1/secrets').length, 3);
  });

  it('ends a hanging API server by the idle timeout', async () => {
    const hang = cluster.hang((request) => request.path === '/api/v1/secrets');
    const started = Date.now();
    try {
      await assert.rejects(scan(await adminApi({ idleTimeoutMs: 300 })), (err: unknown) => {
        assert.ok(err instanceof KubeUnreachableError, String(err));
        assert.match(err.message, /did not answer within 300 ms/);
        return true;
      });
      assert.ok(Date.now() - started < 5_000);
    } finally {
      hang.release();
    }
  });
});

describe('openKubeApi', () => {
  it('refuses a kubeconfig whose server is a metadata address before any request', async () => {
    const metadata = cluster.kubeconfig.replace(cluster.url, 'https://169.254.169.254');
    const before = cluster.requests.length;
    await assert.rejects(openKubeApi(metadata, { policy: SERVER_POLICY }), (err: unknown) => {
      assert.ok(err instanceof KubeEndpointRefusedError, String(err));
      assert.match(
        err.message,
        /may not connect to the kubeconfig's API server https:\/\/169.254.169.254: .*cloud metadata/,
      );
      return true;
    });
    await assert.rejects(openKubeApi(metadata, { policy: null }), KubeEndpointRefusedError);
    // Loopback is private: refused unless the operator allows private endpoints; the agent (no policy) may.
    await assert.rejects(
      openKubeApi(cluster.kubeconfig, { policy: { allowPrivateEndpoints: false } }),
      /run the Charthouse agent/,
    );
    const agent = await openKubeApi(cluster.kubeconfig, { policy: null });
    assert.equal(cluster.requests.length, before);
    assert.ok(await agent.getJson('/api/v1/namespaces'));
  });

  it('says what to fix for rejected credentials and unreadable kubeconfigs', async () => {
    const wrong = cluster.kubeconfig.replace(cluster.token, 'not-the-token');
    const api = await openKubeApi(wrong, { policy: SERVER_POLICY });
    await assert.rejects(api.getJson('/api/v1/secrets'), (err: unknown) => {
      assert.ok(err instanceof KubeUnauthorizedError, String(err));
      assert.match(err.message, /rejected the kubeconfig's credentials \(401\)/);
      return true;
    });
    await assert.rejects(
      openKubeApi('kind: Config\ncurrent-context: nowhere\n', { policy: SERVER_POLICY }),
      /kubeconfig/,
    );
  });
});
