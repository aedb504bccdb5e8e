import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startChartRepo, type ChartRepo } from '../support/chart-repo.js';
import {
  sendBody,
  startFixtureServer,
  withBasicAuth,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { signChartProvenance, testSigningKey } from '../support/provenance.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGISTRY_USER = { username: 'deploy', password: 'private-pass-Hq29' };
const SECRET = 'sensitive-value-Vb55';

interface ClusterView {
  plan: { revision: number; deliveredRevision: number | null };
  connection: string;
  layers: Array<{
    layer: string;
    state: string;
    reason: string | null;
    digest: string | null;
    provenance: string | null;
  }>;
}
interface Plan {
  revision: number;
  profiles: Array<{ layers: Array<{ name: string; digest: string | null; verification: string }> }>;
}

/** The real built CLI, as an operator runs it inside the tenant's network. */
function agent(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'agent', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/**
 * `charthouse agent --once` against the real server: hosted and synced charts through Charthouse,
 * a protected classic repository straight from the agent (Basic auth), provenance with a keyring,
 * reports, the protected digest pinned afterwards; bad bytes upstream; a refused token.
 */
describe(`charthouse agent --once (${TEST_DB})`, () => {
  let server: TestServer;
  let repo: ChartRepo;
  let privateRepo: FixtureServer;
  let privateFiles = new Map<string, Buffer>();
  let work: string;
  let tokenFile: string;
  let keyringFile: string;
  let token = '';
  const internal = chartTgz('internal-app', '1.0.0');

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'charthouse-agent-'));
    repo = await startChartRepo([{ name: 'web', version: '1.2.0' }]);
    // The protected classic repository: the server never talks to it, only the agent does.
    privateFiles = new Map([['/repo/charts/internal-app-1.0.0.tgz', internal]]);
    const index = () =>
      [
        'apiVersion: v1',
        'entries:',
        '  internal-app:',
        '  - apiVersion: v2',
        '    name: internal-app',
        '    version: 1.0.0',
        '    urls: [charts/internal-app-1.0.0.tgz]',
        '',
      ].join('\n');
    privateRepo = await startFixtureServer(
      withBasicAuth(REGISTRY_USER.username, REGISTRY_USER.password, (req, res) => {
        const p = new URL(req.url ?? '/', 'http://x').pathname;
        if (p === '/repo/index.yaml') return sendBody(index())(req, res);
        const file = privateFiles.get(p);
        if (file) return sendBody(file, { headers: { 'content-type': 'application/gzip' } })(req, res);
        res.writeHead(404).end();
      }),
    );
    server = await startTestServer();
    const acme = await createTenant(server, 'acme');
    const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: { name: 'upstream', endpoint: repo.url },
    });
    assert.equal(added.status, 201);
    assert.equal(
      (await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/upstream', acme.adminToken)).status,
      'succeeded',
    );
    const prot = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: {
        name: 'private',
        endpoint: `${privateRepo.url}/repo`,
        protected: true,
        auth: { type: 'basic', ...REGISTRY_USER },
      },
    });
    assert.equal(prot.status, 201, JSON.stringify(prot.body));
    // A signed hosted chart, and the keyring the agent checks it with.
    const { privateKey, publicKey } = await testSigningKey();
    const inhouse = chartTgz('inhouse', '0.3.0');
    assert.equal((await uploadChart(server.url, 'acme', inhouse, basic('acme-admin'))).status, 201);
    const prov = await signChartProvenance(privateKey, { name: 'inhouse', version: '0.3.0' }, inhouse);
    const provUp = await fetch(`${server.url}/helm/acme/api/prov`, {
      method: 'POST',
      headers: { authorization: basic('acme-admin'), 'content-type': 'application/pgp-signature' },
      body: prov,
    });
    assert.equal(provUp.status, 201, await provUp.text());
    keyringFile = path.join(work, 'keyring.asc');
    await writeFile(keyringFile, publicKey.armor());

    const created = await server.api('POST', '/api/v1/tenants/acme/profiles', {
      token: acme.adminToken,
      body: {
        name: 'stack',
        variables: [{ name: 'secret', type: 'string', required: true, sensitive: true }],
        layers: [
          {
            name: 'web',
            registry: 'upstream',
            chart: 'web',
            version: '1.2.0',
            namespace: 'apps',
            values: 'token: "{{ .Variables.secret }}"\n',
          },
          { name: 'inhouse', registry: 'hosted', chart: 'inhouse', version: '0.3.0', namespace: 'apps' },
          {
            name: 'internal',
            registry: 'private',
            chart: 'internal-app',
            version: '1.0.0',
            namespace: 'apps',
          },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(
      (
        await server.api('POST', '/api/v1/tenants/acme/profiles/stack/versions/1.0.0/publish', {
          token: acme.adminToken,
        })
      ).status,
      200,
    );
    const cluster = await server.api<{ agentToken: string }>('POST', '/api/v1/tenants/acme/clusters', {
      token: acme.adminToken,
      body: {
        name: 'edge',
        mode: 'agent',
        profiles: [{ profile: 'stack', version: '1.0.0', variables: { secret: SECRET } }],
      },
    });
    assert.equal(cluster.status, 201, JSON.stringify(cluster.body));
    token = cluster.body.agentToken;
    tokenFile = path.join(work, 'agent-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    (globalThis as { adminToken?: string }).adminToken = acme.adminToken;
  });
  after(async () => {
    await server.close();
    await repo.close();
    await privateRepo.close();
    await rm(work, { recursive: true, force: true });
  });

  const view = async (): Promise<ClusterView> =>
    (
      await server.api<ClusterView>('GET', '/api/v1/tenants/acme/clusters/edge', {
        token: (globalThis as { adminToken?: string }).adminToken!,
      })
    ).body;
  const run = (workDir: string, extra: string[] = []) =>
    agent([
      '--server',
      server.url,
      '--token-file',
      tokenFile,
      '--once',
      '--work-dir',
      workDir,
      '--keyring',
      keyringFile,
      ...extra,
    ]);

  it('pulls every layer, the protected one straight from its registry, verifies and reports; the digest is then pinned', async () => {
    const requestsBefore = privateRepo.requests.length;
    const result = await run(path.join(work, 'w1'));
    assert.equal(result.code, 0, result.stderr);
    const states = new Map((await view()).layers.map((l) => [l.layer, l]));
    for (const layer of ['web', 'inhouse', 'internal'])
      assert.equal(states.get(layer)!.state, 'verified', layer);
    assert.match(states.get('inhouse')!.provenance!, /^verified: Charthouse test signer/);
    assert.equal(states.get('web')!.provenance, 'unsigned');
    const pinned = `sha256:${createHash('sha256').update(internal).digest('hex')}`;
    assert.equal(states.get('internal')!.digest, pinned);
    // The agent, not the server, fetched the protected chart, with its credentials.
    const fetched = privateRepo.requests.slice(requestsBefore).map((r) => r.url);
    assert.ok(fetched.includes('/repo/charts/internal-app-1.0.0.tgz'), JSON.stringify(fetched));
    const plan = await server.api<Plan>('GET', '/api/v1/agent/plan', { token });
    const layer = plan.body.profiles[0]!.layers.find((l) => l.name === 'internal')!;
    assert.equal(layer.digest, pinned);
    assert.equal(layer.verification, 'verified');
    const mode = (await stat(path.join(work, 'w1', 'plan.json'))).mode & 0o777;
    assert.equal(mode, 0o600);
    for (const secret of [token, REGISTRY_USER.password, SECRET]) {
      assert.ok(!result.stderr.includes(secret), 'the agent logged a secret');
      assert.ok(!server.logLines.join('\n').includes(secret), 'the server logged a secret');
    }
  });

  it('a second run with everything cached reads only the plan and reports', async () => {
    const before = privateRepo.requests.length;
    const result = await run(path.join(work, 'w1'));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(privateRepo.requests.length, before, 'the cached protected chart was fetched again');
    assert.match(result.stderr, /cached/);
  });

  it('fails a layer whose bytes differ from the pinned digest, and one whose Chart.yaml names another version', async () => {
    privateFiles.set(
      '/repo/charts/internal-app-1.0.0.tgz',
      chartTgz('internal-app', '1.0.0', { path: 'internal-app/extra.txt', content: 'x' }),
    );
    const swapped = await run(path.join(work, 'w2'));
    assert.equal(swapped.code, 1, swapped.stderr);
    let internalState = (await view()).layers.find((l) => l.layer === 'internal')!;
    assert.equal(internalState.state, 'failed');
    assert.match(internalState.reason!, /sha256/);

    // Other bytes upstream for a synced chart: the server refuses to pass them on.
    repo.setCharts([{ name: 'web', version: '1.2.0', appVersion: 'changed' }]);
    const changed = await run(path.join(work, 'w3'));
    assert.equal(changed.code, 1);
    const web = (await view()).layers.find((l) => l.layer === 'web')!;
    assert.equal(web.state, 'failed');
    assert.match(web.reason!, /pinned|sha256/);
    privateFiles.set('/repo/charts/internal-app-1.0.0.tgz', internal);
    internalState = (await view()).layers.find((l) => l.layer === 'internal')!;
    assert.equal(internalState.state, 'failed');
  });

  it('stops with a clear message and exit code 3 when its token is refused', async () => {
    const rotated = await server.api<{ agentToken: string }>(
      'POST',
      '/api/v1/tenants/acme/clusters/edge/agent-token',
      {
        token: (globalThis as { adminToken?: string }).adminToken!,
      },
    );
    assert.equal(rotated.status, 200);
    const result = await run(path.join(work, 'w4'));
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /refused the agent token.*rotated/s);
    assert.ok(!result.stderr.includes(token));
  });
});
