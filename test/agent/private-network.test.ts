import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { repoChartArchive, type RepoChart } from '../support/chart-repo.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { helmBinary } from '../support/kube-tools.js';
import { createPrivateNetwork, privateNetworkUnavailable, type PrivateNetwork } from '../support/netns.js';
import {
  startPrivateChartRepo,
  startPrivateDockerRegistry,
  type PrivateService,
  type ServedRequest,
} from '../support/private-services.js';
import type { ToolRun } from '../support/skopeo.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

/*
 * Issue 14, "A private network for real": the agent runs inside a network namespace that holds two
 * protected registries (Debian's docker-registry with htpasswd, and a classic repository with Basic
 * auth); the Charthouse server runs in the test's own namespace, which has no route to them. The agent
 * reaches the server over a veth pair, pulls and verifies the protected charts from inside, and the
 * server learns their digests only from the agent's reports. Both registries log the address of every
 * request: none may come from the server's side.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const OCI_PORT = 5000;
const CLASSIC_PORT = 8080;
const OCI_USER = { username: 'deployer', password: 'oci-pass-Jm42' };
const CLASSIC_USER = { username: 'reader', password: 'classic-pass-Wq17' };

const API_CHART: RepoChart = { name: 'private-api', version: '1.4.0' };
const APP_CHART: RepoChart = { name: 'internal-app', version: '1.0.0' };

interface PlanLayer {
  name: string;
  chart: string;
  version: string;
  digest: string | null;
  verification: string;
  pull: { via: 'charthouse'; path: string } | { via: 'registry'; registry: string; reference: string };
}
interface Plan {
  revision: number;
  profiles: Array<{ profile: string; version: string; layers: PlanLayer[] }>;
}
interface ClusterView {
  layers: Array<{
    profile?: string;
    layer: string;
    state: string;
    reason: string | null;
    digest: string | null;
  }>;
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// Decided once, before the suite: without root (or CAP_NET_ADMIN) these tests say why and skip.
const unavailable = await privateNetworkUnavailable();

describe(`the agent inside a private network (${TEST_DB})`, { skip: unavailable ?? false }, () => {
  let net: PrivateNetwork;
  let server: TestServer;
  let ociRegistry: PrivateService;
  let classicRepo: PrivateService;
  let acme: { adminToken: string; memberToken: string };
  let scratch: string;
  let repoFolder: string;
  const apiTgz = repoChartArchive(API_CHART);
  const appTgz = repoChartArchive(APP_CHART);
  const tokens = new Map<string, string>();

  /** Writes the classic repository's index.yaml and archives, as a repository's publisher would. */
  const publishClassic = async (charts: Array<{ chart: RepoChart; tgz: Buffer }>): Promise<void> => {
    const lines = ['apiVersion: v1', 'entries:'];
    for (const { chart, tgz } of charts) {
      const file = `${chart.name}-${chart.version}.tgz`;
      await writeFile(join(repoFolder, 'repo', 'charts', file), tgz);
      lines.push(
        `  ${chart.name}:`,
        '  - apiVersion: v2',
        `    name: ${chart.name}`,
        `    version: ${chart.version}`,
        `    digest: ${sha256(tgz).slice('sha256:'.length)}`,
        `    urls: [charts/${file}]`,
      );
    }
    await writeFile(join(repoFolder, 'repo', 'index.yaml'), `${lines.join('\n')}\n`);
  };

  const register = async (cluster: string, profiles: string[]): Promise<string> => {
    const res = await server.api<{ agentToken: string }>('POST', '/api/v1/tenants/acme/clusters', {
      token: acme.adminToken,
      body: {
        name: cluster,
        mode: 'agent',
        profiles: profiles.map((profile) => ({ profile, version: '1.0.0', variables: {} })),
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const file = join(scratch, `${cluster}.token`);
    await writeFile(file, `${res.body.agentToken}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    tokens.set(cluster, res.body.agentToken);
    return file;
  };

  /** The real built CLI, `charthouse agent --once`, run inside the private namespace. */
  const runAgent = (tokenFile: string, workDir: string): Promise<ToolRun> =>
    net.exec(
      process.execPath,
      [CLI, 'agent', '--server', server.url, '--token-file', tokenFile, '--once', '--work-dir', workDir],
      { cwd: ROOT, env: { HOME: scratch }, timeoutMs: 60_000 },
    );

  const clusterLayers = async (cluster: string): Promise<Map<string, ClusterView['layers'][number]>> => {
    const res = await server.api<ClusterView>('GET', `/api/v1/tenants/acme/clusters/${cluster}`, {
      token: acme.memberToken,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return new Map(res.body.layers.map((l) => [l.layer, l]));
  };

  const planLayers = async (cluster: string): Promise<Map<string, PlanLayer>> => {
    const res = await server.api<Plan>('GET', '/api/v1/agent/plan', { token: tokens.get(cluster)! });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return new Map(res.body.profiles.flatMap((p) => p.layers.map((l) => [l.name, l])));
  };

  /** Requests either registry received from anywhere but inside the namespace. */
  const fromOutside = (): ServedRequest[] =>
    [...ociRegistry.requests(), ...classicRepo.requests()].filter((r) => r.remote !== net.lanAddress);

  before(async () => {
    try {
      await access(CLI);
    } catch {
      assert.fail(`${CLI} is missing: run \`npm run build\` first (the test runs the built CLI)`);
    }
    scratch = await mkdtemp(join(tmpdir(), 'charthouse-private-net-'));
    net = await createPrivateNetwork();

    // The private LAN: a protected OCI registry holding a chart pushed by the real helm from inside,
    // and a protected classic repository.
    repoFolder = join(scratch, 'classic');
    await mkdir(join(repoFolder, 'repo', 'charts'), { recursive: true });
    await publishClassic([{ chart: APP_CHART, tgz: appTgz }]);
    [ociRegistry, classicRepo] = await Promise.all([
      startPrivateDockerRegistry(net, {
        port: OCI_PORT,
        users: { [OCI_USER.username]: OCI_USER.password },
      }),
      startPrivateChartRepo(net, {
        port: CLASSIC_PORT,
        folder: repoFolder,
        user: CLASSIC_USER.username,
        password: CLASSIC_USER.password,
      }),
    ]);
    const chartFile = join(scratch, `${API_CHART.name}-${API_CHART.version}.tgz`);
    await writeFile(chartFile, apiTgz);
    const helmHome = join(scratch, 'helm');
    const pushed = await net.exec(
      await helmBinary(3),
      [
        'push',
        chartFile,
        `oci://${ociRegistry.host}/charts`,
        '--plain-http',
        '--username',
        OCI_USER.username,
        '--password',
        OCI_USER.password,
      ],
      {
        env: {
          HOME: helmHome,
          HELM_CONFIG_HOME: join(helmHome, 'config'),
          HELM_CACHE_HOME: join(helmHome, 'cache'),
          HELM_DATA_HOME: join(helmHome, 'data'),
          HELM_REGISTRY_CONFIG: join(helmHome, 'registry.json'),
        },
      },
    );
    assert.equal(pushed.code, 0, `helm push inside the namespace: ${pushed.stderr}${ociRegistry.output()}`);

    // The server, on the host's end of the veth: the one address the private namespace can reach.
    server = await startTestServer({ CHARTHOUSE_HOST: net.hostAddress });
    acme = await createTenant(server, 'acme');
    const hosted = await uploadChart(server.url, 'acme', chartTgz('inhouse', '0.3.0'), basic('acme-admin'));
    assert.equal(hosted.status, 201, JSON.stringify(hosted.body));
    for (const body of [
      {
        name: 'lan-oci',
        endpoint: `oci://${ociRegistry.host}/charts`,
        plainHttp: true,
        protected: true,
        auth: { type: 'basic', ...OCI_USER },
      },
      {
        name: 'lan-charts',
        endpoint: `${classicRepo.url}/repo`,
        protected: true,
        auth: { type: 'basic', ...CLASSIC_USER },
      },
    ]) {
      const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
        token: acme.adminToken,
        body,
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
    }
    await createProfile('edge', [
      { name: 'inhouse', registry: 'hosted', chart: 'inhouse', version: '0.3.0', namespace: 'apps' },
      {
        name: 'api',
        registry: 'lan-oci',
        chart: API_CHART.name,
        version: API_CHART.version,
        namespace: 'apps',
      },
      {
        name: 'app',
        registry: 'lan-charts',
        chart: APP_CHART.name,
        version: APP_CHART.version,
        namespace: 'apps',
      },
    ]);
  });

  const createProfile = async (name: string, layers: unknown[]): Promise<void> => {
    const created = await server.api('POST', '/api/v1/tenants/acme/profiles', {
      token: acme.adminToken,
      body: { name, layers },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const published = await server.api(
      'POST',
      `/api/v1/tenants/acme/profiles/${name}/versions/1.0.0/publish`,
      {
        token: acme.adminToken,
      },
    );
    assert.equal(published.status, 200, JSON.stringify(published.body));
  };

  after(async () => {
    // Each on its own: a failed start leaves some undefined, and the network must go whatever happened.
    await server?.close().catch(() => {});
    await ociRegistry?.stop().catch(() => {});
    await classicRepo?.stop().catch(() => {});
    await net?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("has no route from the server's side to the protected registries; the namespace reaches both and the server", async () => {
    assert.equal(new URL(server.url).hostname, net.hostAddress);
    // From the test process, which is the server's process in the server's namespace.
    for (const port of [OCI_PORT, CLASSIC_PORT]) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const socket = connect({ host: net.lanAddress, port, timeout: 5000 });
        socket.once('connect', () => {
          socket.destroy();
          resolve(null);
        });
        socket.once('timeout', () => {
          socket.destroy();
          resolve(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
        });
        socket.once('error', resolve);
      });
      assert.ok(error, `the host connected to ${net.lanAddress}:${port}`);
      assert.match(error.code ?? '', /^(EHOSTUNREACH|ENETUNREACH)$/, error.message);
    }
    // The private namespace's only route is its veth link: no default route, no way elsewhere.
    const routes = await net.exec('ip', ['-4', 'route', 'show']);
    assert.equal(routes.stdout.trim().split('\n').length, 1, routes.stdout);
    assert.doesNotMatch(routes.stdout, /default/);
    // From inside, both registries demand credentials and the server answers.
    for (const url of [`${ociRegistry.url}/v2/`, `${classicRepo.url}/repo/index.yaml`]) {
      const curl = await net.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url]);
      assert.equal(curl.stdout, '401', url);
    }
    const health = await net.exec('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `${server.url}/healthz`,
    ]);
    assert.equal(health.stdout, '200', `the namespace reaches the server: ${health.stderr}`);
  });

  it('pulls and verifies the protected charts from inside: exit 0, every layer verified, the digests pinned', async () => {
    const tokenFile = await register('branch-1', ['edge']);
    const before = await planLayers('branch-1');
    assert.equal(before.get('api')!.verification, 'unverified');
    assert.equal(before.get('app')!.digest, null);
    const ociSeen = ociRegistry.requests().length;
    const classicSeen = classicRepo.requests().length;

    const run = await runAgent(tokenFile, join(scratch, 'agent-1'));
    assert.equal(run.code, 0, `agent exit ${run.code}:\n${run.stderr}\n${run.stdout}`);

    const states = await clusterLayers('branch-1');
    assert.deepEqual(
      [...states].map(([layer, s]) => [layer, s.state]),
      [
        ['inhouse', 'verified'],
        ['api', 'verified'],
        ['app', 'verified'],
      ],
    );
    const after = await planLayers('branch-1');
    assert.deepEqual(
      { verification: after.get('api')!.verification, digest: after.get('api')!.digest },
      { verification: 'verified', digest: sha256(apiTgz) },
    );
    assert.deepEqual(
      { verification: after.get('app')!.verification, digest: after.get('app')!.digest },
      { verification: 'verified', digest: sha256(appTgz) },
    );

    // The registries saw the agent: the OCI chart's blob, the classic index and archive, with credentials.
    const ociRun = ociRegistry.requests().slice(ociSeen);
    const classicRun = classicRepo.requests().slice(classicSeen);
    const blob = ociRun.find((r) => r.path.endsWith(`/blobs/${sha256(apiTgz)}`) && r.status === 200);
    assert.ok(blob, `the agent fetched the chart blob: ${JSON.stringify(ociRun)}`);
    for (const path of ['/repo/index.yaml', `/repo/charts/${APP_CHART.name}-${APP_CHART.version}.tgz`]) {
      assert.ok(
        classicRun.some((r) => r.path === path && r.status === 200),
        `the agent fetched ${path}: ${JSON.stringify(classicRun)}`,
      );
    }
    assert.deepEqual(fromOutside(), [], 'a registry was reached from outside the private network');
  });

  it('fails a layer whose archive is not what was verified, or whose Chart.yaml says another version: exit 1, nothing pinned', async () => {
    // The classic repository now serves other bytes for the verified version, and a chart whose
    // Chart.yaml says 2.0.1 under the name of 2.0.0.
    const swapped = repoChartArchive({ ...APP_CHART, values: 'replicaCount: 2\n' });
    const tools: RepoChart = { name: 'internal-tools', version: '2.0.0' };
    const mislabelled = repoChartArchive({ ...tools, version: '2.0.1' });
    await publishClassic([
      { chart: APP_CHART, tgz: swapped },
      { chart: tools, tgz: mislabelled },
    ]);
    await createProfile('tools', [
      { name: 'tools', registry: 'lan-charts', chart: tools.name, version: tools.version, namespace: 'ops' },
    ]);
    // A second cluster, a fresh agent: its plan pins the digest the first one verified.
    const tokenFile = await register('branch-2', ['edge', 'tools']);
    assert.equal((await planLayers('branch-2')).get('app')!.digest, sha256(appTgz));

    const run = await runAgent(tokenFile, join(scratch, 'agent-2'));
    assert.equal(run.code, 1, `agent exit ${run.code}:\n${run.stderr}\n${run.stdout}`);

    const states = await clusterLayers('branch-2');
    assert.equal(states.get('inhouse')!.state, 'verified');
    assert.equal(states.get('api')!.state, 'verified');
    assert.equal(states.get('app')!.state, 'failed');
    assert.match(states.get('app')!.reason!, new RegExp(sha256(swapped).slice(7, 19)));
    assert.match(states.get('app')!.reason!, new RegExp(sha256(appTgz).slice(7, 19)));
    assert.equal(states.get('tools')!.state, 'failed');
    assert.match(states.get('tools')!.reason!, /2\.0\.1/);
    // The agent itself refused both (the server would also refuse a report of another version).
    assert.match(run.stderr, /edge\/app: failed: .*sha256/);
    assert.match(run.stderr, /tools\/tools: failed: .*2\.0\.1/);

    // Nothing changed what was verified: the first cluster stays verified, the pins stay.
    assert.equal((await clusterLayers('branch-1')).get('app')!.state, 'verified');
    const plan = await planLayers('branch-2');
    assert.equal(plan.get('app')!.digest, sha256(appTgz));
    assert.deepEqual(
      { verification: plan.get('tools')!.verification, digest: plan.get('tools')!.digest },
      { verification: 'unverified', digest: null },
    );
    assert.deepEqual(fromOutside(), [], 'a registry was reached from outside the private network');
  });

  it('never had the server reach either protected registry, and never logged their passwords', () => {
    const all = [...ociRegistry.requests(), ...classicRepo.requests()];
    assert.ok(all.length > 0);
    assert.deepEqual(
      [...new Set(all.map((r) => r.remote))],
      [net.lanAddress],
      'every request came from inside the namespace',
    );
    const log = server.logLines.join('\n');
    for (const secret of [OCI_USER.password, CLASSIC_USER.password, ...tokens.values()])
      assert.ok(!log.includes(secret), 'a secret reached the server log');
  });
});
