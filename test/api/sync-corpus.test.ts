import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  serveFile,
  startFixtureServer,
  type FixtureRoutes,
  type FixtureServer,
} from '../support/fixture-servers.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

type Run = {
  id: string;
  status: string;
  added: number;
  warnings: Array<{ message: string }>;
  error: string | null;
};

const CORPUS = new URL('../../../shared/corpus/index/', import.meta.url).pathname;
/** Versions each real index keeps, and how many warnings it deserves (duplicates, short digests, no URL). */
const EXPECTED: Record<string, { versions: number; warnings: number }> = {
  'argo-helm-index.yaml': { versions: 1628, warnings: 0 },
  'datadog-helm-charts-index.yaml': { versions: 1545, warnings: 2 },
  'grafana-helm-charts-index.yaml': { versions: 3589, warnings: 2 },
  'kong-charts-index.yaml': { versions: 230, warnings: 9 },
  'opentelemetry-helm-charts-index.yaml': { versions: 1014, warnings: 0 },
  'edge/helm-chartmuseum-index.yaml': { versions: 4, warnings: 5 },
  'edge/helm-local-index.json': { versions: 4, warnings: 5 },
  'edge/helm-local-index-annotations.yaml': { versions: 4, warnings: 5 },
  'edge/helm-local-index-unordered.yaml': { versions: 4, warnings: 5 },
  'edge/helm-testing-relative-index.yaml': { versions: 3, warnings: 0 },
};

/** Every real index in the corpus syncs end to end, with the warnings it deserves. */
describe(`sync of every corpus index (${TEST_DB})`, () => {
  let server: TestServer;
  let upstream: FixtureServer;
  let tenant: { adminToken: string };
  const files = [
    ...readdirSync(CORPUS).filter((f) => /\.(ya?ml|json)$/.test(f)),
    ...readdirSync(`${CORPUS}edge`).map((f) => `edge/${f}`),
  ];

  before(async () => {
    server = await startTestServer();
    tenant = await createTenant(server, 'corpus');
    const routes: FixtureRoutes = {};
    files.forEach((file, i) => {
      routes[`/r${i}/index.yaml`] = serveFile(`${CORPUS}${file}`);
    });
    upstream = await startFixtureServer(routes);
  });
  after(async () => {
    await Promise.all([server.close(), upstream.close()]);
  });

  it('knows what to expect of every file', () => {
    assert.deepEqual([...files].sort(), Object.keys(EXPECTED).sort());
  });

  for (const [i, file] of Object.keys(EXPECTED).sort().entries()) {
    it(`syncs ${file}`, async () => {
      const index = files.indexOf(file);
      const base = '/api/v1/tenants/corpus/registries/helm';
      const add = await server.api('POST', base, {
        token: tenant.adminToken,
        body: { name: `corpus-${i}`, endpoint: `${upstream.url}/r${index}` },
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));
      const started = await server.api<{ run: Run }>('POST', `${base}/corpus-${i}/sync`, {
        token: tenant.adminToken,
      });
      assert.equal(started.status, 202);
      const run = await waitFor(
        async () => {
          const runs = await server.api<{ items: Run[] }>('GET', `${base}/corpus-${i}/syncs?limit=1`, {
            token: tenant.adminToken,
          });
          const latest = runs.body.items[0];
          return latest?.status !== 'running' && latest;
        },
        { what: `the sync of ${file} finished`, timeoutMs: 60_000 },
      );
      assert.equal(run?.status, 'succeeded', JSON.stringify(run));
      assert.equal(run.added, EXPECTED[file]?.versions);
      assert.equal(run.warnings.length, EXPECTED[file]?.warnings, JSON.stringify(run.warnings));
    });
  }
});
