import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { startKubeCluster, type KubeCluster } from '../support/kube-cluster/index.js';

/*
 * The test cluster through @kubernetes/client-node (the client the product will use) and raw HTTP:
 * the API semantics the real clients rely on, down to the Status objects of each failure.
 */

let cluster: KubeCluster;
let core: CoreV1Api;
let agent: Agent;

function clientFor(kubeconfig: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return kc.makeApiClient(CoreV1Api);
}

/** The Status body of a failed client-node call. */
async function statusOf(
  call: Promise<unknown>,
): Promise<{ code: number; reason: string; message: string; [k: string]: unknown }> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
    const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as {
      code: number;
      reason: string;
      message: string;
    };
    assert.equal(body.code, err.code);
    return body;
  }
  assert.fail('the call succeeded, expected a Kubernetes API error');
}

async function raw(
  method: string,
  path: string,
  opts: { body?: unknown; contentType?: string; token?: string | null; accept?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers['authorization'] = `Bearer ${opts.token ?? cluster.token}`;
  if (opts.contentType) headers['content-type'] = opts.contentType;
  if (opts.accept) headers['accept'] = opts.accept;
  const res = await request(`${cluster.url}${path}`, {
    method: method as 'GET',
    headers,
    dispatcher: agent,
    ...(opts.body !== undefined
      ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
      : {}),
  });
  return {
    status: res.statusCode,
    body: (await res.body.json()) as Record<string, unknown> & { metadata: Record<string, unknown> },
  };
}

const secret = (namespace: string, name: string, labels: Record<string, string> = {}, type = 'Opaque') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type,
  metadata: { name, namespace, labels },
  data: { key: Buffer.from(name).toString('base64') },
});

before(async () => {
  cluster = await startKubeCluster({
    users: [{ name: 'team-a-dev', namespaces: ['team-a'] }],
    objects: [
      // Seven paged secrets over three namespaces (seed creates the namespaces), and noise.
      ...['team-a', 'team-b', 'team-c']
        .flatMap((ns, i) =>
          Array.from({ length: i + 2 }, (_, j) => secret(ns, `paged-${j}`, { app: 'paged' })),
        )
        .slice(0, 7),
      secret('team-a', 'unrelated', { app: 'other' }),
      secret('team-a', 'release', { owner: 'helm' }, 'helm.sh/release.v1'),
    ],
  });
  core = clientFor(cluster.kubeconfig);
  agent = new Agent({ connect: { ca: cluster.caPem } });
});

after(async () => {
  await agent?.close();
  await cluster?.close();
});

describe('the test cluster through @kubernetes/client-node', () => {
  it('serves the seeded namespaces', async () => {
    const list = await core.listNamespace();
    assert.deepEqual(
      list.items.map((n) => n.metadata?.name),
      ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'team-a', 'team-b', 'team-c'],
    );
    assert.equal(list.items[0]?.status?.phase, 'Active');
  });

  it('lists across namespaces page by page with limit and continue, at one resourceVersion', async () => {
    const first = await core.listSecretForAllNamespaces({ labelSelector: 'app=paged', limit: 3 });
    assert.equal(first.items.length, 3);
    assert.ok(first.metadata?._continue, 'a first page with more to come carries a continue token');
    // With a label selector a real server cannot count what remains, and leaves the field out.
    assert.equal(first.metadata?.remainingItemCount, undefined);
    // Written after the first page: a consistent list does not show it.
    await core.createNamespacedSecret({
      namespace: 'team-a',
      body: secret('team-a', 'paged-late', { app: 'paged' }),
    });
    const names = first.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`);
    let token: string | undefined = first.metadata?._continue;
    while (token) {
      const page = await core.listSecretForAllNamespaces({
        labelSelector: 'app=paged',
        limit: 3,
        _continue: token,
      });
      assert.equal(page.metadata?.resourceVersion, first.metadata?.resourceVersion);
      names.push(...page.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`));
      token = page.metadata?._continue;
    }
    assert.deepEqual(names, [
      'team-a/paged-0',
      'team-a/paged-1',
      'team-b/paged-0',
      'team-b/paged-1',
      'team-b/paged-2',
      'team-c/paged-0',
      'team-c/paged-1',
    ]);
    const now = await core.listSecretForAllNamespaces({ labelSelector: 'app=paged' });
    assert.equal(now.items.length, 8);
    assert.ok(Number(now.metadata?.resourceVersion) > Number(first.metadata?.resourceVersion));
  });

  it('counts the remaining items of an unfiltered paged list', async () => {
    const page = await core.listNamespacedSecret({ namespace: 'team-b', limit: 2 });
    assert.equal(page.items.length, 2);
    assert.equal(page.metadata?.remainingItemCount, 1);
  });

  it('answers 410 Expired for a continue token older than the last compaction', async () => {
    const first = await core.listSecretForAllNamespaces({ labelSelector: 'app=paged', limit: 2 });
    cluster.expireContinueTokens();
    const status = await statusOf(
      core.listSecretForAllNamespaces({
        labelSelector: 'app=paged',
        limit: 2,
        _continue: first.metadata!._continue!,
      }),
    );
    assert.equal(status.code, 410);
    assert.equal(status.reason, 'Expired');
    // A fresh list works again.
    assert.equal(
      (await core.listSecretForAllNamespaces({ labelSelector: 'app=paged', limit: 2 })).items.length,
      2,
    );
  });

  it('selects by label operators and by field', async () => {
    await Promise.all(
      [
        ['web', { tier: 'web' }],
        ['api', { tier: 'api', canary: 'true' }],
        ['db', { tier: 'db' }],
      ].map(([name, labels]) =>
        core.createNamespacedConfigMap({
          namespace: 'team-c',
          body: { metadata: { name: name as string, labels: labels as Record<string, string> } },
        }),
      ),
    );
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (
        await core.listNamespacedConfigMap({
          namespace: 'team-c',
          ...(labelSelector ? { labelSelector } : {}),
          ...(fieldSelector ? { fieldSelector } : {}),
        })
      ).items.map((c) => c.metadata?.name);
    assert.deepEqual(await names('tier in (web,api)'), ['api', 'web']);
    assert.deepEqual(await names('tier notin (web)'), ['api', 'db']);
    assert.deepEqual(await names('tier!=web,!canary'), ['db']);
    assert.deepEqual(await names('canary'), ['api']);
    assert.deepEqual(await names('tier==db'), ['db']);
    assert.deepEqual(await names(undefined, 'metadata.name=web'), ['web']);
    const releases = await core.listSecretForAllNamespaces({ fieldSelector: 'type=helm.sh/release.v1' });
    assert.deepEqual(
      releases.items.map((s) => s.metadata?.name),
      ['release'],
    );
    const bad = await statusOf(
      core.listNamespacedConfigMap({ namespace: 'team-c', fieldSelector: 'data.x=1' }),
    );
    assert.equal(bad.code, 400);
    assert.match(bad.message, /"data.x" is not a known field selector/);
  });

  it('refuses a replace with a stale resourceVersion (409 Conflict) and accepts the current one', async () => {
    const read = await core.readNamespacedSecret({ namespace: 'team-a', name: 'unrelated' });
    const updated = await core.replaceNamespacedSecret({
      namespace: 'team-a',
      name: 'unrelated',
      body: { ...read, stringData: { more: 'x' } },
    });
    assert.notEqual(updated.metadata?.resourceVersion, read.metadata?.resourceVersion);
    assert.equal(Buffer.from(updated.data?.['more'] ?? '', 'base64').toString(), 'x');
    assert.equal(updated.metadata?.uid, read.metadata?.uid);
    const stale = await statusOf(
      core.replaceNamespacedSecret({ namespace: 'team-a', name: 'unrelated', body: read }),
    );
    assert.equal(stale.code, 409);
    assert.equal(stale.reason, 'Conflict');
    assert.match(
      stale.message,
      /Operation cannot be fulfilled on secrets "unrelated": the object has been modified/,
    );
  });

  it('creates with generateName, refuses duplicates (409) and missing namespaces (404)', async () => {
    const made = await core.createNamespacedSecret({
      namespace: 'team-a',
      body: { metadata: { generateName: 'gen-' }, stringData: { a: 'b' } } as V1Secret,
    });
    assert.match(made.metadata?.name ?? '', /^gen-[a-z0-9]{5}$/);
    assert.equal(made.type, 'Opaque');
    const dup = await statusOf(
      core.createNamespacedSecret({
        namespace: 'team-a',
        body: { metadata: { name: made.metadata!.name! } },
      }),
    );
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, 'AlreadyExists');
    const missing = await statusOf(
      core.createNamespacedSecret({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }),
    );
    assert.deepEqual(missing, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'namespaces "nowhere" not found',
      reason: 'NotFound',
      details: { name: 'nowhere', kind: 'namespaces' },
      code: 404,
    });
  });

  it('forbids a namespace-limited user outside its namespaces with a Status object (403)', async () => {
    const dev = clientFor(cluster.user('team-a-dev').kubeconfig);
    assert.ok((await dev.listNamespacedSecret({ namespace: 'team-a' })).items.length > 0);
    // A user added later gets the same treatment.
    const late = clientFor((await cluster.addUser({ name: 'late-dev', verbs: ['get'] })).kubeconfig);
    assert.equal((await statusOf(late.listNamespacedSecret({ namespace: 'team-a' }))).code, 403);
    const status = await statusOf(dev.listNamespacedSecret({ namespace: 'team-b' }));
    assert.deepEqual(status, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'secrets is forbidden: User "team-a-dev" cannot list resource "secrets" in API group "" in the namespace "team-b"',
      reason: 'Forbidden',
      details: { kind: 'secrets' },
      code: 403,
    });
    const clusterWide = await statusOf(dev.listSecretForAllNamespaces());
    assert.match(clusterWide.message, /cannot list resource "secrets" in API group "" at the cluster scope/);
  });

  it('serves discovery and the OpenAPI v3 documents clients check before writing', async () => {
    const api = await raw('GET', '/api');
    assert.deepEqual(api.body['serverAddressByClientCIDRs'], [
      { clientCIDR: '0.0.0.0/0', serverAddress: new URL(cluster.url).host },
    ]);
    const groups = (await raw('GET', '/apis')).body['groups'] as { name: string }[];
    assert.ok(groups.some((g) => g.name === 'apps'));
    const apps = (await raw('GET', '/apis/apps/v1')).body['resources'] as {
      name: string;
      namespaced: boolean;
    }[];
    assert.deepEqual(apps.find((r) => r.name === 'deployments')?.namespaced, true);
    const index = (await raw('GET', '/openapi/v3')).body['paths'] as Record<
      string,
      { serverRelativeURL: string }
    >;
    const doc = (await raw('GET', index['apis/apps/v1']!.serverRelativeURL)).body['paths'] as Record<
      string,
      { patch?: { parameters: { name: string }[] } & Record<string, unknown> }
    >;
    const patch = doc['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    assert.deepEqual(patch?.['x-kubernetes-group-version-kind'], {
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    assert.ok(patch?.parameters.some((p) => p.name === 'fieldValidation'));
    assert.equal((await raw('GET', '/apis/nosuch.group/v1')).status, 404);
  });

  it('answers 401 without a valid token', async () => {
    const none = await raw('GET', '/api/v1/namespaces', { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.body['reason'], 'Unauthorized');
    assert.equal((await raw('GET', '/api/v1/namespaces', { token: 'wrong' })).status, 401);
    // /version is public, as on a real server.
    assert.equal((await raw('GET', '/version', { token: null })).status, 200);
  });

  it('patches with merge, strategic merge, json patch and server-side apply', async () => {
    const apps = (() => {
      const kc = new KubeConfig();
      kc.loadFromString(cluster.kubeconfig);
      return kc.makeApiClient(AppsV1Api);
    })();
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'team-b', labels: { app: 'web' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'web', image: 'nginx:1' },
              { name: 'sidecar', image: 'envoy:1' },
            ],
          },
        },
      },
    };
    const path = '/apis/apps/v1/namespaces/team-b/deployments/web';
    const applied = await raw('PATCH', `${path}?fieldManager=test&force=true`, {
      body: JSON.stringify(deployment),
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(applied.status, 201);
    assert.equal(applied.body.metadata['generation'], 1);

    await apps.patchNamespacedDeployment(
      {
        namespace: 'team-b',
        name: 'web',
        body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    let live = await apps.readNamespacedDeployment({ namespace: 'team-b', name: 'web' });
    assert.deepEqual(
      live.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`),
      ['web=nginx:2', 'sidecar=envoy:1'],
    );
    assert.equal(live.metadata?.generation, 2);

    await apps.patchNamespacedDeployment(
      { namespace: 'team-b', name: 'web', body: { metadata: { labels: { extra: 'x' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await apps.patchNamespacedDeployment(
      { namespace: 'team-b', name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    live = await apps.readNamespacedDeployment({ namespace: 'team-b', name: 'web' });
    assert.equal(live.spec?.replicas, 4);
    assert.deepEqual(live.metadata?.labels, { app: 'web', extra: 'x' });

    // Re-applying without the sidecar and the label removes what this manager no longer applies.
    const reapplied = structuredClone(deployment);
    reapplied.metadata.labels = {} as { app: string };
    reapplied.spec.template.spec.containers = [{ name: 'web', image: 'nginx:3' }];
    const second = await raw('PATCH', `${path}?fieldManager=test`, {
      body: JSON.stringify(reapplied),
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(second.status, 200);
    live = await apps.readNamespacedDeployment({ namespace: 'team-b', name: 'web' });
    assert.deepEqual(
      live.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`),
      ['web=nginx:3'],
    );
    assert.deepEqual(live.metadata?.labels, { extra: 'x' });
    assert.ok(live.metadata?.managedFields?.some((m) => m.manager === 'test' && m.operation === 'Apply'));

    const noManager = await raw('PATCH', path, {
      body: JSON.stringify(reapplied),
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(noManager.status, 400);
    assert.match(String(noManager.body['message']), /fieldManager is required/);
    const missing = await statusOf(
      apps.patchNamespacedDeployment(
        { namespace: 'team-b', name: 'nope', body: { spec: {} } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    assert.equal(missing.code, 404);
    assert.equal(missing.message, 'deployments.apps "nope" not found');
  });

  it('deletes objects (with preconditions) and namespaces with their contents', async () => {
    const target = await core.readNamespacedSecret({ namespace: 'team-c', name: 'paged-0' });
    const wrongUid = await statusOf(
      core.deleteNamespacedSecret({
        namespace: 'team-c',
        name: 'paged-0',
        body: { preconditions: { uid: 'not-it' } },
      }),
    );
    assert.equal(wrongUid.code, 409);
    const deleted = await raw('DELETE', '/api/v1/namespaces/team-c/secrets/paged-0', {
      body: { preconditions: { uid: target.metadata?.uid } },
    });
    assert.deepEqual(deleted.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'paged-0', kind: 'secrets', uid: target.metadata?.uid },
      code: 200,
    });
    assert.equal(
      (await statusOf(core.readNamespacedSecret({ namespace: 'team-c', name: 'paged-0' }))).code,
      404,
    );

    await core.deleteNamespace({ name: 'team-c' });
    assert.equal(cluster.get('namespaces', undefined, 'team-c'), undefined);
    assert.deepEqual(cluster.list('secrets', { namespace: 'team-c' }), []);
    assert.deepEqual(cluster.list('configmaps', { namespace: 'team-c' }), []);
  });

  it('answers a Table when kubectl asks for one', async () => {
    const table = await raw('GET', '/api/v1/secrets?labelSelector=owner%3Dhelm', {
      accept:
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    });
    assert.equal(table.body['kind'], 'Table');
    assert.deepEqual(
      (table.body['columnDefinitions'] as { name: string }[]).map((c) => c.name),
      ['Name', 'Type', 'Data', 'Age'],
    );
    const rows = table.body['rows'] as { cells: unknown[]; object: { metadata: { namespace: string } } }[];
    assert.deepEqual(
      rows.map((r) => r.cells.slice(0, 3)),
      [['release', 'helm.sh/release.v1', 1]],
    );
    assert.equal(rows[0]?.object.metadata.namespace, 'team-a');
  });
});
