import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startChartRepo, type ChartRepo } from '../support/chart-repo.js';
import { freePort } from '../support/free-port.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { startKubeCluster, type KubeCluster } from '../support/kube-cluster/index.js';
import { Helm, HELM_MAJORS, helmVersion, kubectlBinary } from '../support/kube-tools.js';
import { createTenant, startTestServer, syncAndWait, type TestServer } from '../support/server.js';
import { runTool } from '../support/skopeo.js';
import { waitFor } from '../support/wait.js';

/*
 * `charthouse agent --apply` end to end: the built CLI (dist/, so `npm run build` first) against the
 * real server, installing with the real helm 3.17.2 and 4.1.4 into the Kubernetes API test cluster.
 * Proves issue 14's items 4 and 5 through the process boundary: exit codes, stderr, the cluster view,
 * and `helm` / `kubectl` reading what was installed. One Charthouse server for the file, one kube
 * cluster per Helm major; each scenario has its own Charthouse cluster and profile (their releases
 * have their own names), so scenarios share no state but the server and the kube cluster.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const REGISTRY_PASSWORD = 'registry-pass-e2e-Vw52';
const DB_PASSWORD = 'db-pass-e2e-Qa19';
const CLUSTERS = '/api/v1/tenants/acme/clusters';

/** A chart whose `<release>-greeting` ConfigMap carries `.Values.greeting` (values.yaml: `default`). */
const GREETING_TEMPLATE =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\n' +
  'data:\n  greeting: {{ .Values.greeting | quote }}\n';

interface Release {
  name: string;
  namespace: string;
  revision: number;
  status: string;
}
interface ClusterView {
  lastHeartbeatAt: string | null;
  plan: { revision: number; deliveredRevision: number | null };
  layers: Array<{
    layer: string;
    state: string;
    reason: string | null;
    release: Release | null;
    planRevision: number | null;
    reportedAt: string | null;
  }>;
}

/**
 * A three-layer profile: `base` (synced, creates its namespace, the greeting variable), `cache`
 * (synced, after base) and `app` (hosted, after cache, the greeting and the sensitive password).
 * Release names carry the profile's name, so profiles can share a kube cluster.
 */
function stackProfile(name: string): { name: string; variables: unknown[]; layers: unknown[] } {
  return {
    name,
    variables: [
      { name: 'greeting', type: 'string', required: true },
      { name: 'dbPassword', type: 'string', required: true, sensitive: true },
    ],
    layers: [
      {
        name: 'base',
        registry: 'upstream',
        chart: 'base',
        version: '1.0.0',
        releaseName: `${name}-base`,
        namespace: `${name}-infra`,
        createNamespace: true,
        values: 'greeting: "{{ .Variables.greeting }}"\n',
      },
      {
        name: 'cache',
        registry: 'upstream',
        chart: 'cache',
        version: '1.0.0',
        releaseName: `${name}-cache`,
        namespace: 'default',
        dependsOn: ['base'],
        values: 'greeting: "{{ .Variables.greeting }}"\n',
      },
      {
        name: 'app',
        registry: 'hosted',
        chart: 'app',
        version: '0.1.0',
        releaseName: `${name}-app`,
        namespace: 'default',
        dependsOn: ['cache'],
        values: 'greeting: "{{ .Variables.greeting }}"\npassword: "{{ .Variables.dbPassword }}"\n',
      },
    ],
  };
}

/** `nons` goes to a namespace that does not exist (no createNamespace); `after` and `last` hang on it. */
const FAULTY_PROFILE = {
  name: 'faulty',
  layers: [
    {
      name: 'nons',
      registry: 'upstream',
      chart: 'cache',
      version: '1.0.0',
      releaseName: 'faulty-nons',
      namespace: 'faulty-absent',
    },
    {
      name: 'after',
      registry: 'upstream',
      chart: 'base',
      version: '1.0.0',
      releaseName: 'faulty-after',
      namespace: 'default',
      dependsOn: ['nons'],
    },
    {
      name: 'last',
      registry: 'hosted',
      chart: 'app',
      version: '0.1.0',
      releaseName: 'faulty-last',
      namespace: 'default',
      dependsOn: ['after'],
    },
    {
      name: 'solo',
      registry: 'upstream',
      chart: 'cache',
      version: '1.0.0',
      releaseName: 'faulty-solo',
      namespace: 'default',
    },
  ],
};

/**
 * A TCP forwarder to the server that can be closed (the port refuses connections, open ones are cut)
 * and opened again on the same port: the server going away and coming back, as the agent sees it.
 */
class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The agent as a process of its own, in its own process group (so a test can kill it with its helm). */
interface AgentProcess {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface AgentRun {
  code: number | null;
  stderr: string;
}

/** The environment of an operator's shell: nothing from the test run or a developer's CLI login. */
function agentEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('CHARTHOUSE_') && !k.startsWith('NODE_') && !k.startsWith('HELM_'))
      env[k] = v;
  }
  return { ...env, HOME: home };
}

/** One server for the file: the tenant, the synced and hosted charts and the published profiles. */
let server: TestServer;
let repo: ChartRepo;
let admin: string;

before(async () => {
  await access(CLI).catch(() => {
    throw new Error(`${CLI} is missing: run \`npm run build\` first (this test runs the built CLI)`);
  });
  repo = await startChartRepo([
    { name: 'base', version: '1.0.0', values: 'greeting: default\n', template: GREETING_TEMPLATE },
    { name: 'cache', version: '1.0.0', values: 'greeting: default\n', template: GREETING_TEMPLATE },
  ]);
  server = await startTestServer();
  admin = (await createTenant(server, 'acme')).adminToken;
  const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
    token: admin,
    body: {
      name: 'upstream',
      endpoint: repo.url,
      auth: { type: 'basic', username: 'sync', password: REGISTRY_PASSWORD },
    },
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const run = await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/upstream', admin);
  assert.equal(run.status, 'succeeded');
  const pushed = await uploadChart(
    server.url,
    'acme',
    chartTgz('app', '0.1.0', {
      path: 'app/templates/configmap.yaml',
      content:
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n' +
        'data:\n  greeting: {{ .Values.greeting | default "none" | quote }}\n' +
        '  password: {{ .Values.password | default "" | quote }}\n',
    }),
    basic('acme-admin'),
  );
  assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
  for (const profile of [
    stackProfile('stack'),
    stackProfile('moving'),
    stackProfile('crash'),
    FAULTY_PROFILE,
  ]) {
    const created = await server.api('POST', '/api/v1/tenants/acme/profiles', {
      token: admin,
      body: profile,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const published = await server.api(
      'POST',
      `/api/v1/tenants/acme/profiles/${profile.name}/versions/1.0.0/publish`,
      { token: admin },
    );
    assert.equal(published.status, 200, JSON.stringify(published.body));
  }
});

after(async () => {
  await server?.close();
  await repo?.close();
});

for (const major of HELM_MAJORS) {
  describe(`charthouse agent --apply end to end with helm ${helmVersion(major)}`, () => {
    let cluster: KubeCluster;
    let helm: Helm;
    let dir: string;
    /** Everything every agent of this major wrote to stderr and stdout, for the leak check. */
    const output: string[] = [];
    /** Every agent token handed out in this major, old and new. */
    const tokens: string[] = [];
    const spawned: ChildProcess[] = [];
    /** Charthouse's cluster for a scenario: both majors share the server, each has its own clusters. */
    const named = (scenario: string): string => `${scenario}-h${major}`;

    before(async () => {
      cluster = await startKubeCluster();
      helm = await Helm.start(major);
      dir = await mkdtemp(join(tmpdir(), `charthouse-agent-e2e-h${major}-`));
    });

    after(async () => {
      for (const child of spawned) {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          process.kill(-child.pid, 'SIGKILL');
        }
      }
      await helm?.close();
      await cluster?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** Registers an agent cluster with `profile` 1.0.0; returns its token file and work dir. */
    async function register(
      name: string,
      profile: string,
      variables: Record<string, unknown>,
    ): Promise<{ tokenFile: string; workDir: string }> {
      const res = await server.api<{ agentToken: string }>('POST', CLUSTERS, {
        token: admin,
        body: { name: named(name), mode: 'agent', profiles: [{ profile, version: '1.0.0', variables }] },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      tokens.push(res.body.agentToken);
      const tokenFile = join(dir, `${name}.token`);
      await writeFile(tokenFile, `${res.body.agentToken}\n`, { mode: 0o600 });
      return { tokenFile, workDir: join(dir, `${name}-work`) };
    }

    function agentArgs(
      who: { tokenFile: string; workDir: string },
      serverUrl: string,
      extra: string[],
    ): string[] {
      return [
        CLI,
        'agent',
        '--server',
        serverUrl,
        '--token-file',
        who.tokenFile,
        '--work-dir',
        who.workDir,
        '--apply',
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--helm',
        helm.binary,
        ...extra,
      ];
    }

    /** Starts `charthouse agent` (built) as its own process-group leader. */
    function startAgent(
      who: { tokenFile: string; workDir: string },
      extra: string[],
      serverUrl = server.url,
    ): AgentProcess {
      const child = spawn(process.execPath, agentArgs(who, serverUrl, extra), {
        cwd: dir,
        env: agentEnv(join(dir, 'home')),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      spawned.push(child);
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, signal) => {
          output.push(stderr, stdout);
          resolve({ code, signal });
        }),
      );
      return { child, stderr: () => stderr, exited };
    }

    async function runOnce(who: { tokenFile: string; workDir: string }): Promise<AgentRun> {
      const agent = startAgent(who, ['--once']);
      const { code } = await agent.exited;
      return { code, stderr: agent.stderr() };
    }

    /** Resolves when `hang` holds a request; fails at once if the agent exits first. */
    async function heldBy(agent: AgentProcess, arrived: Promise<void>): Promise<void> {
      await Promise.race([
        arrived,
        agent.exited.then(({ code }) =>
          assert.fail(`the agent exited (${code}) before helm reached the cluster:\n${agent.stderr()}`),
        ),
      ]);
    }

    async function view(name: string): Promise<ClusterView> {
      const res = await server.api<ClusterView>('GET', `${CLUSTERS}/${named(name)}`, { token: admin });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    }

    async function helmList(prefix: string): Promise<string[][]> {
      const run = await helm.ok(['list', '-A', '-o', 'json', '--kubeconfig', cluster.kubeconfigPath]);
      return (JSON.parse(run.stdout) as Array<Record<string, string>>)
        .filter((r) => r['name']!.startsWith(`${prefix}-`))
        .map((r) => [r['name']!, r['namespace']!, String(r['revision']), r['status']!])
        .sort((a, b) => a[0]!.localeCompare(b[0]!));
    }

    async function history(release: string, namespace: string): Promise<string[]> {
      const run = await helm.ok([
        'history',
        release,
        '-n',
        namespace,
        '-o',
        'json',
        '--kubeconfig',
        cluster.kubeconfigPath,
      ]);
      return (JSON.parse(run.stdout) as Array<{ revision: number; status: string }>).map(
        (h) => `${h.revision} ${h.status}`,
      );
    }

    /** A ConfigMap's data, read with the real kubectl. */
    async function kubectlData(namespace: string, name: string): Promise<unknown> {
      const run = await runTool(
        await kubectlBinary(major),
        ['--kubeconfig', cluster.kubeconfigPath, 'get', 'configmap', name, '-n', namespace, '-o', 'json'],
        { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cluster.home } },
      );
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(run.stdout) as { data: unknown }).data;
    }

    /** Helm's release records (Secrets labelled owner=helm) of one profile's releases. */
    function releaseSecrets(prefix: string): string[] {
      return cluster
        .list('secrets', { labelSelector: 'owner=helm' })
        .map((s) => `${s.metadata.namespace}/${s.metadata.name}`)
        .filter((s) => s.includes(`.${prefix}-`))
        .sort();
    }

    const installed = (prefix: string, revisions: [number, number, number] = [1, 1, 1]) => [
      [
        'base',
        'installed',
        { name: `${prefix}-base`, namespace: `${prefix}-infra`, revision: revisions[0], status: 'deployed' },
      ],
      [
        'cache',
        'installed',
        { name: `${prefix}-cache`, namespace: 'default', revision: revisions[1], status: 'deployed' },
      ],
      [
        'app',
        'installed',
        { name: `${prefix}-app`, namespace: 'default', revision: revisions[2], status: 'deployed' },
      ],
    ];
    const layerStates = (v: ClusterView) => v.layers.map((l) => [l.layer, l.state, l.release]);

    let stack: { tokenFile: string; workDir: string };

    it('installs a three-layer profile with --once --apply; a second run makes no new revisions', async () => {
      stack = await register('stack', 'stack', { greeting: 'hello', dbPassword: DB_PASSWORD });
      const first = await runOnce(stack);
      assert.equal(first.code, 0, first.stderr);

      const v = await view('stack');
      assert.deepEqual(layerStates(v), installed('stack'));
      assert.deepEqual(
        v.layers.map((l) => l.planRevision),
        [1, 1, 1],
      );
      assert.equal(v.plan.deliveredRevision, 1);

      assert.deepEqual(await helmList('stack'), [
        ['stack-app', 'default', '1', 'deployed'],
        ['stack-base', 'stack-infra', '1', 'deployed'],
        ['stack-cache', 'default', '1', 'deployed'],
      ]);
      assert.deepEqual(await kubectlData('stack-infra', 'stack-base-greeting'), { greeting: 'hello' });
      assert.deepEqual(await kubectlData('default', 'stack-cache-greeting'), { greeting: 'hello' });
      assert.deepEqual(await kubectlData('default', 'stack-app-settings'), {
        greeting: 'hello',
        password: DB_PASSWORD,
      });

      const records = releaseSecrets('stack');
      assert.equal(records.length, 3);
      const second = await runOnce(stack);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /stack\/app: release default\/stack-app revision 1 deployed \(unchanged\)/);
      assert.deepEqual(releaseSecrets('stack'), records);
      for (const [release, namespace] of [
        ['stack-base', 'stack-infra'],
        ['stack-cache', 'default'],
        ['stack-app', 'default'],
      ] as const) {
        assert.deepEqual(await history(release, namespace), ['1 deployed']);
      }
      assert.deepEqual(layerStates(await view('stack')), installed('stack'));
    });

    it('a failed layer stops its dependents (exit 1); the independent layer installs', async () => {
      const faulty = await register('faulty', 'faulty', {});
      const run = await runOnce(faulty);
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        /plan revision 1: 3 layer\(s\) failed: faulty\/nons, faulty\/after, faulty\/last/,
      );

      const layers = new Map((await view('faulty')).layers.map((l) => [l.layer, l]));
      const nons = layers.get('nons')!;
      assert.equal(nons.state, 'failed');
      assert.match(nons.reason!, /^installing faulty-nons: .*namespaces "faulty-absent" not found$/);
      assert.equal(layers.get('after')!.state, 'failed');
      assert.equal(
        layers.get('after')!.reason,
        `not installed: depends on nons, which failed: ${nons.reason!}`,
      );
      assert.equal(layers.get('last')!.state, 'failed');
      assert.equal(
        layers.get('last')!.reason,
        `not installed: depends on after, which failed: ${layers.get('after')!.reason!}`,
      );
      assert.equal(layers.get('solo')!.state, 'installed');
      assert.deepEqual(layers.get('solo')!.release, {
        name: 'faulty-solo',
        namespace: 'default',
        revision: 1,
        status: 'deployed',
      });
      assert.deepEqual(await helmList('faulty'), [['faulty-solo', 'default', '1', 'deployed']]);
    });

    it('the plan changes mid-apply: the current layer finishes, then the agent converges on the new plan', async () => {
      const moving = await register('moving', 'moving', { greeting: 'first', dbPassword: DB_PASSWORD });
      // Hold base's first object: its release record is pending by then.
      const hang = cluster.hang(
        (r) => r.method !== 'GET' && r.path.startsWith('/api/v1/namespaces/moving-infra/configmaps'),
      );
      const agent = startAgent(moving, ['--interval', '2s']);
      try {
        await heldBy(agent, hang.arrived);
        const patched = await server.api<ClusterView>('PATCH', `${CLUSTERS}/${named('moving')}`, {
          token: admin,
          body: { profiles: [{ profile: 'moving', version: '1.0.0', variables: { greeting: 'second' } }] },
        });
        assert.equal(patched.status, 200, JSON.stringify(patched.body));
        assert.equal(patched.body.plan.revision, 2);
      } finally {
        hang.release();
      }
      const converged = await waitFor(
        async () => {
          const v = await view('moving');
          return v.layers.every((l) => l.state === 'installed' && l.planRevision === 2) && v;
        },
        { what: 'every layer of moving installed for plan revision 2', intervalMs: 200 },
      );
      assert.deepEqual(layerStates(converged), installed('moving', [2, 1, 1]));
      // base finished for plan 1 (revision 1), then was upgraded for plan 2; cache and app waited.
      assert.deepEqual(await history('moving-base', 'moving-infra'), ['1 superseded', '2 deployed']);
      assert.deepEqual(await history('moving-cache', 'default'), ['1 deployed']);
      assert.deepEqual(await history('moving-app', 'default'), ['1 deployed']);
      assert.deepEqual(await kubectlData('moving-infra', 'moving-base-greeting'), { greeting: 'second' });
      assert.deepEqual(await kubectlData('default', 'moving-app-settings'), {
        greeting: 'second',
        password: DB_PASSWORD,
      });
      assert.match(agent.stderr(), /the plan changed during the run: fetching the new one/);
      assert.match(agent.stderr(), /plan revision 2: moving 1\.0\.0/);

      agent.child.kill('SIGTERM');
      assert.deepEqual(await agent.exited, { code: 0, signal: null });
    });

    it('the agent killed mid-install (with its helm) converges on the next run', async () => {
      const crash = await register('crash', 'crash', { greeting: 'again', dbPassword: DB_PASSWORD });
      const hang = cluster.hang(
        (r) => r.method !== 'GET' && r.path.startsWith('/api/v1/namespaces/crash-infra/configmaps'),
      );
      try {
        const agent = startAgent(crash, ['--once']);
        await heldBy(agent, hang.arrived);
        process.kill(-agent.child.pid!, 'SIGKILL');
        assert.equal((await agent.exited).signal, 'SIGKILL');
        assert.deepEqual(await history('crash-base', 'crash-infra'), ['1 pending-install']);
      } finally {
        hang.release();
      }
      const run = await runOnce(crash);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await helmList('crash'), [
        ['crash-app', 'default', '1', 'deployed'],
        [
          'crash-base',
          'crash-infra',
          (await history('crash-base', 'crash-infra')).length.toString(),
          'deployed',
        ],
        ['crash-cache', 'default', '1', 'deployed'],
      ]);
      assert.ok(
        (await view('crash')).layers.every(
          (l) => l.state === 'installed' && l.release?.status === 'deployed',
        ),
      );
      assert.deepEqual(await kubectlData('crash-infra', 'crash-base-greeting'), { greeting: 'again' });
    });

    let rotated: { tokenFile: string; workDir: string };

    it('a rotated token stops the agent with exit 3 and says what to do', async () => {
      const res = await server.api<{ agentToken: string }>(
        'POST',
        `${CLUSTERS}/${named('stack')}/agent-token`,
        {
          token: admin,
        },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      tokens.push(res.body.agentToken);
      const run = await runOnce(stack);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /refused the agent token/);
      assert.match(run.stderr, /rotated, or its cluster was deleted/);
      assert.match(
        run.stderr,
        /charthouse cluster rotate-token NAME --token-file FILE.*start the agent again/,
      );
      rotated = { tokenFile: join(dir, 'stack-rotated.token'), workDir: stack.workDir };
      await writeFile(rotated.tokenFile, `${res.body.agentToken}\n`, { mode: 0o600 });
    });

    it('the server unreachable: retries with growing waits keeping its plan, then reports when it is back', async () => {
      const proxy = new TcpProxy(await freePort(), Number(new URL(server.url).port));
      const before = await view('stack');
      // Nothing listens on the proxy's port yet: the agent has only the plan saved in its work dir.
      const agent = startAgent(rotated, ['--interval', '2s'], proxy.url);
      try {
        const retries = await waitFor(
          () => {
            const lines = agent
              .stderr()
              .split('\n')
              .filter((l) => l.includes('retrying in'));
            const waits = lines.map((l) => Number(/retrying in ([0-9.]+) s/.exec(l)?.[1]));
            // Full jitter: each wait is anywhere below its attempt's bound (1 s, 2 s, 4 s, ...); one
            // above 1 s shows the bound grew.
            return lines.length >= 3 && waits.some((w) => w > 1) && { lines, waits };
          },
          { what: 'three retries, one waiting more than 1 s', intervalMs: 100 },
        );
        retries.waits.forEach((w, attempt) =>
          assert.ok(w <= Math.min(60, 2 ** attempt), `wait ${w} s of attempt ${attempt}`),
        );
        for (const line of retries.lines) {
          assert.match(line, /server_unreachable|refused|ECONNREFUSED|unreachable/i);
          assert.match(line, /retrying in [0-9.]+ s \(keeping plan revision 1\)$/);
        }
        // No heartbeat reached the server meanwhile.
        assert.equal((await view('stack')).lastHeartbeatAt, before.lastHeartbeatAt);

        await proxy.open();
        const back = await waitFor(
          async () => {
            const v = await view('stack');
            return (
              v.lastHeartbeatAt !== before.lastHeartbeatAt &&
              v.layers.every(
                (l, i) => l.state === 'installed' && l.reportedAt !== before.layers[i]!.reportedAt,
              ) &&
              v
            );
          },
          { what: 'a heartbeat and fresh installed reports through the reopened proxy', intervalMs: 200 },
        );
        assert.deepEqual(layerStates(back), installed('stack'));
        // Back on the plan it kept: the same revision (whatever host it reaches the server by), no re-plan.
        assert.equal(back.plan.revision, 1);
        assert.deepEqual(
          back.layers.map((l) => l.planRevision),
          [1, 1, 1],
        );
        assert.doesNotMatch(agent.stderr(), /the plan changed during the run/);
        assert.deepEqual(await history('stack-app', 'default'), ['1 deployed']);
      } finally {
        agent.child.kill('SIGTERM');
        await proxy.close();
      }
      assert.deepEqual(await agent.exited, { code: 0, signal: null });
    });

    it('never writes an agent token, a registry password or a sensitive value to its output', () => {
      assert.ok(output.length > 0);
      const text = output.join('\n');
      for (const secret of [...tokens, REGISTRY_PASSWORD, DB_PASSWORD]) {
        assert.ok(!text.includes(secret), `the agent's output holds ${secret.slice(0, 8)}…`);
      }
      const log = server.logLines.join('\n');
      for (const secret of [...tokens, REGISTRY_PASSWORD, DB_PASSWORD]) {
        assert.ok(!log.includes(secret), `the server's log holds ${secret.slice(0, 8)}…`);
      }
    });
  });
}
