import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArchiveCache } from '../../src/agent/archive-cache.js';
import { LayerPullError, pullLayer, type PullContext } from '../../src/agent/layer-pull.js';
import { Keyring } from '../../src/agent/provenance.js';
import {
  ApiClient,
  type AgentPlan,
  type AgentPlanLayer,
  type AgentRegistry,
} from '../../src/client/api-client.js';
import { closeUpstreamDispatchers } from '../../src/upstream/http-client.js';
import { createTgz } from '../support/chart-archive.js';
import { startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import {
  gzipBombBytes,
  sendBody,
  startFixtureServer,
  withBasicAuth,
  type FixtureHandler,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { freePort } from '../support/free-port.js';
import { chartTgz } from '../support/hosted.js';
import { pushHelmChart } from '../support/oci-push.js';
import { signChartProvenance, testSigningKey } from '../support/provenance.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { getTlsFixtures, serverTlsOptions } from '../support/tls-fixtures.js';

/*
 * The agent's pull-and-verify core against real upstreams: a protected classic repository behind
 * Basic auth (plain http and https with its own CA), Debian's docker-registry with htpasswd (OCI
 * Basic), and a Charthouse server's hosted OCI registry (OCI Bearer). Plans are built by hand here;
 * the cluster routes that serve them are tested with the server.
 */

const USER = { username: 'agent', password: 'agent-secret-pw-7f3a' };
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface Served {
  name: string;
  version: string;
  tgz: Buffer;
  prov?: Buffer;
  /** What the index lists as digest; default the archive's. */
  listed?: string | null;
}

/** A classic repository at `/repo`: index.yaml with relative URLs, archives and .prov files, behind Basic auth. */
function classicRepo(charts: Served[]): FixtureHandler {
  const files = new Map<string, Buffer>();
  const lines = ['apiVersion: v1', 'entries:'];
  for (const c of charts) {
    const file = `${c.name}-${c.version}.tgz`;
    files.set(`/repo/charts/${file}`, c.tgz);
    if (c.prov) files.set(`/repo/charts/${file}.prov`, c.prov);
    const listed = c.listed === undefined ? sha256(c.tgz) : c.listed;
    lines.push(
      `  ${c.name}:`,
      '  - apiVersion: v2',
      `    name: ${c.name}`,
      `    version: ${c.version}`,
      ...(listed === null ? [] : [`    digest: ${listed}`]),
      `    urls: [charts/${file}]`,
    );
  }
  const index = `${lines.join('\n')}\n`;
  return withBasicAuth(USER.username, USER.password, (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/repo/index.yaml')
      return sendBody(index, { headers: { 'content-type': 'text/yaml' } })(req, res);
    const file = files.get(path);
    if (file) return sendBody(file, { headers: { 'content-type': 'application/gzip' } })(req, res);
    res.writeHead(404).end();
  });
}

function registryEntry(name: string, over: Partial<AgentRegistry>): AgentRegistry {
  return {
    name,
    kind: 'helm',
    endpoint: 'https://unused.invalid',
    username: USER.username,
    password: USER.password,
    caCert: null,
    insecureSkipVerify: false,
    passCredentials: false,
    plainHttp: false,
    ...over,
  };
}

function layer(
  name: string,
  chart: string,
  version: string,
  pull: AgentPlanLayer['pull'],
  over: Partial<AgentPlanLayer> = {},
): AgentPlanLayer {
  return {
    name,
    registry: {
      name: pull.via === 'registry' ? pull.registry : 'hosted',
      scope: 'tenant',
      kind: 'helm',
      protected: pull.via === 'registry',
    },
    chart,
    version,
    reference: pull.via === 'registry' ? pull.reference : pull.path,
    chartUrl: null,
    digest: null,
    verification: pull.via === 'registry' ? 'unverified' : 'catalog',
    releaseName: name,
    namespace: 'default',
    createNamespace: false,
    dependsOn: [],
    values: {},
    pull,
    provenance: null,
    ...over,
  };
}

function plan(registries: AgentRegistry[], layers: AgentPlanLayer[] = []): AgentPlan {
  return {
    tenant: 'acme',
    cluster: 'edge-1',
    revision: 1,
    profiles: [{ profile: 'base', version: '1.0.0', layers }],
    registries: Object.fromEntries(registries.map((r) => [r.name, r])),
  };
}

/** A pull expected to fail: its LayerPullError, checked never to hold the password. */
async function failure(promise: Promise<unknown>): Promise<LayerPullError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LayerPullError, `expected a LayerPullError, got ${String(error)}`);
    assert.ok(!error.message.includes(USER.password), error.message);
    return error;
  }
  assert.fail('the pull succeeded');
}

describe(`agent pull and verify (${TEST_DB})`, () => {
  let workDir: string;
  let ctx: PullContext;
  let classic: FixtureServer;
  let tlsClassic: FixtureServer;
  let docker: DockerRegistry;
  let server: TestServer;
  let signer: Awaited<ReturnType<typeof testSigningKey>>;
  let stranger: Awaited<ReturnType<typeof testSigningKey>>;
  const web = chartTgz('web', '1.0.0');
  const unsignedChart = chartTgz('plain', '2.0.0');
  let webProv: Buffer;

  before(async () => {
    [signer, stranger] = await Promise.all([testSigningKey(), testSigningKey('Someone else')]);
    webProv = await signChartProvenance(signer.privateKey, { name: 'web', version: '1.0.0' }, web);
    const forged = chartTgz('forged', '1.0.0');
    const charts: Served[] = [
      { name: 'web', version: '1.0.0', tgz: web, prov: webProv },
      { name: 'plain', version: '2.0.0', tgz: unsignedChart },
      {
        name: 'forged',
        version: '1.0.0',
        tgz: forged,
        prov: await signChartProvenance(stranger.privateKey, { name: 'forged', version: '1.0.0' }, forged),
      },
      // Archives that must be refused: another chart inside, another version, a bomb, a traversal.
      { name: 'renamed', version: '1.0.0', tgz: chartTgz('impostor', '1.0.0') },
      { name: 'wrongver', version: '1.0.0', tgz: chartTgz('wrongver', '1.0.1') },
      { name: 'bomb', version: '1.0.0', tgz: gzipBombBytes(128) },
      {
        name: 'climber',
        version: '1.0.0',
        tgz: chartTgz('climber', '1.0.0', { path: 'climber/../../evil', content: 'x' }),
      },
      // The index lists another digest than the bytes served.
      {
        name: 'drifted',
        version: '1.0.0',
        tgz: chartTgz('drifted', '1.0.0'),
        listed: sha256(Buffer.from('x')),
      },
    ];
    const handler = classicRepo(charts);
    [classic, tlsClassic, docker, server] = await Promise.all([
      startFixtureServer(handler),
      startFixtureServer(handler, { tls: serverTlsOptions() }),
      startDockerRegistry({ users: { [USER.username]: USER.password } }),
      startTestServer(),
    ]);
    workDir = await mkdtemp(join(tmpdir(), 'charthouse-agent-pull-'));
    const keyringFile = join(workDir, 'keyring.asc');
    await writeFile(keyringFile, signer.publicKey.armor());
    ctx = {
      // No Charthouse route is needed here: every layer but one pulls from a registry.
      api: new ApiClient({ baseUrl: server.url, token: 'unused' }),
      cache: await ArchiveCache.open(workDir),
      keyring: await Keyring.read(keyringFile),
    };
  });

  after(async () => {
    await Promise.all([classic?.close(), tlsClassic?.close(), docker?.stop(), server?.close()]);
    // The upstream client keeps its per-registry connections open for reuse, as a long-running agent wants.
    await closeUpstreamDispatchers();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const classicRegistry = (over: Partial<AgentRegistry> = {}): AgentRegistry =>
    registryEntry('private-repo', { endpoint: `${classic.url}/repo`, ...over });
  const classicLayer = (chart: string, version: string, over: Partial<AgentPlanLayer> = {}): AgentPlanLayer =>
    layer(
      chart,
      chart,
      version,
      { via: 'registry', registry: 'private-repo', reference: `${classic.url}/repo` },
      over,
    );

  describe('a protected classic repository', () => {
    it('pulls through index.yaml with Basic auth, checks digest, Chart.yaml and the signed .prov', async () => {
      const pulled = await pullLayer(classicLayer('web', '1.0.0'), plan([classicRegistry()]), ctx);
      assert.equal(pulled.digest, `sha256:${sha256(web)}`);
      assert.deepEqual(pulled.chart, { name: 'web', version: '1.0.0' });
      assert.equal(pulled.reference, `${classic.url}/repo/charts/web-1.0.0.tgz`);
      assert.equal(pulled.provenance.result, 'verified');
      assert.match(
        pulled.provenance.signer ?? '',
        /^Charthouse test signer <signer@charthouse\.test> \([0-9A-F]{40}\)$/,
      );
      assert.equal(pulled.cached, false);
      assert.equal(pulled.path, ctx.cache.path(pulled.digest));
      assert.deepEqual(await ctx.cache.readProvenance(pulled.digest), webProv);
      const paths = classic.requests.map((r) => new URL(r.url, 'http://x').pathname);
      assert.ok(paths.includes('/repo/index.yaml') && paths.includes('/repo/charts/web-1.0.0.tgz.prov'));
    });

    it('reports a chart without .prov as unsigned, and one without keyring as unchecked', async () => {
      const registries = plan([classicRegistry()]);
      const plain = await pullLayer(classicLayer('plain', '2.0.0'), registries, ctx);
      assert.deepEqual(plain.provenance, { result: 'unsigned' });
      const unchecked = await pullLayer(classicLayer('web', '1.0.0'), registries, { ...ctx, keyring: null });
      assert.equal(unchecked.provenance.result, 'unchecked');
    });

    it('fails a layer whose .prov is signed by a key not in the keyring', async () => {
      const error = await failure(pullLayer(classicLayer('forged', '1.0.0'), plan([classicRegistry()]), ctx));
      assert.equal(error.failure, 'provenance_failed');
      assert.match(
        error.message,
        /^Layer "forged": provenance: the \.prov is signed by key [0-9A-F]{16}, which is not in the keyring\.$/,
      );
      assert.equal(
        await ctx.cache.has(`sha256:${sha256(chartTgz('forged', '1.0.0'))}`),
        false,
        'nothing cached',
      );
    });

    it('pins the plan digest: other bytes fail the layer with both digests named', async () => {
      const pinned = 'ab'.repeat(32);
      const error = await failure(
        pullLayer(
          classicLayer('plain', '2.0.0', { digest: `sha256:${pinned}` }),
          plan([classicRegistry()]),
          ctx,
        ),
      );
      assert.equal(error.failure, 'digest_mismatch');
      assert.match(
        error.message,
        new RegExp(`the archive's sha256 is ${sha256(unsignedChart)}, the plan pins ${pinned}`),
      );
      const drifted = await failure(
        pullLayer(classicLayer('drifted', '1.0.0'), plan([classicRegistry()]), ctx),
      );
      assert.equal(drifted.failure, 'digest_mismatch');
      assert.match(drifted.message, /the repository's index\.yaml pins 2d71/);
    });

    it('refuses another Chart.yaml name or version, an archive bomb and a traversal', async () => {
      const registries = plan([classicRegistry()]);
      const renamed = await failure(pullLayer(classicLayer('renamed', '1.0.0'), registries, ctx));
      assert.equal(renamed.failure, 'chart_mismatch');
      assert.match(
        renamed.message,
        /Chart\.yaml is "impostor" version "1\.0\.0", but the layer names "renamed" version "1\.0\.0"/,
      );
      const wrongver = await failure(pullLayer(classicLayer('wrongver', '1.0.0'), registries, ctx));
      assert.equal(wrongver.failure, 'chart_mismatch');
      assert.match(
        wrongver.message,
        /"wrongver" version "1\.0\.1", but the layer names "wrongver" version "1\.0\.0"/,
      );
      const bomb = await failure(pullLayer(classicLayer('bomb', '1.0.0'), registries, ctx));
      assert.equal(bomb.failure, 'invalid_archive');
      assert.match(bomb.message, /the chart archive was refused: it expands to more than \d+ bytes/);
      const climber = await failure(pullLayer(classicLayer('climber', '1.0.0'), registries, ctx));
      assert.equal(climber.failure, 'invalid_archive');
      assert.match(climber.message, /"climber\/\.\.\/\.\.\/evil" contains "\.\."/);
    });

    it('says when the credentials are wrong, without the password, and when the registry is unreachable', async () => {
      const wrong = await failure(
        pullLayer(
          classicLayer('web', '1.0.0'),
          plan([classicRegistry({ password: 'not-the-password' })]),
          ctx,
        ),
      );
      assert.equal(wrong.failure, 'unauthorized');
      assert.match(
        wrong.message,
        /^Layer "web": pulling web 1\.0\.0 from registry "private-repo" failed: The registry answered 401 for the repository index at .*check the username and password/,
      );
      assert.ok(!wrong.message.includes('not-the-password'));
      const closed = `http://127.0.0.1:${await freePort()}`;
      const unreachable = await failure(
        pullLayer(classicLayer('web', '1.0.0'), plan([classicRegistry({ endpoint: `${closed}/repo` })]), ctx),
      );
      assert.equal(unreachable.failure, 'unreachable');
      const missing = await failure(pullLayer(classicLayer('web', '9.9.9'), plan([classicRegistry()]), ctx));
      assert.equal(missing.failure, 'not_found');
      assert.match(missing.message, /index\.yaml lists no version "9\.9\.9" of chart "web"/);
    });

    it('verifies TLS with the registry CA, and refuses a certificate the CA did not sign', async () => {
      const tls = getTlsFixtures();
      const over = { endpoint: `${tlsClassic.url}/repo`, caCert: tls.caCertPem };
      const pulled = await pullLayer(classicLayer('plain', '2.0.0'), plan([classicRegistry(over)]), ctx);
      assert.equal(pulled.digest, `sha256:${sha256(unsignedChart)}`);
      const error = await failure(
        pullLayer(
          classicLayer('plain', '2.0.0'),
          plan([classicRegistry({ ...over, caCert: tls.otherCaCertPem })]),
          ctx,
        ),
      );
      assert.equal(error.failure, 'unreachable');
      assert.match(error.message, /TLS|certificate/i);
    });
  });

  describe('protected OCI registries', () => {
    it("pulls from docker-registry with htpasswd (Basic), by tag and by manifest digest, with the chart's provenance layer", async () => {
      const manifestDigest = await pushHelmChart({
        registryUrl: docker.url,
        repository: 'charts/web',
        chartTgz: web,
        chartJson: { apiVersion: 'v2', name: 'web', version: '1.0.0' },
        provenance: webProv,
        auth: USER,
      });
      const registry = registryEntry('private-oci', { kind: 'oci', endpoint: docker.url });
      const ociLayer = (reference: string): AgentPlanLayer =>
        layer('web', 'web', '1.0.0', { via: 'registry', registry: 'private-oci', reference });
      const byTag = await pullLayer(ociLayer(`oci://${docker.host}/charts/web:1.0.0`), plan([registry]), ctx);
      assert.equal(byTag.digest, `sha256:${sha256(web)}`);
      assert.equal(byTag.manifestDigest, manifestDigest);
      assert.equal(byTag.provenance.result, 'verified');
      const byDigest = await pullLayer(
        ociLayer(`oci://${docker.host}/charts/web@${manifestDigest}`),
        plan([registry]),
        ctx,
      );
      assert.equal(byDigest.digest, byTag.digest);

      const wrong = await failure(
        pullLayer(
          ociLayer(`oci://${docker.host}/charts/web:1.0.0`),
          plan([{ ...registry, password: 'nope-nope' }]),
          ctx,
        ),
      );
      assert.equal(wrong.failure, 'unauthorized');
      assert.match(wrong.message, /401/);
      assert.ok(!wrong.message.includes('nope-nope'), wrong.message);
      const elsewhere = await failure(
        pullLayer(ociLayer('oci://other.example/charts/web:1.0.0'), plan([registry]), ctx),
      );
      assert.equal(elsewhere.failure, 'invalid_plan');
      assert.match(elsewhere.message, /is not on the registry's host/);
    });

    it('pulls from a Charthouse hosted registry that answers with Bearer challenges', async () => {
      await createTenant(server, 'acme');
      const demo = chartTgz('demo', '3.1.0');
      await pushHelmChart({
        registryUrl: server.url,
        repository: 'acme/demo',
        chartTgz: demo,
        chartJson: { apiVersion: 'v2', name: 'demo', version: '3.1.0' },
        auth: { username: 'acme-admin', password: 'acme-admin-password' },
      });
      const host = new URL(server.url).host;
      const registry = registryEntry('charthouse-oci', {
        kind: 'oci',
        endpoint: server.url,
        username: 'acme-member',
        password: 'acme-member-password',
      });
      const ociLayer = layer('demo', 'demo', '3.1.0', {
        via: 'registry',
        registry: 'charthouse-oci',
        reference: `oci://${host}/acme/demo:3.1.0`,
      });
      const pulled = await pullLayer(ociLayer, plan([registry]), ctx);
      assert.equal(pulled.digest, `sha256:${sha256(demo)}`);
      assert.deepEqual(pulled.provenance, { result: 'unsigned' });
      const wrong = await failure(
        pullLayer(ociLayer, plan([{ ...registry, password: 'wrong-password' }]), ctx),
      );
      assert.equal(wrong.failure, 'unauthorized');
      assert.match(wrong.message, /token service .* rejected the credentials/);
      assert.ok(!wrong.message.includes('wrong-password'), wrong.message);
    });
  });

  describe('the cache', () => {
    it('needs no network at all for a plan whose digests it holds (20 layers)', async () => {
      // Everything the plan names is unreachable: a closed port for Charthouse and for the registry.
      const closed = `http://127.0.0.1:${await freePort()}`;
      const offline: PullContext = { ...ctx, api: new ApiClient({ baseUrl: closed, token: 'unused' }) };
      const digest = `sha256:${sha256(web)}`;
      assert.equal(await ctx.cache.has(digest), true);
      const layers = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? layer(
              `l${i}`,
              'web',
              '1.0.0',
              { via: 'charthouse', path: `/api/v1/agent/charts/${i}` },
              { digest },
            )
          : layer(
              `l${i}`,
              'web',
              '1.0.0',
              { via: 'registry', registry: 'private-repo', reference: `${closed}/repo` },
              { digest },
            ),
      );
      const started = process.hrtime.bigint();
      const pulled = [];
      for (const l of layers)
        pulled.push(await pullLayer(l, plan([classicRegistry({ endpoint: `${closed}/repo` })]), offline));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Reported, not asserted (timed assertions flake on a busy machine); issue 14 asks under 2 s.
      process.stdout.write(`# 20 cached layers pulled and re-verified in ${ms.toFixed(0)} ms\n`);
      assert.ok(pulled.every((p) => p.cached && p.digest === digest && p.provenance.result === 'verified'));
    });

    it('pulls again when a cached file no longer hashes to its digest', async () => {
      const digest = `sha256:${sha256(unsignedChart)}`;
      await writeFile(ctx.cache.path(digest), Buffer.from('tampered on disk'));
      const before = classic.requests.length;
      const pulled = await pullLayer(
        classicLayer('plain', '2.0.0', { digest }),
        plan([classicRegistry()]),
        ctx,
      );
      assert.equal(pulled.cached, false);
      assert.ok(classic.requests.length > before);
      const again = await pullLayer(
        classicLayer('plain', '2.0.0', { digest }),
        plan([classicRegistry()]),
        ctx,
      );
      assert.equal(again.cached, true);
    });
  });

  describe('via Charthouse', () => {
    // The cluster routes are the server's (tested there); this stands in for the two download paths a
    // plan names, to pin the agent's side: the archive, then the .prov, whose 404 means unsigned.
    let agentRoutes: FixtureServer;
    before(async () => {
      agentRoutes = await startFixtureServer({
        'GET /api/v1/agent/charts/web-1.0.0.tgz': sendBody(web),
        'GET /api/v1/agent/charts/web-1.0.0.tgz.prov': sendBody(webProv),
        'GET /api/v1/agent/charts/plain-2.0.0.tgz': sendBody(unsignedChart),
        'GET /api/v1/agent/charts/bomb-1.0.0.tgz': sendBody(
          createTgz([{ path: 'bomb/Chart.yaml', content: 'name: [' }]),
        ),
      });
    });
    after(() => agentRoutes.close());

    it('downloads the archive and its .prov with the agent token; a missing .prov is unsigned', async () => {
      const api = new ApiClient({ baseUrl: agentRoutes.url, token: 'agent-token' });
      const fresh: PullContext = { ...ctx, api, cache: await ArchiveCache.open(join(workDir, 'fresh')) };
      const signed = await pullLayer(
        layer(
          'web',
          'web',
          '1.0.0',
          { via: 'charthouse', path: '/api/v1/agent/charts/web-1.0.0.tgz' },
          {
            provenance: '/api/v1/agent/charts/web-1.0.0.tgz.prov',
          },
        ),
        plan([]),
        fresh,
      );
      assert.equal(signed.provenance.result, 'verified');
      assert.equal(signed.reference, '/api/v1/agent/charts/web-1.0.0.tgz');
      assert.equal(agentRoutes.requests[0]?.headers.authorization, 'Bearer agent-token');
      const plain = await pullLayer(
        layer(
          'plain',
          'plain',
          '2.0.0',
          { via: 'charthouse', path: '/api/v1/agent/charts/plain-2.0.0.tgz' },
          {
            provenance: '/api/v1/agent/charts/plain-2.0.0.tgz.prov',
          },
        ),
        plan([]),
        fresh,
      );
      assert.deepEqual(plain.provenance, { result: 'unsigned' });
      const bad = await failure(
        pullLayer(
          layer('bomb', 'bomb', '1.0.0', { via: 'charthouse', path: '/api/v1/agent/charts/bomb-1.0.0.tgz' }),
          plan([]),
          fresh,
        ),
      );
      assert.equal(bad.failure, 'invalid_archive');
      const gone = await failure(
        pullLayer(
          layer('gone', 'gone', '1.0.0', { via: 'charthouse', path: '/api/v1/agent/charts/gone-1.0.0.tgz' }),
          plan([]),
          fresh,
        ),
      );
      assert.equal(gone.failure, 'not_found');
    });
  });
});
