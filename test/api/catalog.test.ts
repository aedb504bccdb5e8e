import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ChartDetail, ChartSearchResult, ChartVersionDetail } from '../../src/catalog/catalog.schema.js';
import { sendBody, serveFile, startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

type Err = { error: { code: string; message: string } };
type Run = { id: string; status: string; error: string | null };

const KONG = new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url).pathname;
const digest = (s: string): string => createHash('sha256').update(s).digest('hex');

interface Entry {
  version: string;
  description?: string;
  keywords?: string[];
  appVersion?: string;
  deprecated?: boolean;
}

/** A small index whose content the tests know exactly (JSON is valid YAML). */
function indexOf(charts: Record<string, Entry[]>): string {
  const entries: Record<string, unknown[]> = {};
  for (const [name, versions] of Object.entries(charts)) {
    entries[name] = versions.map((v) => ({
      apiVersion: 'v2',
      name,
      ...v,
      created: '2026-01-02T03:04:05Z',
      digest: digest(`${name}-${v.version}`),
      urls: [`${name}-${v.version}.tgz`],
    }));
  }
  return JSON.stringify({ apiVersion: 'v1', entries, generated: '2026-01-02T03:04:05Z' });
}

// 25 filler charts make several pages; the named ones carry what each test searches for.
const ALPHA: Record<string, Entry[]> = {
  'alpha-db': [
    { version: '1.9.0', description: 'An old description', appVersion: '9' },
    { version: '1.10.0', description: 'A scalable database with 100% uptime', keywords: ['storage', 'sql'] },
    { version: '1.2.0', description: 'Older still' },
  ],
  'build-meta': [
    { version: '2.0.0+build.1', description: 'Built once' },
    { version: '2.0.0-rc.1', description: 'A release candidate' },
  ],
  'snake-chart': [{ version: '0.1.0', description: 'Renders snake_case values', keywords: ['yaml'] }],
  'message-queue': [{ version: '3.0.0', description: 'Queues things', keywords: ['Messaging'] }],
  // kong-operator's shape: a release candidate above the stable line, with its own metadata.
  'rc-operator': [
    { version: '1.3.1', description: 'The stable operator', appVersion: '2.2.2' },
    { version: '1.4.0-rc.1', description: 'A candidate operator', appVersion: '2.3.0-rc.2' },
    { version: '1.4.0-alpha.1', description: 'An early operator' },
  ],
  'only-previews': [
    { version: '0.2.0-beta.1', description: 'Preview two' },
    { version: '0.10.0-alpha.1', description: 'Preview ten' },
  ],
  retired: [
    { version: '2.0.0', description: 'Retired chart', deprecated: true },
    { version: '1.0.0', description: 'Retired chart, once alive' },
  ],
};
for (let i = 0; i < 25; i++) {
  ALPHA[`filler-${String(i).padStart(2, '0')}`] = [{ version: '1.0.0', description: 'Filler' }];
}

describe(`chart catalog API (${TEST_DB})`, () => {
  let server: TestServer;
  let fixture: FixtureServer;
  let alpha: { adminToken: string; memberToken: string };
  let beta: { adminToken: string; memberToken: string };
  const alphaBase = '/api/v1/tenants/alpha';
  const betaBase = '/api/v1/tenants/beta';

  async function syncAndWait(prefix: string, name: string, token: string): Promise<void> {
    const started = await server.api<{ run: Run }>('POST', `${prefix}/${name}/sync`, { token });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitFor(
      async () => {
        const runs = await server.api<{ items: Run[] }>('GET', `${prefix}/${name}/syncs`, { token });
        const found = runs.body.items.find((r) => r.id === started.body.run.id);
        return found?.status !== 'running' && found;
      },
      { what: `the sync of ${name} finished`, timeoutMs: 60_000 },
    );
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
  }

  async function add(prefix: string, token: string, body: Record<string, unknown>): Promise<void> {
    const res = await server.api('POST', prefix, { token, body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  const search = (query: string, token = alpha.memberToken, base = alphaBase) =>
    server.api<ChartSearchResult & Err>('GET', `${base}/charts${query}`, { token });

  before(async () => {
    server = await startTestServer();
    fixture = await startFixtureServer({
      '/alpha/index.yaml': sendBody(indexOf(ALPHA), { headers: { 'content-type': 'text/yaml' } }),
      '/kong/index.yaml': serveFile(KONG),
    });
    alpha = await createTenant(server, 'alpha');
    beta = await createTenant(server, 'beta');
    const alphaRegs = `${alphaBase}/registries/helm`;
    await add(alphaRegs, alpha.adminToken, { name: 'alpha-repo', endpoint: `${fixture.url}/alpha` });
    await add(alphaRegs, alpha.adminToken, {
      name: 'inside',
      endpoint: 'https://charts.internal.invalid',
      protected: true,
    });
    await add('/api/v1/system/registries/helm', server.adminToken, {
      name: 'kong',
      endpoint: `${fixture.url}/kong`,
    });
    await syncAndWait(alphaRegs, 'alpha-repo', alpha.adminToken);
    await syncAndWait('/api/v1/system/registries/helm', 'kong', server.adminToken);
  });
  after(async () => {
    await Promise.all([server.close(), fixture.close()]);
  });

  it('finds charts by name, keyword and description, case-insensitively', async () => {
    const byName = await search('?q=ALPHA-d');
    assert.equal(byName.status, 200, JSON.stringify(byName.body));
    assert.deepEqual(
      byName.body.items.map((c) => c.name),
      ['alpha-db'],
    );
    const byKeyword = await search('?q=messaging');
    assert.deepEqual(
      byKeyword.body.items.map((c) => c.name),
      ['message-queue'],
    );
    const byDescription = await search('?q=scalable%20DATABASE');
    assert.deepEqual(
      byDescription.body.items.map((c) => c.name),
      ['alpha-db'],
    );
    // The newest version's description is the one searched: the old one is gone from the match.
    assert.deepEqual((await search('?q=old%20description')).body.items, []);
  });

  it('describes each chart by its newest version in SemVer order (1.10.0 above 1.9.0)', async () => {
    const [db] = (await search('?q=alpha-db')).body.items;
    assert.deepEqual(db, {
      registry: { name: 'alpha-repo', scope: 'tenant', kind: 'helm' },
      name: 'alpha-db',
      latestVersion: '1.10.0',
      prerelease: false,
      appVersion: null,
      description: 'A scalable database with 100% uptime',
      icon: null,
      deprecated: false,
      keywords: ['storage', 'sql'],
      versionCount: 3,
    });
    // A release beats its release candidate; build metadata does not count for precedence.
    const [meta] = (await search('?q=build-meta')).body.items;
    assert.equal(meta?.latestVersion, '2.0.0+build.1');
  });

  it('takes the newest stable version as latest, as helm search repo does; devel=true the newest', async () => {
    const [stable] = (await search('?q=rc-operator')).body.items;
    assert.deepEqual(
      [
        stable?.latestVersion,
        stable?.prerelease,
        stable?.appVersion,
        stable?.description,
        stable?.versionCount,
      ],
      ['1.3.1', false, '2.2.2', 'The stable operator', 3],
    );
    // The candidate's description is not what the default search matches.
    assert.deepEqual((await search('?q=candidate%20operator')).body.items, []);
    const [devel] = (await search('?q=rc-operator&devel=true')).body.items;
    assert.deepEqual(
      [devel?.latestVersion, devel?.prerelease, devel?.appVersion, devel?.description],
      ['1.4.0-rc.1', true, '2.3.0-rc.2', 'A candidate operator'],
    );
    assert.equal((await search('?q=rc-operator&devel=false')).body.items[0]?.latestVersion, '1.3.1');

    // A chart with only pre-releases shows its newest one (0.10 above 0.2), flagged, either way.
    for (const query of ['?q=only-previews', '?q=only-previews&devel=true']) {
      const [only] = (await search(query)).body.items;
      assert.deepEqual([only?.latestVersion, only?.prerelease], ['0.10.0-alpha.1', true], query);
    }
    // The real kong-operator: 1.4.0-rc.1 is newest, 1.3.1 the latest.
    const [kong] = (await search('?q=kong-operator&registry=kong')).body.items;
    assert.equal(kong?.latestVersion, '1.3.1');

    const detail = (query: string) =>
      server.api<ChartDetail & Err>(
        'GET',
        `${alphaBase}/registries/helm/alpha-repo/charts/rc-operator${query}`,
        { token: alpha.memberToken },
      );
    const chart = (await detail('')).body;
    assert.deepEqual(
      [chart.latestVersion, chart.prerelease, chart.appVersion, chart.description],
      ['1.3.1', false, '2.2.2', 'The stable operator'],
    );
    // Every version is listed, newest first, each marked.
    assert.deepEqual(
      chart.versions.map((v) => [v.version, v.prerelease]),
      [
        ['1.4.0-rc.1', true],
        ['1.4.0-alpha.1', true],
        ['1.3.1', false],
      ],
    );
    assert.equal((await detail('?devel=true')).body.latestVersion, '1.4.0-rc.1');
    const bad = await detail('?devel=yes');
    assert.equal(bad.status, 400);
    assert.equal((await search('?devel=1')).status, 400);
  });

  it('lists deprecated charts unless deprecated=false, judged by the latest version', async () => {
    const names = async (query: string) => (await search(query)).body.items.map((c) => c.name);
    const [retired] = (await search('?q=retired')).body.items;
    assert.deepEqual([retired?.latestVersion, retired?.deprecated], ['2.0.0', true]);
    assert.deepEqual(await names('?q=retired&deprecated=false'), []);
    assert.deepEqual(await names('?q=retired&deprecated=true'), ['retired']);
    // Paging with the filter neither repeats nor skips a chart, nor stops early on a skipped one.
    const all = await names('?limit=200&deprecated=false');
    assert.ok(!all.includes('retired') && all.includes('rc-operator'));
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search(`?limit=9&deprecated=false${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.body.items.map((c) => c.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, all);
    assert.equal((await search('?deprecated=no')).status, 400);
  });

  it('matches % and _ literally', async () => {
    assert.deepEqual(
      (await search('?q=0%25%20up')).body.items.map((c) => c.name),
      ['alpha-db'],
    );
    assert.deepEqual(
      (await search('?q=%25')).body.items.map((c) => c.name),
      ['alpha-db'],
    );
    assert.deepEqual(
      (await search('?q=e_c')).body.items.map((c) => c.name),
      ['snake-chart'],
    );
    assert.deepEqual((await search('?q=_x_')).body.items, []);
    assert.deepEqual((await search('?q=%5C')).body.items, []);
  });

  it('shows the system registry charts to every tenant, and a tenant its own only', async () => {
    const all = (await search('?limit=200')).body.items;
    assert.deepEqual([...new Set(all.map((c) => `${c.registry.scope}:${c.registry.name}`))].sort(), [
      'system:kong',
      'tenant:alpha-repo',
    ]);
    assert.equal(all.length, Object.keys(ALPHA).length + 4);
    const names = all.map((c) => c.name);
    assert.deepEqual(names, [...names].sort(), 'ordered by chart name');

    const forBeta = (await search('?limit=200', beta.memberToken, betaBase)).body.items;
    assert.deepEqual(forBeta.map((c) => c.name).sort(), [
      'gateway-operator',
      'ingress',
      'kong',
      'kong-operator',
    ]);
    assert.ok(forBeta.every((c) => c.registry.scope === 'system' && c.registry.name === 'kong'));

    // Another tenant's registry and another tenant's catalog are simply not there.
    const filtered = await search('?registry=alpha-repo', beta.memberToken, betaBase);
    assert.equal(filtered.status, 404);
    assert.equal(filtered.body.error.code, 'not_found');
    const foreign = await server.api<Err>('GET', `${betaBase}/registries/helm/alpha-repo/charts/alpha-db`, {
      token: beta.memberToken,
    });
    assert.equal(foreign.status, 404);
    const otherTenant = await search('', beta.memberToken, alphaBase);
    assert.equal(otherTenant.status, 404);
  });

  it('filters by registry', async () => {
    const kong = (await search('?registry=kong&limit=200')).body.items;
    assert.deepEqual(
      kong.map((c) => c.name),
      ['gateway-operator', 'ingress', 'kong', 'kong-operator'],
    );
    const own = (await search('?registry=alpha-repo&q=kong')).body.items;
    assert.deepEqual(own, []);
    const unknown = await search('?registry=nope');
    assert.equal(unknown.status, 404);
    // A protected registry has no catalog: nothing to list.
    assert.deepEqual((await search('?registry=inside')).body.items, []);
  });

  it('pages with a cursor, without duplicates or gaps', async () => {
    const everything = (await search('?limit=200')).body.items.map((c) => `${c.registry.name}/${c.name}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await search(`?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.items.length <= 7);
      seen.push(...page.body.items.map((c) => `${c.registry.name}/${c.name}`));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, everything);
    assert.equal(pages, Math.ceil(everything.length / 7));

    const filler = await search('?q=filler&limit=10');
    assert.equal(filler.body.items.length, 10);
    const rest = await search(`?q=filler&limit=100&cursor=${filler.body.nextCursor}`);
    assert.equal(rest.body.items.length, 15);
    assert.equal(rest.body.nextCursor, undefined);

    const bad = await search('?cursor=not-a-cursor');
    assert.equal(bad.status, 400);
    assert.equal((await search('?limit=0')).status, 400);
    assert.equal((await search('?limit=201')).status, 400);
  });

  it('shows a chart with every version, newest first', async () => {
    const res = await server.api<ChartDetail>(
      'GET',
      `${alphaBase}/registries/helm/alpha-repo/charts/alpha-db`,
      {
        token: alpha.memberToken,
      },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.latestVersion, '1.10.0');
    assert.equal(res.body.versionCount, 3);
    assert.deepEqual(
      res.body.versions.map((v) => v.version),
      ['1.10.0', '1.9.0', '1.2.0'],
    );
    assert.deepEqual(res.body.versions[1], {
      version: '1.9.0',
      prerelease: false,
      appVersion: '9',
      created: '2026-01-02T03:04:05Z',
      digest: digest('alpha-db-1.9.0'),
      deprecated: false,
    });
    // A system registry's chart through a tenant, and through the system scope.
    const viaTenant = await server.api<ChartDetail>('GET', `${betaBase}/registries/helm/kong/charts/kong`, {
      token: beta.memberToken,
    });
    assert.equal(viaTenant.status, 200);
    assert.equal(viaTenant.body.registry.scope, 'system');
    const viaSystem = await server.api<ChartDetail>('GET', '/api/v1/system/registries/helm/kong/charts/kong');
    assert.equal(viaSystem.status, 200);
    assert.deepEqual(viaSystem.body, viaTenant.body);
  });

  it('shows one version with all its metadata, also a version with +', async () => {
    const base = `${alphaBase}/registries/helm/alpha-repo/charts/build-meta/versions`;
    for (const spelling of ['2.0.0+build.1', '2.0.0%2Bbuild.1']) {
      const res = await server.api<ChartVersionDetail>('GET', `${base}/${spelling}`, {
        token: alpha.memberToken,
      });
      assert.equal(res.status, 200, `${spelling}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.version, '2.0.0+build.1');
    }
    const res = await server.api<ChartVersionDetail>(
      'GET',
      `${alphaBase}/registries/helm/alpha-repo/charts/alpha-db/versions/1.10.0`,
      { token: alpha.memberToken },
    );
    // The archive's files (values.yaml, README.md, ...) are test/api/chart-files.test.ts's subject; this
    // fixture serves no archive, so they are unavailable here.
    const { firstSeenAt, updatedAt, valuesYaml, readme, valuesSchema, files, ...rest } = res.body;
    assert.ok(!Number.isNaN(Date.parse(firstSeenAt)) && !Number.isNaN(Date.parse(updatedAt)));
    assert.deepEqual([valuesYaml, readme, valuesSchema, files?.status], [null, null, null, 'unavailable']);
    assert.deepEqual(rest, {
      registry: { name: 'alpha-repo', scope: 'tenant', kind: 'helm' },
      name: 'alpha-db',
      version: '1.10.0',
      appVersion: null,
      apiVersion: 'v2',
      type: null,
      description: 'A scalable database with 100% uptime',
      icon: null,
      home: null,
      sources: [],
      keywords: ['storage', 'sql'],
      maintainers: [],
      kubeVersion: null,
      deprecated: false,
      created: '2026-01-02T03:04:05Z',
      digest: digest('alpha-db-1.10.0'),
      urls: ['alpha-db-1.10.0.tgz'],
      chartUrl: `${fixture.url}/alpha/alpha-db-1.10.0.tgz`,
      dependencies: [],
      annotations: {},
      republished: false,
    });
  });

  it('answers 404 for unknown charts and versions, and for protected registries', async () => {
    const get = (path: string) =>
      server.api<Err>('GET', `${alphaBase}/registries/helm/${path}`, { token: alpha.memberToken });
    const chart = await get('alpha-repo/charts/nope');
    assert.deepEqual([chart.status, chart.body.error.code], [404, 'not_found']);
    assert.match(chart.body.error.message, /Chart "alpha-repo\/nope" was not found/);
    const version = await get('alpha-repo/charts/alpha-db/versions/9.9.9');
    assert.deepEqual([version.status, version.body.error.code], [404, 'not_found']);
    const registry = await get('nope/charts/alpha-db');
    assert.deepEqual([registry.status, registry.body.error.code], [404, 'not_found']);
    const inside = await get('inside/charts/anything');
    assert.deepEqual([inside.status, inside.body.error.code], [404, 'registry_protected']);
    assert.match(inside.body.error.message, /typed by hand/);
    const unauthenticated = await server.api<Err>('GET', `${alphaBase}/charts`, { token: null });
    assert.equal(unauthenticated.status, 401);
  });
});
