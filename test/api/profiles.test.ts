import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startChartRepo, TEST_VALUES_SCHEMA, type ChartRepo, type RepoChart } from '../support/chart-repo.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { createTenant, startTestServer, syncAndWait, TEST_DB, type TestServer } from '../support/server.js';

const WEB_VERSIONS = ['1.0.0', '1.2.0', '1.2.5', '1.3.0', '2.0.0', '2.1.0-rc.1'];
const CHARTS: RepoChart[] = [
  ...WEB_VERSIONS.map((version) => ({ name: 'web', version, schema: TEST_VALUES_SCHEMA })),
  { name: 'db', version: '3.1.0' },
  { name: 'cache', version: '0.9.0' },
  { name: 'badschema', version: '1.0.0', schema: '{"type": "object", "properties": {"a": {"type": 12}}}' },
  // Its schema points at a remote definition (the fixture server itself): never fetched, reported.
  {
    name: 'remote',
    version: '1.0.0',
    schema: JSON.stringify({
      type: 'object',
      properties: { a: { $ref: 'REMOTE_REF' }, b: { type: 'integer' } },
    }),
  },
  // Its defaults use an anchor (as alertmanager's do) and hold what the schema requires.
  {
    name: 'anchored',
    version: '1.0.0',
    values: 'ports:\n  http: &http 8080\nservice:\n  port: *http\n',
    schema: JSON.stringify({
      type: 'object',
      required: ['service'],
      properties: {
        service: { type: 'object', required: ['port'], properties: { port: { type: 'integer' } } },
      },
    }),
  },
];

interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ field?: string; message: string }> };
}
interface LayerView {
  name: string;
  resolvedVersion: string | null;
  digest: string | null;
  verification: string;
  upstream: string;
  updates: { withinConstraint: string | null; latest: string | null };
  warnings: string[];
  registryKind: string;
  protected: boolean;
}
interface VersionView {
  profile: string;
  version: string;
  status: string;
  layers: LayerView[];
  installOrder: string[];
  variables: Array<{ name: string; default?: unknown; hasDefault: boolean; sensitive: boolean }>;
  publishedBy: string | null;
  updatesAvailable: number;
}
interface PlanLayer {
  name: string;
  reference: string;
  chartUrl: string | null;
  digest: string | null;
  version: string;
  upstream: string;
  verification: string;
  values: Record<string, unknown>;
  registry: { kind: string; protected: boolean };
}
interface Plan {
  profile: string;
  version: string;
  layers: PlanLayer[];
}

const layer = (over: Record<string, unknown>) => ({
  name: 'web',
  registry: 'upstream',
  chart: 'web',
  version: '1.2.0',
  namespace: 'apps',
  values: 'replicaCount: 2\n',
  ...over,
});

describe(`cluster profiles API (${TEST_DB})`, () => {
  let server: TestServer;
  let repo: ChartRepo;
  let charts: RepoChart[];
  let acme: { adminToken: string; memberToken: string };
  let other: { adminToken: string; memberToken: string };
  const base = '/api/v1/tenants/acme/profiles';

  before(async () => {
    repo = await startChartRepo(CHARTS);
    // The remote $ref names this very server, so a fetch would show up in its request log.
    charts = CHARTS.map((c) =>
      c.schema?.includes('REMOTE_REF')
        ? { ...c, schema: c.schema.replace('REMOTE_REF', `${repo.server.url}/defs.json#/a`) }
        : c,
    );
    repo.setCharts(charts);
    server = await startTestServer();
    [acme, other] = await Promise.all([createTenant(server, 'acme'), createTenant(server, 'other')]);
    for (const [tenant, token] of [
      ['acme', acme.adminToken],
      ['other', other.adminToken],
    ] as const) {
      const added = await server.api('POST', `/api/v1/tenants/${tenant}/registries/helm`, {
        token,
        body: { name: tenant === 'acme' ? 'upstream' : 'secret-upstream', endpoint: repo.url },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const name = tenant === 'acme' ? 'upstream' : 'secret-upstream';
      const run = await syncAndWait(server, `/api/v1/tenants/${tenant}/registries/helm/${name}`, token);
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
    }
    const prot = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      token: acme.adminToken,
      body: { name: 'private', endpoint: 'https://charts.internal.example/repo', protected: true },
    });
    assert.equal(prot.status, 201, JSON.stringify(prot.body));
    const pushed = await uploadChart(server.url, 'acme', chartTgz('inhouse', '0.3.0'), basic('acme-admin'));
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
  });
  after(async () => {
    await server.close();
    await repo.close();
  });

  const create = (name: string, body: Record<string, unknown>, token = acme.adminToken) =>
    server.api<VersionView & ErrorBody>('POST', base, { token, body: { name, ...body } });
  const versionCount = async (name: string): Promise<number> => {
    const res = await server.api<{ versions: unknown[] }>('GET', `${base}/${name}`, {
      token: acme.memberToken,
    });
    return res.status === 404 ? 0 : res.body.versions.length;
  };

  it('creates a profile with layers from a synced, a hosted and a protected registry, resolved and ordered', async () => {
    const res = await create('platform', {
      description: 'The platform stack',
      layers: [
        layer({ name: 'web', versionConstraint: '~1.2', version: undefined, dependsOn: ['db'] }),
        layer({ name: 'db', chart: 'db', version: '3.1.0', values: '' }),
        layer({ name: 'inhouse', registry: 'hosted', chart: 'inhouse', version: '0.3.0', values: '' }),
        layer({
          name: 'vault',
          registry: 'private',
          chart: 'vault',
          version: '0.28.1',
          values: 'server:\n  ha: true\n',
        }),
      ],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.version, '1.0.0');
    assert.equal(res.body.status, 'draft');
    assert.deepEqual(res.body.installOrder, ['db', 'web', 'inhouse', 'vault']);
    const byName = new Map(res.body.layers.map((l) => [l.name, l]));
    assert.equal(byName.get('web')!.resolvedVersion, '1.2.5');
    assert.equal(byName.get('web')!.digest, `sha256:${repo.digest('web', '1.2.5')}`);
    assert.equal(byName.get('web')!.verification, 'catalog');
    assert.equal(byName.get('vault')!.verification, 'unverified');
    assert.equal(byName.get('vault')!.upstream, 'unknown');
    assert.equal(byName.get('inhouse')!.registryKind, 'hosted');
    // ~1.2 stays below 1.3; 2.0.0 is the newest overall, the rc is not offered to a stable layer.
    assert.deepEqual(byName.get('web')!.updates, { withinConstraint: null, latest: '2.0.0' });
  });

  it('lets members read and only tenant administrators write', async () => {
    const read = await server.api<VersionView>('GET', `${base}/platform/versions/1.0.0`, {
      token: acme.memberToken,
    });
    assert.equal(read.status, 200);
    const write = await create('member-made', { layers: [] }, acme.memberToken);
    assert.equal(write.status, 403);
    const put = await server.api<ErrorBody>('PUT', `${base}/platform/versions/1.0.0`, {
      token: acme.memberToken,
      body: { layers: [] },
    });
    assert.equal(put.status, 403);
    const publish = await server.api('POST', `${base}/platform/versions/1.0.0/publish`, {
      token: acme.memberToken,
    });
    assert.equal(publish.status, 403);
  });

  it("hides one tenant's profiles and registries from another (404, nothing leaked)", async () => {
    for (const path of [
      '/api/v1/tenants/acme/profiles/platform',
      '/api/v1/tenants/acme/profiles/platform/versions/1.0.0',
      '/api/v1/tenants/acme/profiles/platform/resolve',
    ]) {
      const res = await server.api<ErrorBody>('GET', path, { token: other.adminToken });
      assert.equal(res.status, 404, path);
    }
    const list = await server.api<{ items: unknown[] }>('GET', '/api/v1/tenants/other/profiles', {
      token: other.adminToken,
    });
    assert.deepEqual(list.body.items, []);
    // acme names other's registry: as unknown as a registry that never existed.
    const res = await create('leak', { layers: [layer({ registry: 'secret-upstream' })] });
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal(res.body.error.message, 'Layer "web": Helm registry "secret-upstream" was not found.');
    const never = await create('leak', { layers: [layer({ registry: 'never-existed' })] });
    assert.equal(never.status, 404);
    assert.equal(
      never.body.error.message.replace('never-existed', 'secret-upstream'),
      res.body.error.message,
    );
    assert.equal(await versionCount('leak'), 0);
  });

  const refused = async (
    layers: unknown[],
    field: string,
    pattern: RegExp,
    extra: Record<string, unknown> = {},
  ): Promise<void> => {
    const res = await create('refused', { layers, ...extra });
    assert.equal(res.status, 422, `${field}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'profile_invalid');
    const detail = res.body.error.details?.find((d) => d.field === field);
    assert.ok(detail, `no detail for ${field}: ${JSON.stringify(res.body.error.details)}`);
    assert.match(detail.message, pattern);
    assert.equal(await versionCount('refused'), 0, 'nothing saved');
  };

  it('refuses versions and constraints the catalog cannot satisfy, naming the layer and field', async () => {
    await refused(
      [layer({ version: '9.9.9' })],
      'layers[0].version',
      /^Layer "web": version 9\.9\.9 of chart "web" is not in registry "upstream" \(its newest is/,
    );
    await refused(
      [layer({ chart: 'nope' })],
      'layers[0].chart',
      /chart "nope" is not in registry "upstream"/,
    );
    await refused(
      [layer({ version: undefined, versionConstraint: '~7.0' })],
      'layers[0].versionConstraint',
      /matches no version/,
    );
    await refused(
      [layer({ version: undefined, versionConstraint: '>=>1' })],
      'layers[0].versionConstraint',
      /is not a version constraint/,
    );
    for (const bad of ['latest', '1.0', '../x']) {
      await refused([layer({ version: bad })], 'layers[0].version', /Layer "web"/);
    }
    await refused([layer({ version: undefined })], 'layers[0].version', /give a version/);
    await refused([layer({ versionConstraint: '^1.0.0' })], 'layers[0].versionConstraint', /not both/);
  });

  it('follows Helm pre-release rules: a stable constraint never picks the rc, one naming a pre-release may', async () => {
    const stable = await create('pre-a', {
      layers: [layer({ version: undefined, versionConstraint: '>=2.0.0-0' })],
    });
    assert.equal(stable.status, 201, JSON.stringify(stable.body));
    assert.equal(stable.body.layers[0]!.resolvedVersion, '2.1.0-rc.1');
    const caret = await create('pre-b', {
      layers: [layer({ version: undefined, versionConstraint: '^2.0.0' })],
    });
    assert.equal(caret.body.layers[0]!.resolvedVersion, '2.0.0');
  });

  it('checks a protected layer for form only: exact SemVer, Helm chart name, no constraint', async () => {
    const prot = (over: Record<string, unknown>) =>
      layer({ registry: 'private', chart: 'vault', version: '1.0.0', ...over });
    await refused([prot({ version: '~1.0' })], 'layers[0].version', /not an exact SemVer version/);
    await refused([prot({ version: 'latest' })], 'layers[0].version', /not an exact SemVer version/);
    await refused(
      [prot({ version: undefined, versionConstraint: '^1.0.0' })],
      'layers[0].versionConstraint',
      /protected/,
    );
    await refused([prot({ chart: '../etc' })], 'layers[0].chart', /not valid/);
  });

  it('refuses bad names, duplicates, a release installed twice and cyclic dependsOn', async () => {
    await refused([layer({ name: 'Web_1' })], 'layers[0].name', /DNS-1123 label/);
    await refused([layer({ releaseName: 'x'.repeat(54) })], 'layers[0].releaseName', /at most 53/);
    await refused([layer({ namespace: 'Kube System' })], 'layers[0].namespace', /DNS-1123 label/);
    await refused([layer({}), layer({ releaseName: 'other' })], 'layers[1].name', /used by layer 1/);
    await refused(
      [layer({ name: 'a', releaseName: 'same' }), layer({ name: 'b', releaseName: 'same' })],
      'layers[1].releaseName',
      /release "same" in namespace "apps" is installed by Layer "a" already/,
    );
    await refused(
      [
        layer({ name: 'a', dependsOn: ['b'] }),
        layer({ name: 'b', dependsOn: ['c'] }),
        layer({ name: 'c', dependsOn: ['a'] }),
      ],
      'layers[0].dependsOn',
      /cycle: a → b → c → a/,
    );
    await refused([layer({ dependsOn: ['ghost'] })], 'layers[0].dependsOn', /no layer of this version/);
  });

  it('refuses values that are no mapping, alias bombs, and values over 1 MiB, naming the layer', async () => {
    await refused([layer({ values: '- a\n- b\n' })], 'layers[0].values', /mapping/);
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n';
    await refused([layer({ values: bomb })], 'layers[0].values', /anchor|alias/i);
    await refused(
      [layer({ values: `replicaCount: 1\npad: "${'x'.repeat(10 * 1024 * 1024)}"\n` })],
      'layers[0].values',
      /at most 1\.0 MiB/,
    );
  });

  it("reports every violation of the chart's values.schema.json at once, with its path", async () => {
    const res = await create('schema', {
      layers: [
        layer({
          values: 'replicaCount: 50\nimage:\n  tag: 7\n  pullPolicy: Sometimes\n  extra: 1\nenabled: "yes"\n',
        }),
      ],
    });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    const fields = (res.body.error.details ?? []).map((d) => d.field).sort();
    assert.deepEqual(fields, [
      'layers[0].values.enabled',
      'layers[0].values.image.extra',
      'layers[0].values.image.pullPolicy',
      'layers[0].values.image.tag',
      'layers[0].values.replicaCount',
    ]);
    // The chart's defaults count, as Helm validates the merged values: replicaCount comes from values.yaml,
    // and service.port from an alias in the anchored chart's.
    const ok = await create('schema', {
      layers: [
        layer({ values: 'image:\n  tag: "1.2"\n' }),
        layer({ name: 'anchored', chart: 'anchored', version: '1.0.0', values: '' }),
      ],
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.layers[1]!.warnings, []);
    // A chart whose own schema is broken: a warning on the layer, kept with the version, not a refusal.
    const broken = await create('schema-broken', {
      layers: [layer({ name: 'broken', chart: 'badschema', version: '1.0.0', values: 'a: 1\n' })],
    });
    assert.equal(broken.status, 201, JSON.stringify(broken.body));
    assert.match(broken.body.layers[0]!.warnings.join(' '), /values\.schema\.json of badschema 1\.0\.0/);
    const remote = await create('schema-remote', {
      layers: [layer({ name: 'remote', chart: 'remote', version: '1.0.0', values: 'a: 1\nb: two\n' })],
    });
    assert.equal(remote.status, 422, 'the rest of the schema is still checked');
    assert.deepEqual(
      remote.body.error.details?.map((d) => d.field),
      ['layers[0].values.b'],
    );
    const remoteOk = await create('schema-remote', {
      layers: [layer({ name: 'remote', chart: 'remote', version: '1.0.0', values: 'a: 1\nb: 2\n' })],
    });
    assert.equal(remoteOk.status, 201, JSON.stringify(remoteOk.body));
    assert.match(remoteOk.body.layers[0]!.warnings.join(' '), /defs\.json.*never fetched/);
    assert.equal(repo.server.requests.filter((r) => r.url.startsWith('/defs.json')).length, 0);
    const again = await server.api<VersionView>('GET', `${base}/schema-broken/versions/1.0.0`, {
      token: acme.memberToken,
    });
    assert.deepEqual(again.body.layers[0]!.warnings, broken.body.layers[0]!.warnings);
    const wrong = await create('schema-port', {
      layers: [
        layer({ name: 'anchored', chart: 'anchored', version: '1.0.0', values: 'service:\n  port: http\n' }),
      ],
    });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.details?.[0]?.field, 'layers[0].values.service.port');
  });

  it('substitutes variables, refuses undeclared ones, and never returns a sensitive default', async () => {
    const undeclared = await create('vars', {
      layers: [layer({ values: 'replicaCount: {{ .Variables.replicas }}\n' })],
    });
    assert.equal(undeclared.status, 422);
    assert.match(JSON.stringify(undeclared.body.error.details), /replicas/);
    const res = await create('vars', {
      variables: [
        { name: 'replicas', type: 'number', required: true, default: 2 },
        { name: 'token', type: 'string', sensitive: true, default: 's3cr3t-default-value' },
      ],
      layers: [
        layer({
          values: 'replicaCount: {{ .Variables.replicas }}\nimage:\n  tag: "{{ .Variables.token }}"\n',
        }),
      ],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const token = res.body.variables.find((v) => v.name === 'token')!;
    assert.equal(token.hasDefault, true);
    assert.equal(token.default, undefined);
    assert.doesNotMatch(JSON.stringify(res.body), /s3cr3t-default-value/);
    const publish = await server.api<VersionView>('POST', `${base}/vars/versions/1.0.0/publish`, {
      token: acme.adminToken,
    });
    assert.equal(publish.status, 200, JSON.stringify(publish.body));
    const plan = await server.api<Plan>('GET', `${base}/vars/resolve?var.replicas=3`, {
      token: acme.memberToken,
    });
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    // A sensitive variable is never returned, not even substituted into the plan people read.
    assert.deepEqual(plan.body.layers[0]!.values, { replicaCount: 3, image: { tag: '(sensitive token)' } });
    const given = await server.api<Plan>('GET', `${base}/vars/resolve?var.token=from-the-request`, {
      token: acme.memberToken,
    });
    assert.deepEqual(given.body.layers[0]!.values, { replicaCount: 2, image: { tag: '(sensitive token)' } });
    assert.doesNotMatch(JSON.stringify(plan.body) + JSON.stringify(given.body), /s3cr3t|from-the-request/);
    const wrongType = await server.api<ErrorBody>('GET', `${base}/vars/resolve?var.replicas=three`, {
      token: acme.memberToken,
    });
    assert.equal(wrongType.status, 400);
    const unknown = await server.api<ErrorBody>('GET', `${base}/vars/resolve?var.nope=1`, {
      token: acme.memberToken,
    });
    assert.equal(unknown.status, 400);
    const tooBig = await server.api<ErrorBody>('GET', `${base}/vars/resolve?var.replicas=50`, {
      token: acme.memberToken,
    });
    assert.equal(tooBig.status, 200, 'resolve substitutes; the schema was checked at publish');
    assert.ok(
      !server.logLines.some((l) => l.includes('s3cr3t-default-value')),
      'sensitive default never logged',
    );
  });

  it('publishes a lock, freezes it, and lets exactly one of two racing publishes win', async () => {
    const created = await create('race', {
      layers: [layer({ version: undefined, versionConstraint: '^1.0.0' })],
    });
    assert.equal(created.status, 201);
    // On PostgreSQL the four requests interleave inside the server: only the conditional update keeps
    // a second winner out (checked by removing it). One SQLite process runs them one after another.
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        server.api<VersionView & ErrorBody>('POST', `${base}/race/versions/1.0.0/publish`, {
          token: acme.adminToken,
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409]);
    const won = results.find((r) => r.status === 200)!.body;
    assert.equal(won.status, 'published');
    assert.equal(won.publishedBy, 'acme-admin');
    assert.equal(won.layers[0]!.resolvedVersion, '1.3.0');
    const put = await server.api<ErrorBody>('PUT', `${base}/race/versions/1.0.0`, {
      token: acme.adminToken,
      body: { layers: [] },
    });
    assert.equal(put.status, 409);
    assert.equal(put.body.error.code, 'profile_version_published');
    const del = await server.api<ErrorBody>('DELETE', `${base}/race/versions/1.0.0`, {
      token: acme.adminToken,
    });
    assert.equal(del.status, 409);
  });

  it('clones versions, edits and deletes drafts, and diffs two versions', async () => {
    const next = await server.api<VersionView>('POST', `${base}/race/versions`, {
      token: acme.adminToken,
      body: { version: '1.1.0', from: '1.0.0' },
    });
    assert.equal(next.status, 201, JSON.stringify(next.body));
    assert.equal(next.body.status, 'draft');
    const edited = await server.api<VersionView>('PUT', `${base}/race/versions/1.1.0`, {
      token: acme.adminToken,
      body: {
        layers: [
          layer({ version: '2.0.0', values: 'replicaCount: 3\nimage:\n  tag: "2"\n' }),
          layer({ name: 'cache', chart: 'cache', version: '0.9.0', values: '' }),
        ],
      },
    });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    const diff = await server.api<{
      layers: {
        added: string[];
        removed: string[];
        changed: Array<{
          name: string;
          fields: Array<{ field: string; from: unknown; to: unknown }>;
          values: Array<{ path: string; kind: string; from?: unknown; to?: unknown }>;
        }>;
      };
    }>('GET', `${base}/race/diff?from=1.0.0&to=1.1.0`, { token: acme.memberToken });
    assert.equal(diff.status, 200, JSON.stringify(diff.body));
    assert.deepEqual(diff.body.layers.added, ['cache']);
    assert.deepEqual(diff.body.layers.removed, []);
    const web = diff.body.layers.changed.find((c) => c.name === 'web')!;
    assert.deepEqual(
      web.fields.filter((f) => f.field === 'version' || f.field === 'versionConstraint'),
      [
        { field: 'version', from: null, to: '2.0.0' },
        { field: 'versionConstraint', from: '^1.0.0', to: null },
      ],
    );
    assert.deepEqual(
      web.values.map((v) => [v.path, v.kind]),
      [
        ['image', 'added'],
        ['replicaCount', 'changed'],
      ].map(([p, k]) => [p, k]),
    );
    const fresh = await server.api<VersionView>('POST', `${base}/race/versions`, {
      token: acme.adminToken,
      body: { version: '2.0.0-alpha.1', layers: [] },
    });
    assert.equal(fresh.status, 201);
    const dup = await server.api<ErrorBody>('POST', `${base}/race/versions`, {
      token: acme.adminToken,
      body: { version: '1.1.0' },
    });
    assert.equal(dup.status, 409);
    const bad = await server.api<ErrorBody>('POST', `${base}/race/versions`, {
      token: acme.adminToken,
      body: { version: 'v2' },
    });
    assert.equal(bad.status, 400);
    const gone = await server.api('DELETE', `${base}/race/versions/2.0.0-alpha.1`, {
      token: acme.adminToken,
    });
    assert.equal(gone.status, 204);
    const emptyPublish = await server.api<ErrorBody>('POST', `${base}/race/versions`, {
      token: acme.adminToken,
      body: { version: '3.0.0' },
    });
    assert.equal(emptyPublish.status, 201);
    const refusedEmpty = await server.api<ErrorBody>('POST', `${base}/race/versions/3.0.0/publish`, {
      token: acme.adminToken,
    });
    assert.equal(refusedEmpty.status, 422);
  });

  it('resolves a published version into a deterministic plan with a strong ETag and 304', async () => {
    const created = await create('plan', {
      layers: [
        layer({ name: 'web', version: '1.2.0' }),
        layer({ name: 'inhouse', registry: 'hosted', chart: 'inhouse', version: '0.3.0', values: '' }),
        layer({ name: 'vault', registry: 'private', chart: 'vault', version: '0.28.1', values: '' }),
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const published = await server.api('POST', `${base}/plan/versions/1.0.0/publish`, {
      token: acme.adminToken,
    });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    const first = await server.api<Plan>('GET', `${base}/plan/resolve?version=1.0.0`, {
      token: acme.memberToken,
    });
    const second = await server.api<Plan>('GET', `${base}/plan/resolve`, { token: acme.memberToken });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, second.body);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[A-Za-z0-9_-]{43}"$/);
    assert.equal(second.headers.get('etag'), etag);
    const web = first.body.layers.find((l) => l.name === 'web')!;
    assert.equal(web.reference, `${repo.url}/charts/web-1.2.0.tgz`);
    assert.equal(web.digest, `sha256:${repo.digest('web', '1.2.0')}`);
    const inhouse = first.body.layers.find((l) => l.name === 'inhouse')!;
    assert.match(inhouse.reference, /^oci:\/\/127\.0\.0\.1:\d+\/acme\/inhouse@sha256:[0-9a-f]{64}$/);
    assert.match(inhouse.chartUrl ?? '', /\/helm\/acme\/charts\/inhouse-0\.3\.0\.tgz$/);
    const vault = first.body.layers.find((l) => l.name === 'vault')!;
    assert.equal(vault.verification, 'unverified');
    assert.equal(vault.digest, null);
    assert.equal(vault.reference, 'https://charts.internal.example/repo');
    // The profile's own answer counts, per version, the layers with an update within their constraint.
    const profile = await server.api<{ versions: Array<{ version: string; updatesAvailable?: number }> }>(
      'GET',
      `${base}/plan`,
      { token: acme.memberToken },
    );
    assert.deepEqual(profile.body.versions, [
      { ...profile.body.versions[0]!, version: '1.0.0', updatesAvailable: 1 },
    ]);
    const notModified = await fetch(`${server.url}${base}/plan/resolve`, {
      headers: { authorization: `Bearer ${acme.memberToken}`, 'if-none-match': etag! },
    });
    assert.equal(notModified.status, 304);
    // The hosted reference pulls exactly the archive the lock names.
    const manifest = await fetch(
      `${server.url}/v2/acme/inhouse/manifests/${inhouse.reference.split('@')[1]}`,
      {
        headers: {
          authorization: basic('acme-member'),
          accept: 'application/vnd.oci.image.manifest.v1+json',
        },
      },
    );
    assert.equal(manifest.status, 200);
    const layers = ((await manifest.json()) as { layers: Array<{ digest: string }> }).layers;
    assert.equal(layers[0]!.digest, inhouse.digest);
  });

  it('keeps a published lock when its version disappears upstream, and says so', async () => {
    const lockedDigest = `sha256:${repo.digest('web', '1.2.0')}`;
    repo.setCharts(charts.filter((c) => !(c.name === 'web' && c.version === '1.2.0')));
    const run = await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/upstream', acme.adminToken);
    assert.equal(run.status, 'succeeded');
    const plan = await server.api<Plan>('GET', `${base}/plan/resolve`, { token: acme.memberToken });
    const web = plan.body.layers.find((l) => l.name === 'web')!;
    assert.equal(web.version, '1.2.0');
    assert.equal(web.upstream, 'gone');
    assert.equal(web.digest, lockedDigest);
    const view = await server.api<VersionView>('GET', `${base}/plan/versions/1.0.0`, {
      token: acme.memberToken,
    });
    const shown = view.body.layers.find((l) => l.name === 'web')!;
    assert.equal(shown.upstream, 'gone');
    assert.match(shown.warnings.join(' '), /gone from the catalog/);
    repo.setCharts(charts);
    await syncAndWait(server, '/api/v1/tenants/acme/registries/helm/upstream', acme.adminToken);
  });

  it('deletes a profile with its versions', async () => {
    const res = await server.api('DELETE', `${base}/pre-a`, { token: acme.adminToken });
    assert.equal(res.status, 204);
    assert.equal((await server.api('GET', `${base}/pre-a`, { token: acme.adminToken })).status, 404);
    assert.equal((await server.api('DELETE', `${base}/pre-a`, { token: acme.adminToken })).status, 404);
  });
});
