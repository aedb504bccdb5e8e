import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startChartRepo, TEST_VALUES_SCHEMA, type ChartRepo } from '../support/chart-repo.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';

interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ field?: string; message: string }> };
}
interface PlanLayer {
  name: string;
  chart: string;
  version: string;
  digest: string | null;
  verification: string;
  values: Record<string, unknown>;
  pull: { via: 'charthouse'; path: string } | { via: 'registry'; registry: string; reference: string };
  provenance: string | null;
}
interface Plan {
  tenant: string;
  cluster: string;
  revision: number;
  profiles: Array<{ profile: string; version: string; layers: PlanLayer[] }>;
  registries: Record<string, { endpoint: string; username: string | null; password: string | null }>;
}
interface ClusterView {
  name: string;
  mode: string;
  connection: string;
  agentVersion: string | null;
  server: string | null;
  profiles: Array<{
    profile: string;
    version: string;
    variables: Array<{ name: string; set: boolean; value?: unknown; sensitive: boolean }>;
  }>;
  plan: { revision: number; deliveredRevision: number | null };
  layers: Array<{ layer: string; state: string; reason: string | null; digest: string | null }>;
}

const REGISTRY_PASSWORD = 'registry-pass-Zq81';
const DB_PASSWORD = 'db-pass-Kx73';
const PRIVATE_DIGEST = `sha256:${'ab'.repeat(32)}`;

const KUBECONFIG = (server: string, user = 'token: abc123') => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${server}
    certificate-authority-data: LS0tLQ==
users:
- name: u
  user:
    ${user}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`;

describe(`clusters and the agent API (${TEST_DB})`, () => {
  let server: TestServer;
  let repo: ChartRepo;
  let acme: { adminToken: string; memberToken: string };
  let other: { adminToken: string; memberToken: string };
  const base = '/api/v1/tenants/acme/clusters';
  let agentToken = '';
  let otherToken = '';

  before(async () => {
    repo = await startChartRepo([
      { name: 'web', version: '1.2.0', schema: TEST_VALUES_SCHEMA },
      { name: 'db', version: '3.1.0' },
    ]);
    server = await startTestServer();
    [acme, other] = await Promise.all([createTenant(server, 'acme'), createTenant(server, 'other')]);
    const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: { name: 'upstream', endpoint: repo.url },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const run = await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/upstream', acme.adminToken);
    assert.equal(run.status, 'succeeded');
    const prot = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: {
        name: 'private',
        endpoint: 'https://charts.internal.example/repo',
        protected: true,
        auth: { type: 'basic', username: 'deploy', password: REGISTRY_PASSWORD },
      },
    });
    assert.equal(prot.status, 201, JSON.stringify(prot.body));
    for (const tenant of ['acme', 'other']) {
      const pushed = await uploadChart(
        server.url,
        tenant,
        chartTgz('inhouse', '0.3.0'),
        basic(`${tenant}-admin`),
      );
      assert.equal(pushed.status, 201);
    }
    for (const [tenant, token] of [
      ['acme', acme.adminToken],
      ['other', other.adminToken],
    ] as const) {
      const created = await server.api('POST', `/api/v1/tenants/${tenant}/profiles`, {
        token,
        body: {
          name: 'stack',
          variables: [
            { name: 'replicas', type: 'number', required: true },
            { name: 'dbPassword', type: 'string', required: true, sensitive: true },
          ],
          layers:
            tenant === 'acme'
              ? [
                  {
                    name: 'db',
                    registry: 'upstream',
                    chart: 'db',
                    version: '3.1.0',
                    namespace: 'data',
                    values: 'password: "{{ .Variables.dbPassword }}"\n',
                  },
                  {
                    name: 'web',
                    registry: 'upstream',
                    chart: 'web',
                    version: '1.2.0',
                    namespace: 'apps',
                    dependsOn: ['db'],
                    values: 'replicaCount: {{ .Variables.replicas }}\n',
                  },
                  {
                    name: 'inhouse',
                    registry: 'hosted',
                    chart: 'inhouse',
                    version: '0.3.0',
                    namespace: 'apps',
                  },
                  {
                    name: 'internal',
                    registry: 'private',
                    chart: 'internal-app',
                    version: '1.0.0',
                    namespace: 'apps',
                  },
                ]
              : [
                  {
                    name: 'inhouse',
                    registry: 'hosted',
                    chart: 'inhouse',
                    version: '0.3.0',
                    namespace: 'apps',
                  },
                ],
        },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const published = await server.api(
        'POST',
        `/api/v1/tenants/${tenant}/profiles/stack/versions/1.0.0/publish`,
        { token },
      );
      assert.equal(published.status, 200, JSON.stringify(published.body));
    }
    const draft = await server.api('POST', '/api/v1/tenants/acme/profiles/stack/versions', {
      token: acme.adminToken,
      body: { version: '1.1.0', from: '1.0.0' },
    });
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
  });
  after(async () => {
    await server.close();
    await repo.close();
  });

  const agent = <T = unknown>(
    method: string,
    path: string,
    token: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ) => server.api<T>(method, path, { token, ...opts });
  const plan = (token = agentToken) => agent<Plan & ErrorBody>('GET', '/api/v1/agent/plan', token);
  const layersOf = (p: Plan): Map<string, PlanLayer> =>
    new Map(p.profiles.flatMap((x) => x.layers.map((l) => [l.name, l])));

  it('registers an agent cluster with a published profile: the token is shown once, sensitive values never', async () => {
    const res = await server.api<{ cluster: ClusterView; agentToken: string } & ErrorBody>('POST', base, {
      token: acme.adminToken,
      body: {
        name: 'edge-1',
        mode: 'agent',
        profiles: [
          { profile: 'stack', version: '1.0.0', variables: { replicas: 3, dbPassword: DB_PASSWORD } },
        ],
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.agentToken, /^cha_[A-Za-z0-9_-]{43}$/);
    agentToken = res.body.agentToken;
    assert.equal(res.body.cluster.connection, 'never');
    const vars = res.body.cluster.profiles[0]!.variables;
    assert.deepEqual(
      vars.find((v) => v.name === 'replicas'),
      { name: 'replicas', sensitive: false, set: true, value: 3 },
    );
    assert.deepEqual(
      vars.find((v) => v.name === 'dbPassword'),
      { name: 'dbPassword', sensitive: true, set: true },
    );
    const got = await server.api<ClusterView>('GET', `${base}/edge-1`, { token: acme.memberToken });
    assert.equal(got.status, 200);
    const text = JSON.stringify(got.body);
    assert.ok(!text.includes(agentToken) && !text.includes(DB_PASSWORD) && !text.includes(REGISTRY_PASSWORD));
    assert.deepEqual(
      got.body.layers.map((l) => [l.layer, l.state]),
      [
        ['db', 'pending'],
        ['web', 'pending'],
        ['inhouse', 'pending'],
        ['internal', 'pending'],
      ],
    );
  });

  it("gives the agent its cluster's plan: values rendered, pulls, the protected registry's credentials; 304 when unchanged", async () => {
    const res = await plan();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.cluster, 'edge-1');
    assert.equal(res.body.revision, 1);
    const layers = layersOf(res.body);
    assert.deepEqual(layers.get('db')!.values, { password: DB_PASSWORD });
    assert.deepEqual(layers.get('web')!.values, { replicaCount: 3 });
    assert.equal(layers.get('web')!.digest, `sha256:${repo.digest('web', '1.2.0')}`);
    assert.deepEqual(layers.get('web')!.pull, { via: 'charthouse', path: '/api/v1/agent/charts/stack/web' });
    assert.equal(layers.get('internal')!.verification, 'unverified');
    assert.deepEqual(layers.get('internal')!.pull, {
      via: 'registry',
      registry: 'private',
      reference: 'https://charts.internal.example/repo',
    });
    assert.equal(res.body.registries.private!.password, REGISTRY_PASSWORD);
    const etag = res.headers.get('etag')!;
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    const again = await agent('GET', '/api/v1/agent/plan', agentToken, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(again.status, 304);
    const view = await server.api<ClusterView>('GET', `${base}/edge-1`, { token: acme.memberToken });
    assert.equal(view.body.plan.revision, 1);
    assert.equal(view.body.plan.deliveredRevision, 1);
    // The people's plan of the same version never holds the credentials or the sensitive value.
    const resolved = await server.api('GET', '/api/v1/tenants/acme/profiles/stack/resolve?var.replicas=2', {
      token: acme.adminToken,
    });
    assert.ok(!JSON.stringify(resolved.body).includes(REGISTRY_PASSWORD));
  });

  it('keeps the plan revision whatever host the server is reached by (no public URL configured)', async () => {
    // An agent reaches the server by another name than the console does (a proxy, an internal DNS
    // name): a hosted layer's references name the host asked, but the plan is the same plan.
    const viaOtherHost = (path: string, token: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(
          `${server.url}${path}`,
          { headers: { host: 'charthouse.internal:8443', authorization: `Bearer ${token}` } },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const before = (await plan()).body;
    const other = await viaOtherHost('/api/v1/agent/plan', agentToken);
    assert.equal(other.status, 200, other.body);
    const seen = JSON.parse(other.body) as Plan;
    assert.match(layersOf(seen).get('inhouse')!.pull.via, /charthouse/);
    assert.equal(seen.revision, before.revision);
    const viewed = await viaOtherHost(`${base}/edge-1`, acme.memberToken);
    assert.equal((JSON.parse(viewed.body) as ClusterView).plan.revision, before.revision);
    assert.equal((await plan()).body.revision, before.revision);
  });

  it("lets an agent read the people's resolve of its own cluster's profiles only", async () => {
    const own = await agent<{ profile: string }>(
      'GET',
      '/api/v1/tenants/acme/profiles/stack/resolve?var.replicas=2&var.dbPassword=x',
      agentToken,
    );
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.profile, 'stack');
    const created = await server.api('POST', '/api/v1/tenants/acme/profiles', {
      token: acme.adminToken,
      body: {
        name: 'unassigned',
        layers: [
          { name: 'inhouse', registry: 'hosted', chart: 'inhouse', version: '0.3.0', namespace: 'apps' },
        ],
      },
    });
    assert.equal(created.status, 201);
    for (const path of [
      '/api/v1/tenants/acme/profiles/unassigned/resolve',
      '/api/v1/tenants/other/profiles/stack/resolve',
    ]) {
      assert.equal((await agent('GET', path, agentToken)).status, 404, path);
    }
    // An agent token reads plans; it lists nothing and writes nothing.
    assert.equal((await agent('GET', '/api/v1/tenants/acme/profiles', agentToken)).status, 401);
  });

  it('serves the archives the plan pulls through Charthouse, checked against the lock', async () => {
    const p = (await plan()).body;
    const inhouse = layersOf(p).get('inhouse')!;
    assert.equal(inhouse.pull.via, 'charthouse');
    const res = await fetch(`${server.url}${(inhouse.pull as { path: string }).path}`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, inhouse.digest);
    const prov = await fetch(`${server.url}${inhouse.provenance!}`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    assert.equal(prov.status, 404);
    const notInPlan = await fetch(`${server.url}/api/v1/agent/charts/stack/nope`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    assert.equal(notInPlan.status, 404);
  });

  it('keeps tokens to their own cluster: other tokens, user tokens and forged ones are refused', async () => {
    const created = await server.api<{ agentToken: string }>('POST', '/api/v1/tenants/other/clusters', {
      token: other.adminToken,
      body: {
        name: 'edge-1',
        mode: 'agent',
        profiles: [{ profile: 'stack', version: '1.0.0', variables: { replicas: 1, dbPassword: 'x' } }],
      },
    });
    assert.equal(created.status, 201);
    otherToken = created.body.agentToken;
    const theirs = await plan(otherToken);
    assert.equal(theirs.body.tenant, 'other');
    assert.ok(!JSON.stringify(theirs.body).includes(REGISTRY_PASSWORD));
    assert.deepEqual(theirs.body.registries, {});
    for (const token of [acme.adminToken, `cha_${'A'.repeat(43)}`, 'cha_short']) {
      const res = await plan(token);
      assert.equal(res.status, 401, token);
    }
    // Another cluster's layers are not this agent's to download: a 404, as for a layer of no plan.
    const foreign = await fetch(`${server.url}/api/v1/agent/charts/stack/web`, {
      headers: { authorization: `Bearer ${otherToken}` },
    });
    assert.equal(foreign.status, 404);
    // An agent token is no user token.
    assert.equal((await server.api('GET', `${base}/edge-1`, { token: agentToken })).status, 401);
    // Another tenant's cluster is a 404, by name or by any route.
    assert.equal((await server.api('GET', `${base}/edge-1`, { token: other.adminToken })).status, 404);
    assert.equal(
      (await server.api('GET', '/api/v1/tenants/acme/clusters/nope', { token: acme.adminToken })).status,
      404,
    );
  });

  it('records reports per layer; unknown layers, future revisions and oversized reports are refused', async () => {
    const current = (await plan()).body;
    const web = layersOf(current).get('web')!;
    const ok = await agent<{ stale: boolean; layers: Array<{ layer: string; state: string }> }>(
      'POST',
      '/api/v1/agent/reports',
      agentToken,
      {
        body: {
          planRevision: current.revision,
          layers: [
            {
              profile: 'stack',
              layer: 'web',
              state: 'verified',
              digest: web.digest,
              chart: { name: 'web', version: '1.2.0' },
              provenance: { result: 'unsigned' },
            },
            { profile: 'stack', layer: 'db', state: 'failed', reason: 'registry unreachable' },
          ],
        },
      },
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.stale, false);
    const unknown = await agent<ErrorBody>('POST', '/api/v1/agent/reports', agentToken, {
      body: {
        planRevision: current.revision,
        layers: [{ profile: 'stack', layer: 'ghost', state: 'verified' }],
      },
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'report_invalid');
    assert.match(unknown.body.error.message, /ghost/);
    const future = await agent<ErrorBody>('POST', '/api/v1/agent/reports', agentToken, {
      body: {
        planRevision: current.revision + 5,
        layers: [{ profile: 'stack', layer: 'web', state: 'verified' }],
      },
    });
    assert.equal(future.status, 422);
    const big = await agent<ErrorBody>('POST', '/api/v1/agent/reports', agentToken, {
      body: {
        planRevision: current.revision,
        layers: Array.from({ length: 400 }, () => ({
          profile: 'stack',
          layer: 'web',
          state: 'failed',
          reason: 'x'.repeat(4000),
        })),
      },
    });
    assert.equal(big.status, 413);
    const mismatch = await agent('POST', '/api/v1/agent/reports', agentToken, {
      body: {
        planRevision: current.revision,
        layers: [
          {
            profile: 'stack',
            layer: 'inhouse',
            state: 'verified',
            digest: PRIVATE_DIGEST,
            chart: { name: 'inhouse', version: '0.3.0' },
          },
        ],
      },
    });
    assert.equal(mismatch.status, 200);
    const view = await server.api<ClusterView>('GET', `${base}/edge-1`, { token: acme.memberToken });
    const states = new Map(view.body.layers.map((l) => [l.layer, l]));
    assert.equal(states.get('web')!.state, 'verified');
    assert.equal(states.get('db')!.state, 'failed');
    assert.equal(states.get('db')!.reason, 'registry unreachable');
    assert.equal(states.get('inhouse')!.state, 'failed');
    assert.match(states.get('inhouse')!.reason!, /plan pins/);
  });

  it("records a protected layer's verified digest on the version: every cluster's plan pins it, a stale report changes nothing", async () => {
    const before = (await plan()).body;
    const bad = await agent('POST', '/api/v1/agent/reports', agentToken, {
      body: {
        planRevision: before.revision,
        layers: [
          {
            profile: 'stack',
            layer: 'internal',
            state: 'verified',
            digest: PRIVATE_DIGEST,
            chart: { name: 'other-app', version: '1.0.0' },
          },
        ],
      },
    });
    assert.equal(bad.status, 200);
    let view = await server.api<ClusterView>('GET', `${base}/edge-1`, { token: acme.memberToken });
    assert.match(view.body.layers.find((l) => l.layer === 'internal')!.reason!, /other-app/);
    assert.equal((await plan()).body.revision, before.revision, 'a failed verification pins nothing');

    const good = await agent('POST', '/api/v1/agent/reports', agentToken, {
      body: {
        planRevision: before.revision,
        layers: [
          {
            profile: 'stack',
            layer: 'internal',
            state: 'verified',
            digest: PRIVATE_DIGEST,
            chart: { name: 'internal-app', version: '1.0.0' },
          },
        ],
      },
    });
    assert.equal(good.status, 200);
    const afterPlan = (await plan()).body;
    assert.equal(afterPlan.revision, before.revision + 1);
    const internal = layersOf(afterPlan).get('internal')!;
    assert.equal(internal.digest, PRIVATE_DIGEST);
    assert.equal(internal.verification, 'verified');

    // A report for the older revision is kept as stale and changes no state.
    const stale = await agent<{ stale: boolean }>('POST', '/api/v1/agent/reports', agentToken, {
      body: {
        planRevision: before.revision,
        layers: [{ profile: 'stack', layer: 'internal', state: 'failed', reason: 'old news' }],
      },
    });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.stale, true);
    view = await server.api<ClusterView>('GET', `${base}/edge-1`, { token: acme.memberToken });
    assert.equal(view.body.layers.find((l) => l.layer === 'internal')!.state, 'verified');

    // Another cluster of the same version gets the pinned digest, and other bytes fail there.
    const second = await server.api<{ agentToken: string }>('POST', base, {
      token: acme.adminToken,
      body: {
        name: 'edge-2',
        mode: 'agent',
        profiles: [{ profile: 'stack', version: '1.0.0', variables: { replicas: 1, dbPassword: 'y' } }],
      },
    });
    assert.equal(second.status, 201);
    const secondPlan = (await plan(second.body.agentToken)).body;
    assert.equal(layersOf(secondPlan).get('internal')!.digest, PRIVATE_DIGEST);
    const other = await agent('POST', '/api/v1/agent/reports', second.body.agentToken, {
      body: {
        planRevision: secondPlan.revision,
        layers: [
          {
            profile: 'stack',
            layer: 'internal',
            state: 'verified',
            digest: `sha256:${'cd'.repeat(32)}`,
            chart: { name: 'internal-app', version: '1.0.0' },
          },
        ],
      },
    });
    assert.equal(other.status, 200);
    const secondView = await server.api<ClusterView>('GET', `${base}/edge-2`, { token: acme.memberToken });
    assert.equal(secondView.body.layers.find((l) => l.layer === 'internal')!.state, 'failed');
  });

  it('shows a heartbeating cluster as connected with its agent version', async () => {
    const beat = await agent('POST', '/api/v1/agent/heartbeat', agentToken, {
      body: { agentVersion: '0.1.0' },
    });
    assert.equal(beat.status, 200);
    // No discovery asked of this cluster: the answer says so.
    assert.deepEqual(beat.body, { discovery: null });
    const view = await server.api<ClusterView>('GET', `${base}/edge-1`, { token: acme.memberToken });
    assert.equal(view.body.connection, 'connected');
    assert.equal(view.body.agentVersion, '0.1.0');
  });

  it('checks assignments whole: drafts, unknown or mistyped variables and missing required values are refused', async () => {
    const patch = (profiles: unknown[]) =>
      server.api<ErrorBody>('PATCH', `${base}/edge-1`, { token: acme.adminToken, body: { profiles } });
    const draft = await patch([{ profile: 'stack', version: '1.1.0', variables: { replicas: 1 } }]);
    assert.equal(draft.status, 422);
    assert.match(draft.body.error.message, /draft/);
    const wrong = await patch([
      { profile: 'stack', version: '1.0.0', variables: { replicas: 'three', nope: 1 } },
    ]);
    assert.equal(wrong.status, 422);
    assert.deepEqual(wrong.body.error.details!.map((d) => d.field).sort(), [
      'profiles[0].variables.nope',
      'profiles[0].variables.replicas',
    ]);
    const missing = await server.api<ErrorBody>('POST', base, {
      token: acme.adminToken,
      body: {
        name: 'edge-3',
        mode: 'agent',
        profiles: [{ profile: 'stack', version: '1.0.0', variables: { replicas: 1 } }],
      },
    });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.error.details![0]!.field, 'profiles[0].variables.dbPassword');
    const member = await server.api('POST', base, {
      token: acme.memberToken,
      body: { name: 'edge-4', mode: 'agent' },
    });
    assert.equal(member.status, 403);
    const inUse = await server.api<ErrorBody>('DELETE', '/api/v1/tenants/acme/profiles/stack', {
      token: acme.adminToken,
    });
    assert.equal(inUse.status, 409);
    assert.match(inUse.body.error.message, /edge-1/);
  });

  it('keeps a sensitive value not sent again, and a changed value is a new plan revision', async () => {
    const before = (await plan()).body;
    const res = await server.api<ClusterView>('PATCH', `${base}/edge-1`, {
      token: acme.adminToken,
      body: { profiles: [{ profile: 'stack', version: '1.0.0', variables: { replicas: 5 } }] },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const after = (await plan()).body;
    assert.equal(after.revision, before.revision + 1);
    assert.deepEqual(layersOf(after).get('db')!.values, { password: DB_PASSWORD });
    assert.deepEqual(layersOf(after).get('web')!.values, { replicaCount: 5 });
  });

  it('rotates the agent token (the old one stops at once) and a deleted cluster takes its token with it', async () => {
    const rotated = await server.api<{ agentToken: string }>('POST', `${base}/edge-1/agent-token`, {
      token: acme.adminToken,
    });
    assert.equal(rotated.status, 200);
    const old = await plan(agentToken);
    assert.equal(old.status, 401);
    assert.equal(old.body.error.code, 'invalid_agent_token');
    assert.equal((await plan(rotated.body.agentToken)).status, 200);
    agentToken = rotated.body.agentToken;
    assert.equal(
      (await server.api('DELETE', '/api/v1/tenants/other/clusters/edge-1', { token: other.adminToken }))
        .status,
      204,
    );
    assert.equal((await plan(otherToken)).status, 401);
  });

  it('keeps kubeconfigs sealed and refuses exec plugins, file references and forbidden addresses', async () => {
    const create = (name: string, kubeconfig: string) =>
      server.api<{ cluster: ClusterView; agentToken: string | null } & ErrorBody>('POST', base, {
        token: acme.adminToken,
        body: { name, mode: 'kubeconfig', kubeconfig },
      });
    const ok = await create('kc-1', KUBECONFIG('https://127.0.0.1:6443'));
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.agentToken, null);
    assert.equal(ok.body.cluster.server, 'https://127.0.0.1:6443');
    assert.ok(!JSON.stringify(ok.body).includes('abc123'));
    const row = await server.app.storage.db
      .selectFrom('clusters')
      .select('kubeconfig_enc')
      .where('name', '=', 'kc-1')
      .executeTakeFirstOrThrow();
    assert.ok(row.kubeconfig_enc !== null && !row.kubeconfig_enc.includes('abc123'));
    const cases: Array<[string, string, RegExp]> = [
      [
        'kc-exec',
        KUBECONFIG(
          'https://127.0.0.1:6443',
          'exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}',
        ),
        /exec plugin/,
      ],
      [
        'kc-file',
        KUBECONFIG('https://127.0.0.1:6443', 'client-key: /etc/ssl/private/key.pem'),
        /client-key-data/,
      ],
      ['kc-meta', KUBECONFIG('https://169.254.169.254'), /metadata/],
      ['kc-http', KUBECONFIG('http://127.0.0.1:8080'), /https/],
    ];
    for (const [name, text, message] of cases) {
      const res = await create(name, text);
      assert.equal(res.status, 422, name);
      assert.match(res.body.error.message, message, name);
    }
    const rotate = await server.api('POST', `${base}/kc-1/agent-token`, { token: acme.adminToken });
    assert.equal(rotate.status, 409);
  });

  it('never writes a token, a registry password or a sensitive value to the log', () => {
    const log = server.logLines.join('\n');
    for (const secret of [agentToken, REGISTRY_PASSWORD, DB_PASSWORD])
      assert.ok(!log.includes(secret), 'leaked');
  });
});
