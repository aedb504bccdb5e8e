import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterList, ClusterView } from '../../src/client/api-client.js';
import { startChartRepo, type ChartRepo } from '../support/chart-repo.js';
import { assertCliOk, runCli, type CliRun } from '../support/cli.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';

const SECRET = 'hunter2-sensitive-value';

/** A kubeconfig whose user runs an exec plugin: a command on the server's machine, always refused. */
const EXEC_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: c
    cluster: {server: "https://127.0.0.1:6443"}
users:
  - name: u
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: /bin/sh
        args: ["-c", "id"]
contexts:
  - name: x
    context: {cluster: c, user: u}
current-context: x
`;

const KUBE_TOKEN = 'kube-bearer-token-never-shown';
/** Credentials embedded, https, a loopback API server (tests allow private endpoints): accepted. */
const GOOD_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: c
    cluster: {server: "https://127.0.0.1:6443"}
users:
  - name: u
    user: {token: ${KUBE_TOKEN}}
contexts:
  - name: x
    context: {cluster: c, user: u}
current-context: x
`;

describe(`charthouse cluster commands (${TEST_DB})`, () => {
  let server: TestServer;
  let repo: ChartRepo;
  let dir: string;
  let adminConfig: string;
  let memberConfig: string;
  const T = ['--tenant', 'acme'];
  const run = (args: string[]): Promise<CliRun> => runCli(adminConfig, args);
  const asMember = (args: string[]): Promise<CliRun> => runCli(memberConfig, args);
  const planStatus = async (token: string): Promise<number> =>
    (await server.api('GET', '/api/v1/agent/plan', { token })).status;
  const clusterJson = async (name: string): Promise<ClusterView> => {
    const show = await run(['cluster', 'show', name, ...T, '--json']);
    assertCliOk(show, 'cluster show --json');
    return JSON.parse(show.stdout) as ClusterView;
  };
  const clusterJsonText = async (name: string): Promise<string> => JSON.stringify(await clusterJson(name));
  const clusterNames = async (): Promise<string[]> => {
    const list = await run(['cluster', 'list', ...T, '--json']);
    assertCliOk(list, 'cluster list --json');
    return (JSON.parse(list.stdout) as ClusterList).items.map((c) => c.name).sort();
  };

  before(async () => {
    repo = await startChartRepo([{ name: 'web', version: '1.2.0' }]);
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
    const created = await server.api('POST', '/api/v1/tenants/acme/profiles', {
      body: {
        name: 'platform',
        version: '1.0.0',
        variables: [
          { name: 'replicas', type: 'number', default: 1 },
          { name: 'tier', type: 'string', default: 'gold' },
          { name: 'password', type: 'string', sensitive: true },
        ],
        layers: [
          {
            name: 'web',
            registry: 'upstream',
            chart: 'web',
            version: '1.2.0',
            namespace: 'apps',
            values:
              'replicaCount: {{ .Variables.replicas }}\ntier: "{{ .Variables.tier }}"\npassword: "{{ .Variables.password }}"\n',
          },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const published = await server.api(
      'POST',
      '/api/v1/tenants/acme/profiles/platform/versions/1.0.0/publish',
    );
    assert.equal(published.status, 200, JSON.stringify(published.body));

    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-cluster-cli-'));
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
    await server.close();
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates an agent cluster with typed values and writes its token to a 0600 file', async () => {
    const tokenFile = path.join(dir, 'edge.token');
    const created = await run([
      'cluster',
      'create',
      'edge',
      ...T,
      '--mode',
      'agent',
      '--description',
      'The edge site',
      '--profile',
      'platform@1.0.0',
      '--set',
      'platform.replicas=3',
      '--set',
      `platform.password=${SECRET}`,
      '--token-file',
      tokenFile,
    ]);
    assertCliOk(created, 'cluster create --token-file');
    assert.equal(
      created.stdout,
      `Created cluster edge (tenant acme, agent mode, profiles: platform@1.0.0); the agent token is in ${tokenFile} (mode 0600).\n`,
    );
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    const token = await readFile(tokenFile, 'utf8');
    assert.ok(token.length >= 20 && !token.includes('\n'), 'the file holds the token alone');
    assert.ok(!created.stdout.includes(token) && !created.stderr.includes(token), 'never printed');
    assert.equal(await planStatus(token), 200, 'the token is the cluster agent token');

    const c = await clusterJson('edge');
    assert.deepEqual(c.profiles, [
      {
        profile: 'platform',
        version: '1.0.0',
        variables: [
          { name: 'replicas', sensitive: false, value: 3, set: true },
          { name: 'tier', sensitive: false, set: false },
          { name: 'password', sensitive: true, set: true },
        ],
      },
    ]);
  });

  it('prints the token once, alone on stdout, without --token-file', async () => {
    const created = await run(['cluster', 'create', 'lab', ...T, '--mode', 'agent']);
    assertCliOk(created, 'cluster create');
    const token = created.stdout.trim();
    assert.equal(created.stdout, `${token}\n`);
    assert.match(created.stderr, /^Created cluster lab .*it will not be shown again/);
    assert.equal(await planStatus(token), 200);
    const again = await clusterJson('lab');
    assert.ok(!JSON.stringify(again).includes(token), 'show never returns the token');
  });

  it('refuses a value of the wrong type or an unknown variable before creating anything', async () => {
    const typed = await run([
      'cluster',
      'create',
      'bad',
      ...T,
      '--mode',
      'agent',
      '--profile',
      'platform@1.0.0',
      '--set',
      'platform.replicas=three',
    ]);
    assert.equal(typed.code, 2, typed.stderr);
    assert.equal(
      typed.stderr,
      'error: --set platform.replicas=three: replicas is a number variable of platform 1.0.0\n',
    );
    const unknown = await run([
      'cluster',
      'create',
      'bad',
      ...T,
      '--mode',
      'agent',
      '--profile',
      'platform@1.0.0',
      '--set',
      'platform.colour=red',
    ]);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(
      unknown.stderr,
      /platform 1\.0\.0 has no variable colour \(its variables: replicas, tier, password\)/,
    );
    const missing = await run(['cluster', 'create', 'bad', ...T, '--mode', 'kubeconfig']);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--mode kubeconfig needs --kubeconfig-file/);
    assert.deepEqual(await clusterNames(), ['edge', 'lab']);
  });

  it("prints the server's 422 for a bad kubeconfig and creates nothing; a good one makes a cluster", async () => {
    const file = path.join(dir, 'cluster.kubeconfig');
    const create = async (kubeconfig: string): Promise<CliRun> => {
      await writeFile(file, kubeconfig);
      return run(['cluster', 'create', 'kc', ...T, '--mode', 'kubeconfig', '--kubeconfig-file', file]);
    };
    const exec = await create(EXEC_KUBECONFIG);
    assert.equal(exec.code, 1, exec.stderr);
    assert.match(
      exec.stderr,
      /^error: .+\n {2}kubeconfig\.users\[0\]\.user\.exec: User "u" runs an exec plugin, which the server will never run: .+\n$/,
    );
    const metadata = await create(GOOD_KUBECONFIG.replace('127.0.0.1:6443', '169.254.169.254'));
    assert.equal(metadata.code, 1, metadata.stderr);
    assert.match(metadata.stderr, /^error: .+\n {2}kubeconfig\.clusters: .+/);
    assert.doesNotMatch(exec.stderr + metadata.stderr, /hint:/);
    assert.deepEqual(await clusterNames(), ['edge', 'lab']);

    const tokenFile = await run([
      'cluster',
      'create',
      'kc',
      ...T,
      '--mode',
      'kubeconfig',
      '--kubeconfig-file',
      file,
      '--token-file',
      path.join(dir, 'kc.token'),
    ]);
    assert.equal(tokenFile.code, 2, tokenFile.stderr);
    assert.match(tokenFile.stderr, /--token-file is for --mode agent/);

    const good = await create(GOOD_KUBECONFIG);
    assertCliOk(good, 'cluster create --mode kubeconfig');
    assert.equal(good.stdout, 'Created cluster kc (tenant acme, kubeconfig mode, profiles: none).\n');
    const show = await run(['cluster', 'show', 'kc', ...T]);
    assertCliOk(show, 'cluster show (kubeconfig)');
    assert.match(show.stdout, /^Mode: +kubeconfig$/m);
    assert.match(show.stdout, /^API server: +https:\/\/127\.0\.0\.1:6443$/m);
    assert.ok(!show.stdout.includes(KUBE_TOKEN) && !(await clusterJsonText('kc')).includes(KUBE_TOKEN));
    assertCliOk(await run(['cluster', 'delete', 'kc', ...T, '--yes']), 'cluster delete kc');
  });

  it('lists clusters and shows one, sensitive values only as set', async () => {
    const list = await run(['cluster', 'list', ...T]);
    assertCliOk(list, 'cluster list');
    assert.match(list.stdout, /^NAME +MODE +CONNECTION +LAST HEARTBEAT +PROFILES +PLAN +LAYERS$/m);
    assert.match(list.stdout, /^edge +agent +never +- +platform@1\.0\.0 +\d+ /m);
    assert.match(list.stdout, /^lab +agent +never +- +- +/m);

    const show = await run(['cluster', 'show', 'edge', ...T]);
    assertCliOk(show, 'cluster show');
    assert.match(show.stdout, /^Cluster: +edge$/m);
    assert.match(show.stdout, /^Description: +The edge site$/m);
    assert.match(show.stdout, /^Connection: +never \(no agent has called yet\)$/m);
    assert.match(show.stdout, /^platform +replicas +3$/m);
    assert.match(show.stdout, /^platform +tier +\(not set: the default applies\)$/m);
    assert.match(show.stdout, /^platform +password +\(sensitive, set\)$/m);
    assert.ok(!show.stdout.includes(SECRET), 'a sensitive value is never shown');
    assert.ok(!(await run(['cluster', 'show', 'edge', ...T, '--json'])).stdout.includes(SECRET));

    const gone = await run(['cluster', 'show', 'nowhere', ...T]);
    assert.equal(gone.code, 1, gone.stderr);
    assert.match(gone.stderr, /^error: .+/);
  });

  it('assign replaces the profiles; a sensitive value is kept until --unset', async () => {
    const before = await clusterJson('edge');
    const assigned = await run([
      'cluster',
      'assign',
      'edge',
      ...T,
      '--profile',
      'platform@1.0.0',
      '--set',
      'platform.tier=silver',
    ]);
    assertCliOk(assigned, 'cluster assign');
    assert.match(
      assigned.stdout,
      /^Cluster edge \(tenant acme\) now has profiles: platform@1\.0\.0; plan revision \d+\.\n$/,
    );
    let c = await clusterJson('edge');
    assert.ok(c.plan.revision > before.plan.revision, 'the plan changed');
    assert.deepEqual(c.profiles[0]!.variables, [
      { name: 'replicas', sensitive: false, set: false },
      { name: 'tier', sensitive: false, value: 'silver', set: true },
      { name: 'password', sensitive: true, set: true },
    ]);

    const unset = await run([
      'cluster',
      'assign',
      'edge',
      ...T,
      '--profile',
      'platform@1.0.0',
      '--unset',
      'platform.password',
      '--json',
    ]);
    assertCliOk(unset, 'cluster assign --unset');
    c = JSON.parse(unset.stdout) as ClusterView;
    assert.deepEqual(
      c.profiles[0]!.variables.find((v) => v.name === 'password'),
      {
        name: 'password',
        sensitive: true,
        set: false,
      },
    );

    const none = await run(['cluster', 'assign', 'edge', ...T, '--none']);
    assertCliOk(none, 'cluster assign --none');
    assert.match(none.stdout, /now has profiles: none;/);
    const nothing = await run(['cluster', 'assign', 'edge', ...T]);
    assert.equal(nothing.code, 2, nothing.stderr);
  });

  it('rotates the token into an existing file: 0600 again, the old token refused', async () => {
    const tokenFile = path.join(dir, 'edge.token');
    const old = await readFile(tokenFile, 'utf8');
    await chmod(tokenFile, 0o644);
    const rotated = await run(['cluster', 'rotate-token', 'edge', ...T, '--token-file', tokenFile]);
    assertCliOk(rotated, 'cluster rotate-token');
    assert.match(
      rotated.stdout,
      /^New agent token for cluster edge .*the agent token is in .* \(mode 0600\)\.$/m,
    );
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    const fresh = await readFile(tokenFile, 'utf8');
    assert.notEqual(fresh, old);
    assert.equal(await planStatus(fresh), 200);
    assert.equal(await planStatus(old), 401);

    const json = await run(['cluster', 'rotate-token', 'lab', ...T, '--json']);
    assertCliOk(json, 'cluster rotate-token --json');
    const issued = JSON.parse(json.stdout) as { agentToken: string; tokenCreatedAt: string };
    assert.equal(await planStatus(issued.agentToken), 200);
  });

  it('lets a member read clusters and refuses every write', async () => {
    const list = await asMember(['cluster', 'list', ...T]);
    assertCliOk(list, 'member cluster list');
    assert.match(list.stdout, /^edge /m);
    const tokenFile = path.join(dir, 'member.token');
    const refused: CliRun[] = [
      await asMember(['cluster', 'create', 'mine', ...T, '--mode', 'agent', '--token-file', tokenFile]),
      await asMember(['cluster', 'assign', 'edge', ...T, '--profile', 'platform@1.0.0']),
      await asMember(['cluster', 'rotate-token', 'edge', ...T]),
      await asMember(['cluster', 'delete', 'edge', ...T, '--yes']),
    ];
    for (const r of refused) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: .+/);
      assert.equal(r.stdout, '', 'no token, nothing done');
    }
    await assert.rejects(stat(tokenFile), { code: 'ENOENT' });
    assert.deepEqual(await clusterNames(), ['edge', 'lab']);
  });

  it('deletes a cluster, asking first unless --yes; its token stops working', async () => {
    const tokenFile = path.join(dir, 'edge.token');
    const noTty = await run(['cluster', 'delete', 'edge', ...T]);
    assert.equal(noTty.code, 2, noTty.stderr);
    assert.match(noTty.stderr, /add --yes/);
    const deleted = await run(['cluster', 'delete', 'edge', ...T, '--yes']);
    assertCliOk(deleted, 'cluster delete');
    assert.equal(deleted.stdout, 'Deleted cluster edge (tenant acme).\n');
    assert.equal(await planStatus(await readFile(tokenFile, 'utf8')), 401);
    const json = await run(['cluster', 'delete', 'lab', ...T, '--yes', '--json']);
    assertCliOk(json, 'cluster delete --json');
    assert.deepEqual(JSON.parse(json.stdout), { deleted: { cluster: 'lab' } });
    assert.equal((await run(['cluster', 'list', ...T])).stdout, 'No clusters.\n');
  });
});
