import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  ALIAS_BOMB_YAML,
  deepJson,
  deepYaml,
  endlessBody,
  gzipBomb,
  redirectTo,
  sendBody,
  slowBody,
  startFixtureServer,
  type FixtureHandler,
  type FixtureServer,
} from '../support/fixture-servers.js';
import {
  countChartVersions,
  createTenant,
  startTestServer,
  syncAndWait,
  TEST_DB,
  type TestServer,
} from '../support/server.js';

const KONG = readFileSync(new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url));

/**
 * Hostile and broken upstreams during a sync: each run fails (or warns) with a clear message, the last
 * good catalog stays, and the server keeps serving.
 */
describe(`sync faults (${TEST_DB})`, () => {
  let server: TestServer;
  let upstream: FixtureServer;
  let other: FixtureServer;
  let tenant: { adminToken: string };
  const current: { handler: FixtureHandler } = { handler: sendBody(KONG) };
  const base = '/api/v1/tenants/faults/registries/helm/kong';

  before(async () => {
    server = await startTestServer({ CHARTHOUSE_MAX_INDEX_BYTES: String(4 * 1024 * 1024) });
    other = await startFixtureServer({ '/index.yaml': sendBody(KONG) });
    upstream = await startFixtureServer({
      '/kong/index.yaml': (req: IncomingMessage, res: ServerResponse) => current.handler(req, res),
    });
    tenant = await createTenant(server, 'faults');
    const add = await server.api('POST', '/api/v1/tenants/faults/registries/helm', {
      token: tenant.adminToken,
      body: {
        name: 'kong',
        endpoint: `${upstream.url}/kong`,
        auth: { type: 'basic', username: 'robot', password: 'kong-Pa55' },
      },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
  });
  after(async () => {
    await Promise.all([server.close(), upstream.close(), other.close()]);
  });

  const sync = () => syncAndWait(server, base, tenant.adminToken);
  const versions = (): Promise<number> => countChartVersions(server);

  it('syncs the good index first, with a warning per duplicate entry', async () => {
    const run = await sync();
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.added, 230);
    assert.ok(
      run.warnings.some((w) => /more than once/.test(w.message)),
      JSON.stringify(run.warnings.slice(0, 3)),
    );
  });

  it('fails each hostile upstream with its cause, keeping the last good catalog', async () => {
    const good = await versions();
    const cases: Array<[string, FixtureHandler, string, RegExp]> = [
      ['alias bomb', sendBody(ALIAS_BOMB_YAML), 'not_a_helm_repository', /alias|anchor/i],
      ['deep YAML nesting', sendBody(deepYaml(5000)), 'not_a_helm_repository', /deep|nest/i],
      ['deep JSON nesting', sendBody(deepJson(200000)), 'not_a_helm_repository', /deep|nest/i],
      ['body over the limit', endlessBody(), 'upstream_too_large', /4194304|4 MiB|larger/],
      ['gzip bomb', gzipBomb(64), 'upstream_too_large', /4194304|4 MiB|larger/],
      ['1 byte per second', slowBody(1000), 'upstream_timeout', /within|time/i],
      ['not YAML at all', sendBody(Buffer.from([0, 1, 2, 3, 255, 254])), 'not_a_helm_repository', /Helm/],
      ['upstream 503', sendBody('busy', { status: 503 }), 'upstream_bad_status', /503/],
      [
        'upstream 429',
        sendBody('slow down', { status: 429, headers: { 'retry-after': '1' } }),
        'upstream_bad_status',
        /429/,
      ],
    ];
    for (const [what, handler, code, message] of cases) {
      current.handler = handler;
      const run = await sync();
      assert.equal(run.status, 'failed', `${what}: ${JSON.stringify(run)}`);
      assert.equal(run.errorCode, code, `${what}: ${run.error}`);
      assert.match(run.error ?? '', message, what);
      assert.equal(await versions(), good, `${what}: the catalog is kept`);
      assert.equal((await server.api('GET', '/healthz', { token: null })).status, 200);
    }
    current.handler = sendBody(KONG);
  });

  it('holds a document cut short (it still parses) as suspect, keeping the catalog', async () => {
    const good = await versions();
    current.handler = sendBody(KONG.subarray(0, Math.floor(KONG.length / 3)));
    const run = await sync();
    assert.equal(run.status, 'suspect', JSON.stringify(run));
    assert.match(run.error ?? '', /truncated/);
    assert.equal(await versions(), good);
    // The full index comes back: nothing was lost, nothing to write.
    current.handler = sendBody(KONG);
    const back = await sync();
    assert.equal(back.status, 'unchanged', JSON.stringify(back));
  });

  it('warns, not fails, on bad entries, and stores their text as given', async () => {
    current.handler = sendBody(
      [
        'apiVersion: v1',
        'entries:',
        '  good:',
        '  - {name: good, version: 1.10, description: "<script>alert(1)</script>", urls: [good-1.10.tgz]}',
        '  - {name: good, version: latest, urls: [x.tgz]}',
        '  - null',
        '  ../evil:',
        '  - {name: ../evil, version: 1.0.0, urls: [e.tgz]}',
        '',
      ].join('\n'),
    );
    const run = await sync();
    // Down from 230 versions to 1: held as suspect once, applied when seen again.
    assert.equal(run.status, 'suspect');
    const applied = await sync();
    assert.equal(applied.status, 'succeeded', JSON.stringify(applied));
    assert.ok(applied.warnings.some((w) => /latest/.test(w.message)));
    assert.ok(applied.warnings.some((w) => /evil/.test(w.message)));
    const rows = await server.app.storage.db
      .selectFrom('chart_versions')
      .select(['chart_name', 'version', 'description'])
      .execute();
    assert.deepEqual(rows, [
      { chart_name: 'good', version: '1.10', description: '<script>alert(1)</script>' },
    ]);
  });

  it('does not send the credentials to another origin after a redirect', async () => {
    current.handler = redirectTo(`${other.url}/index.yaml`);
    const run = await sync();
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(other.requests.at(-1)?.headers.authorization, undefined);
    assert.match(String(upstream.requests.at(-1)?.headers.authorization), /^Basic /);
  });
});
