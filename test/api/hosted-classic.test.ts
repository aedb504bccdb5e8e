import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

const CORPUS = new URL('../../../shared/corpus/provenance/', import.meta.url);
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

interface IndexDoc {
  apiVersion: string;
  entries: Record<
    string,
    Array<Record<string, unknown> & { version: string; urls: string[]; digest: string }>
  >;
  serverInfo: { contextPath: string };
}

describe(`hosted registry: classic protocol and ChartMuseum API (${TEST_DB})`, () => {
  let server: TestServer;
  let acme: Awaited<ReturnType<typeof createTenant>>;
  const member = basic('acme-member');
  const admin = basic('acme-admin');

  before(async () => {
    server = await startTestServer();
    acme = await createTenant(server, 'acme');
    await createTenant(server, 'globex');
  });
  after(() => server.close());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers });
  const index = async (tenant = 'acme', authorization = member): Promise<IndexDoc> => {
    const res = await get(`/helm/${tenant}/index.yaml`, { authorization });
    assert.equal(res.status, 200);
    return yaml.load(await res.text()) as IndexDoc;
  };

  it('lists the hosted registries with every tenant registry list, never syncable or editable', async () => {
    const list = await server.api<{
      items: Array<{ name: string; kind: string; scope: string; syncStatus: string }>;
    }>('GET', '/api/v1/tenants/acme/registries/helm', { token: acme.memberToken });
    const hosted = list.body.items.filter((r) => r.kind === 'hosted').map((r) => `${r.scope}:${r.name}`);
    assert.deepEqual(hosted.sort(), ['system:stable', 'tenant:hosted']);
    const sync = await server.api('POST', '/api/v1/tenants/acme/registries/helm/hosted/sync', {
      token: acme.adminToken,
    });
    assert.equal(sync.status, 409);
    const patch = await server.api('PATCH', '/api/v1/tenants/acme/registries/helm/hosted', {
      token: acme.adminToken,
      body: { syncIntervalMinutes: 30 },
    });
    assert.equal(patch.status, 409);
    const del = await server.api('DELETE', '/api/v1/tenants/acme/registries/helm/hosted', {
      token: acme.adminToken,
    });
    assert.equal(del.status, 409);
  });

  it('takes a raw upload (201 {"saved":true}), serves it in index.yaml, as a download and in the catalog at once', async () => {
    const tgz = chartTgz('alpha', '1.0.0');
    const up = await uploadChart(server.url, 'acme', tgz, member);
    assert.equal(up.status, 201);
    assert.deepEqual(up.body, { saved: true });

    const doc = await index();
    assert.equal(doc.serverInfo.contextPath, '/helm/acme');
    const entry = doc.entries['alpha']?.[0];
    assert.ok(entry);
    assert.equal(entry.version, '1.0.0');
    assert.equal(entry.digest, sha256(tgz));
    assert.deepEqual(entry.urls, ['charts/alpha-1.0.0.tgz']);
    assert.equal(entry['description'], 'alpha for tests');

    // helm resolves the relative URL against the repository URL plus "/".
    const url = new URL(entry.urls[0]!, `${server.url}/helm/acme/`);
    const dl = await fetch(url, { headers: { authorization: member } });
    assert.equal(dl.status, 200);
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(tgz));
    assert.equal(
      (await get('/helm/acme/charts/alpha-1.0.0.tgz.prov', { authorization: member })).status,
      404,
    );

    const search = await server.api<{
      items: Array<{ name: string; registry: { name: string; kind: string } }>;
    }>('GET', '/api/v1/tenants/acme/charts?q=alpha', { token: acme.memberToken });
    assert.deepEqual(
      search.body.items.map((c) => [c.registry.name, c.registry.kind, c.name]),
      [['hosted', 'hosted', 'alpha']],
    );
    const detail = await server.api<{ valuesYaml: string | null; digest: string }>(
      'GET',
      '/api/v1/tenants/acme/registries/helm/hosted/charts/alpha/versions/1.0.0',
      { token: acme.memberToken },
    );
    assert.equal(detail.status, 200);
    assert.equal(detail.body.valuesYaml, 'replicas: 1\n');
  });

  it('keeps versions immutable: 409 for other content, success for the same bytes, force for admins only', async () => {
    const first = chartTgz('beta', '2.0.0');
    const other = chartTgz('beta', '2.0.0', { path: 'beta/README.md', content: 'changed\n' });
    assert.equal((await uploadChart(server.url, 'acme', first, member)).status, 201);
    assert.equal((await uploadChart(server.url, 'acme', first, member)).status, 201, 'identical re-push');
    const conflict = await uploadChart(server.url, 'acme', other, member);
    assert.equal(conflict.status, 409);
    assert.match((conflict.body as { error: string }).error, /exists already.*immutable/);
    assert.equal((await uploadChart(server.url, 'acme', other, member, '?force')).status, 403);
    assert.equal((await uploadChart(server.url, 'acme', other, admin, '?force')).status, 201);
    const entry = (await index()).entries['beta']?.[0];
    assert.equal(entry?.digest, sha256(other));
  });

  it('takes multipart uploads with a provenance file and serves the .prov', async () => {
    const tgz = readFileSync(new URL('signtest-0.1.0.tgz', CORPUS));
    const prov = readFileSync(new URL('signtest-0.1.0.tgz.prov', CORPUS));
    const form = new FormData();
    form.append('chart', new Blob([tgz]), 'anything.tgz');
    form.append('prov', new Blob([prov]), 'anything.prov');
    const res = await fetch(`${server.url}/helm/acme/api/charts`, {
      method: 'POST',
      headers: { authorization: member },
      body: form,
    });
    assert.equal(res.status, 201, await res.clone().text());
    const dl = await get('/helm/acme/charts/signtest-0.1.0.tgz.prov', { authorization: member });
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('content-type'), 'application/pgp-signature');
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(prov));

    const none = new FormData();
    none.append('other', new Blob([tgz]), 'x.tgz');
    const missing = await fetch(`${server.url}/helm/acme/api/charts`, {
      method: 'POST',
      headers: { authorization: member },
      body: none,
    });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), {
      error: 'no package or provenance file found in form fields chart and prov',
    });
  });

  it('refuses a provenance file that does not name the chart', async () => {
    const tgz = chartTgz('gamma', '1.0.0');
    const prov = readFileSync(new URL('signtest-0.1.0.tgz.prov', CORPUS));
    const form = new FormData();
    form.append('chart', new Blob([tgz]), 'gamma-1.0.0.tgz');
    form.append('prov', new Blob([prov]), 'gamma-1.0.0.tgz.prov');
    const res = await fetch(`${server.url}/helm/acme/api/charts`, {
      method: 'POST',
      headers: { authorization: member },
      body: form,
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, /provenance/);
    assert.equal((await index()).entries['gamma'], undefined, 'nothing stored');
  });

  it('serves index.yaml with a strong ETag, 304 on If-None-Match, gzip when asked, and a new ETag after a write', async () => {
    const first = await get('/helm/acme/index.yaml', { authorization: member });
    const etag = first.headers.get('etag');
    assert.ok(etag);
    assert.match(first.headers.get('content-type') ?? '', /yaml/);
    const plain = Buffer.from(await first.arrayBuffer());
    const again = await get('/helm/acme/index.yaml', { authorization: member, 'if-none-match': etag });
    assert.equal(again.status, 304);
    // fetch decompresses transparently; ask node:http-like raw bytes through the header check.
    const gz = await fetch(`${server.url}/helm/acme/index.yaml`, {
      headers: { authorization: member, 'accept-encoding': 'gzip' },
    });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.ok(Buffer.from(await gz.arrayBuffer()).equals(plain));

    assert.equal((await uploadChart(server.url, 'acme', chartTgz('delta', '0.1.0'), member)).status, 201);
    const after = await get('/helm/acme/index.yaml', { authorization: member, 'if-none-match': etag });
    assert.equal(after.status, 200);
    assert.notEqual(after.headers.get('etag'), etag);
  });

  it('answers the ChartMuseum listing, show and delete routes with their shapes and status codes', async () => {
    const all = await get('/helm/acme/api/charts', { authorization: member });
    const listing = (await all.json()) as Record<
      string,
      Array<{ name: string; version: string; urls: string[] }>
    >;
    assert.ok(listing['alpha']);
    assert.deepEqual(listing['alpha']![0]!.urls, ['charts/alpha-1.0.0.tgz']);
    const paged = (await (
      await get('/helm/acme/api/charts?offset=1&limit=1', { authorization: member })
    ).json()) as object;
    assert.equal(Object.keys(paged).length, 1);
    assert.equal((await get('/helm/acme/api/charts?offset=x', { authorization: member })).status, 400);

    const versions = await get('/helm/acme/api/charts/alpha', { authorization: member });
    assert.equal(((await versions.json()) as unknown[]).length, 1);
    const one = await get('/helm/acme/api/charts/alpha/latest', { authorization: member });
    assert.equal(((await one.json()) as { version: string }).version, '1.0.0');
    const unknown = await get('/helm/acme/api/charts/nope', { authorization: member });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: 'chart not found' });

    const del = (authorization: string) =>
      fetch(`${server.url}/helm/acme/api/charts/delta/0.1.0`, {
        method: 'DELETE',
        headers: { authorization },
      });
    assert.equal((await del(member)).status, 403);
    const ok = await del(admin);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { deleted: true });
    assert.equal((await del(admin)).status, 404);
    assert.equal((await index()).entries['delta'], undefined);
    assert.equal((await get('/helm/acme/charts/delta-0.1.0.tgz', { authorization: member })).status, 404);
  });

  it('counts pushes by how they came and their outcome, and deletions, for Prometheus', async () => {
    const metrics = await fetch(`${server.url}/metrics`);
    const text = await metrics.text();
    const value = (series: string): number =>
      Number(new RegExp(`^${series} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    // Earlier tests in this suite: alpha, beta (twice, the second unchanged), signtest, delta created;
    // beta replaced; delta deleted.
    assert.ok(value('charthouse_hosted_pushes_total{via="archive",outcome="created"}') >= 4);
    assert.equal(value('charthouse_hosted_pushes_total{via="archive",outcome="unchanged"}'), 1);
    assert.equal(value('charthouse_hosted_pushes_total{via="archive",outcome="replaced"}'), 1);
    assert.equal(value('charthouse_hosted_deletions_total'), 1);
  });

  it("keeps tenants apart: another tenant's registry is 404, a missing credential 401 with a Basic challenge", async () => {
    const other = await get('/helm/globex/index.yaml', { authorization: member });
    assert.equal(other.status, 404);
    const upload = await uploadChart(server.url, 'globex', chartTgz('x', '1.0.0'), member);
    assert.equal(upload.status, 404);
    const anonymous = await get('/helm/acme/index.yaml');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
    const wrong = await get('/helm/acme/index.yaml', {
      authorization: basic('acme-member', 'wrong-password'),
    });
    assert.equal(wrong.status, 401);
    // An unknown tenant looks like a known one without credentials.
    assert.equal((await get('/helm/nosuch/index.yaml')).status, 401);
  });

  it('accepts an API token as the Basic password and a Charthouse bearer token', async () => {
    const issued = await server.api<{ token: string }>('POST', '/api/v1/auth/tokens', {
      token: acme.memberToken,
      body: { name: 'helm' },
    });
    assert.equal(issued.status, 201);
    const viaBasic = await get('/helm/acme/index.yaml', {
      authorization: basic('acme-member', issued.body.token),
    });
    assert.equal(viaBasic.status, 200);
    const otherUser = await get('/helm/acme/index.yaml', {
      authorization: basic('acme-admin', issued.body.token),
    });
    assert.equal(otherUser.status, 401, "a token is only its owner's password");
    const bearer = await get('/helm/acme/index.yaml', { authorization: `Bearer ${acme.memberToken}` });
    assert.equal(bearer.status, 200);
  });

  it('opens a tenant registry to anonymous pulls only when its admin turns public read on', async () => {
    const view = await server.api<{
      publicRead: boolean;
      canPush: boolean;
      canDelete: boolean;
      urls: { repository: string };
    }>('GET', '/api/v1/tenants/acme/hosted', { token: acme.memberToken });
    assert.equal(view.status, 200);
    assert.deepEqual([view.body.publicRead, view.body.canPush, view.body.canDelete], [false, true, false]);
    assert.equal(view.body.urls.repository, `${server.url}/helm/acme`);
    const byMember = await server.api('PATCH', '/api/v1/tenants/acme/hosted', {
      token: acme.memberToken,
      body: { publicRead: true },
    });
    assert.equal(byMember.status, 403);
    const on = await server.api<{ publicRead: boolean }>('PATCH', '/api/v1/tenants/acme/hosted', {
      token: acme.adminToken,
      body: { publicRead: true },
    });
    assert.equal(on.body.publicRead, true);
    assert.equal((await get('/helm/acme/index.yaml')).status, 200);
    assert.equal((await get('/helm/acme/charts/alpha-1.0.0.tgz')).status, 200);
    assert.equal((await uploadChart(server.url, 'acme', chartTgz('anon', '1.0.0'), null)).status, 401);
    await server.api('PATCH', '/api/v1/tenants/acme/hosted', {
      token: acme.adminToken,
      body: { publicRead: false },
    });
    assert.equal((await get('/helm/acme/index.yaml')).status, 401);
  });

  it('lets every signed-in user read the system registry "stable" and only system admins push to it', async () => {
    const sysadmin = basic('admin', 'admin-password-for-tests');
    assert.equal((await uploadChart(server.url, 'system', chartTgz('shared', '1.0.0'), member)).status, 403);
    assert.equal(
      (await uploadChart(server.url, 'system', chartTgz('shared', '1.0.0'), sysadmin)).status,
      201,
    );
    const doc = await index('system', member);
    assert.ok(doc.entries['shared']);
    const search = await server.api<{
      items: Array<{ name: string; registry: { name: string; scope: string } }>;
    }>('GET', '/api/v1/tenants/globex/charts?q=shared', {
      token: (await createTenant(server, 'initech')).memberToken,
    });
    assert.equal(search.status, 404, 'not a member of globex');
    const mine = await server.api<{
      items: Array<{ name: string; registry: { name: string; scope: string } }>;
    }>('GET', '/api/v1/tenants/acme/charts?q=shared', { token: acme.memberToken });
    assert.deepEqual(
      mine.body.items.map((c) => [c.registry.scope, c.registry.name, c.name]),
      [['system', 'stable', 'shared']],
    );
  });
});
