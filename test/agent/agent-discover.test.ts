import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { helmReleaseSecret, startKubeCluster, type KubeCluster } from '../support/kube-cluster/index.js';
import { runCli } from '../support/cli.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

interface RunView {
  id: string;
  trigger: string;
  status: string;
  objects: number;
  releases: number;
  warnings: Array<{ code: string; namespace?: string }>;
  error: { code: string; message: string } | null;
}

const release = (name: string, namespace: string, revision: number) => ({
  name,
  namespace,
  version: revision,
  info: { status: 'deployed', first_deployed: '2026-11-01T10:00:00Z', last_deployed: '2026-11-02T10:00:00Z' },
  chart: {
    metadata: { apiVersion: 'v2', name: `${name}-chart`, version: '1.0.0', appVersion: '2.0' },
    templates: [{ name: 'templates/cm.yaml', data: Buffer.from('kind: ConfigMap\n').toString('base64') }],
    values: { replicas: 1 },
    schema: null,
    files: [],
  },
  config: { token: 'x' },
});

/**
 * `charthouse agent` answering discoveries of an agent cluster (SPEC §2: discovery "in the agent for
 * agent clusters, which sends what it found"): asked through the heartbeat, unasked with --discover,
 * and failing the run with the reason when it has no kubeconfig or the cluster refuses it.
 */
describe(`charthouse agent discovery (${TEST_DB})`, () => {
  let server: TestServer;
  let kube: KubeCluster;
  let acme: { adminToken: string };
  let work: string;
  let tokenFile: string;
  let kubeconfig: string;
  const base = '/api/v1/tenants/acme/clusters/edge';

  const runs = async (): Promise<RunView[]> =>
    (await server.api<{ items: RunView[] }>('GET', `${base}/discoveries`, { token: acme.adminToken })).body
      .items;
  const releases = async () =>
    (
      await server.api<{ items: Array<{ name: string; namespace: string; revision: number }> }>(
        'GET',
        `${base}/releases`,
        { token: acme.adminToken },
      )
    ).body.items.map((r) => `${r.namespace}/${r.name}@${r.revision}`);

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'charthouse-agent-discover-'));
    kube = await startKubeCluster({
      objects: [
        ...[1, 2, 3].map((v) => helmReleaseSecret({ release: release('web', 'apps', v) })),
        helmReleaseSecret({ release: release('db', 'data', 1) }),
      ],
      users: [{ name: 'apps-only', namespaces: ['apps'] }],
    });
    kubeconfig = path.join(work, 'kubeconfig');
    await writeFile(kubeconfig, kube.kubeconfig, { mode: 0o600 });
    server = await startTestServer();
    acme = await createTenant(server, 'acme');
    const created = await server.api<{ agentToken: string }>('POST', '/api/v1/tenants/acme/clusters', {
      token: acme.adminToken,
      body: { name: 'edge', mode: 'agent' },
    });
    assert.equal(created.status, 201);
    tokenFile = path.join(work, 'token');
    await writeFile(tokenFile, created.body.agentToken, { mode: 0o600 });
  });

  after(async () => {
    await server?.close();
    await kube?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The real built CLI, as an operator runs it inside the cluster's network. */
  const once = (dir: string, ...extra: string[]) =>
    runCli(path.join(work, 'cli-config.json'), [
      'agent',
      '--server',
      server.url,
      '--token-file',
      tokenFile,
      '--once',
      '--work-dir',
      path.join(work, dir),
      ...extra,
    ]);

  it('fails the discovery asked of it, saying why, when it has no kubeconfig', async () => {
    const asked = await server.api<{ run: RunView }>('POST', `${base}/discover`, { token: acme.adminToken });
    assert.equal(asked.body.run.status, 'requested');
    const run = await once('no-kubeconfig');
    assert.equal(run.code, 0, run.stderr);
    const [latest] = await runs();
    assert.equal(latest?.status, 'failed');
    assert.equal(latest?.error?.code, 'no_kubeconfig');
    assert.match(latest?.error?.message ?? '', /--kubeconfig/);
  });

  it('answers a discovery asked through its heartbeat with what its kubeconfig reads', async () => {
    const asked = await server.api<{ run: RunView }>('POST', `${base}/discover`, {
      token: acme.adminToken,
      body: { namespaces: ['apps', 'data'] },
    });
    const run = await once('asked', '--kubeconfig', kubeconfig);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /asks for a discovery/);
    const done = await waitFor(
      async () => (await runs()).find((r) => r.id === asked.body.run.id && r.status !== 'requested'),
      {
        what: 'the run answered',
      },
    );
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.objects, 4);
    assert.deepEqual(await releases(), ['apps/web@3', 'data/db@1']);
  });

  it('reports namespaces its user may not read, and fails naming the permission when it can read none', async () => {
    const limited = path.join(work, 'kubeconfig-apps');
    await writeFile(limited, kube.user('apps-only').kubeconfig, { mode: 0o600 });
    const asked = await server.api<{ run: RunView }>('POST', `${base}/discover`, {
      token: acme.adminToken,
      body: { namespaces: ['apps', 'data'] },
    });
    assert.equal((await once('limited', '--kubeconfig', limited)).code, 0);
    const partial = (await runs()).find((r) => r.id === asked.body.run.id);
    assert.equal(partial?.status, 'succeeded', JSON.stringify(partial));
    assert.deepEqual(
      partial?.warnings.filter((w) => w.code === 'forbidden').map((w) => w.namespace),
      // One per kind of Helm storage read there: release Secrets, ConfigMap-driver and Tiller ConfigMaps.
      ['data', 'data', 'data'],
    );
    assert.deepEqual(await releases(), ['apps/web@3']);

    // All namespaces, unasked: this user may list neither secrets cluster-wide nor namespaces.
    assert.equal((await once('limited-all', '--kubeconfig', limited, '--discover')).code, 0);
    const [refused] = await runs();
    assert.equal(refused?.trigger, 'agent');
    assert.equal(refused?.status, 'failed');
    assert.equal(refused?.error?.code, 'kube_forbidden');
    assert.match(refused?.error?.message ?? '', /grant list on secrets/);
    // The last good discovery stays.
    assert.deepEqual(await releases(), ['apps/web@3']);
  });

  it('discovers unasked with --discover, and is asked nothing more afterwards', async () => {
    assert.equal((await once('unasked', '--kubeconfig', kubeconfig, '--discover')).code, 0);
    const [latest] = await runs();
    assert.equal(latest?.trigger, 'agent');
    assert.equal(latest?.status, 'succeeded', JSON.stringify(latest));
    assert.deepEqual(await releases(), ['apps/web@3', 'data/db@1']);
    const token = (await readFile(tokenFile, 'utf8')).trim();
    const beat = await server.api('POST', '/api/v1/agent/heartbeat', { token, body: {} });
    assert.deepEqual(beat.body, { discovery: null });
  });
});
