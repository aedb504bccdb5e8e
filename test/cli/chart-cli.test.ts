import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChartSearchResult, SyncRunList, SyncRunView } from '../../src/client/api-client.js';
import { assertCliOk, runCli, type CliRun } from '../support/cli.js';
import { serveFile, startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { ADMIN, createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

const KONG = new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url).pathname;

describe(`charthouse registry sync and chart commands (${TEST_DB})`, () => {
  let server: TestServer;
  let fixture: FixtureServer;
  let dir: string;
  let config: string;
  const run = (args: string[]): Promise<CliRun> => runCli(config, args);

  before(async () => {
    server = await startTestServer();
    fixture = await startFixtureServer({
      '/kong/index.yaml': serveFile(KONG),
      '/gone/index.yaml': serveFile(KONG),
    });
    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-chart-cli-'));
    config = path.join(dir, 'cli.json');
    await createTenant(server, 'acme');
    for (const name of ['kong', 'gone']) {
      const add = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
        body: { name, endpoint: `${fixture.url}/${name}` },
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));
    }
    assertCliOk(
      await runCli(
        config,
        ['login', '--server', server.url, '--username', ADMIN.username, '--password-stdin'],
        { stdin: ADMIN.password },
      ),
      'login',
    );
  });
  after(async () => {
    await Promise.all([server.close(), fixture.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('syncs a registry and waits for the outcome', async () => {
    const sync = await run(['registry', 'sync', 'kong', '--tenant', 'acme', '--wait']);
    assertCliOk(sync, 'registry sync --wait');
    assert.match(sync.stdout, /^Synced kong in \d+\.\d s: added \d+, updated 0, removed 0, unchanged 0/m);
    assert.match(sync.stderr, /Syncing kong/);

    const again = await run(['registry', 'sync', 'kong', '--tenant', 'acme', '--wait', '--json']);
    assertCliOk(again, 'registry sync --wait --json');
    const outcome = JSON.parse(again.stdout) as SyncRunView;
    assert.equal(outcome.status, 'unchanged');

    const history = await run(['registry', 'syncs', 'kong', '--tenant', 'acme']);
    assertCliOk(history, 'registry syncs');
    assert.match(
      history.stdout,
      /^STARTED +TRIGGER +STATUS +ADDED +UPDATED +REMOVED +UNCHANGED +WARNINGS +ERROR$/m,
    );
    assert.match(history.stdout, /manual +unchanged/);
    assert.match(history.stdout, /manual +succeeded/);
    const json = JSON.parse(
      (await run(['registry', 'syncs', 'kong', '--tenant', 'acme', '--json'])).stdout,
    ) as SyncRunList;
    assert.deepEqual(
      json.items.map((r) => r.status),
      ['unchanged', 'succeeded'],
    );
  });

  it('exits 1 with the error when the sync fails', async () => {
    await fixture.close();
    const sync = await run(['registry', 'sync', 'gone', '--tenant', 'acme', '--wait']);
    assert.equal(sync.code, 1, sync.stderr);
    assert.match(sync.stdout, /^Sync of gone failed in \d+\.\d s: .+/m);
  });

  it('searches the catalog and shows charts and versions', async () => {
    const search = await run(['chart', 'search', 'operator', '--tenant', 'acme']);
    assertCliOk(search, 'chart search');
    assert.match(search.stdout, /^REGISTRY +CHART +LATEST +APP VERSION +DESCRIPTION$/m);
    assert.match(search.stdout, /^kong +gateway-operator +\d+\.\d+\.\d+\S* +\S+/m);
    assert.match(search.stdout, /^kong +kong-operator /m);
    assert.doesNotMatch(search.stdout, /^kong +ingress /m);

    const json = JSON.parse(
      (
        await run([
          'chart',
          'search',
          'kong',
          '--tenant',
          'acme',
          '--registry',
          'kong',
          '--json',
          '--limit',
          '2',
        ])
      ).stdout,
    ) as ChartSearchResult;
    assert.equal(json.items.length, 2);
    const none = await run(['chart', 'search', 'no-such-chart', '--tenant', 'acme']);
    assertCliOk(none, 'chart search (no match)');
    assert.equal(none.stdout, 'No charts found.\n');

    const show = await run(['chart', 'show', 'kong/ingress', '--tenant', 'acme']);
    assertCliOk(show, 'chart show');
    assert.match(show.stdout, /^Chart: +ingress$/m);
    assert.match(show.stdout, /^VERSION +APP VERSION +CREATED +DEPRECATED$/m);
    const latest = /^Latest: +(\S+)$/m.exec(show.stdout)?.[1];
    assert.ok(latest);

    const version = await run(['chart', 'show', 'kong/ingress', '--tenant', 'acme', '--version', latest]);
    assertCliOk(version, 'chart show --version');
    assert.match(version.stdout, new RegExp(`^Version: +${latest.replace(/[.+]/g, '\\$&')}$`, 'm'));
    assert.match(
      version.stdout,
      /^Chart URL: +https:\/\/github\.com\/Kong\/charts\/releases\/download\/ingress-0\.24\.0\/ingress-0\.24\.0\.tgz$/m,
    );

    const missing = await run(['chart', 'show', 'kong/nope', '--tenant', 'acme']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Chart "kong\/nope" was not found\.$/m);
    const usage = await run(['chart', 'show', 'just-a-name', '--tenant', 'acme']);
    assert.equal(usage.code, 2);
  });

  it('shows the newest stable version as latest, and pre-releases with --devel (helm search repo)', async () => {
    // kong-operator's newest version in the corpus is 1.4.0-rc.1 (app 2.3.0-rc.2); its newest stable 1.3.1.
    const stable = await run(['chart', 'search', 'kong-operator', '--tenant', 'acme', '--registry', 'kong']);
    assertCliOk(stable, 'chart search');
    assert.match(stable.stdout, /^kong +kong-operator +1\.3\.1 +2\.2\.2 /m);
    assert.doesNotMatch(stable.stdout, /rc/);

    const devel = await run(['chart', 'search', 'kong-operator', '--tenant', 'acme', '--devel']);
    assertCliOk(devel, 'chart search --devel');
    assert.match(devel.stdout, /^kong +kong-operator +1\.4\.0-rc\.1 \(pre-release\) +2\.3\.0-rc\.2 /m);

    const show = await run(['chart', 'show', 'kong/kong-operator', '--tenant', 'acme']);
    assert.match(show.stdout, /^Latest: +1\.3\.1$/m);
    // Every version is listed either way, the release candidate first.
    assert.match(show.stdout, /^VERSION.*\n1\.4\.0-rc\.1 /m);
    const showDevel = await run(['chart', 'show', 'kong/kong-operator', '--tenant', 'acme', '--devel']);
    assert.match(showDevel.stdout, /^Latest: +1\.4\.0-rc\.1 \(pre-release\)$/m);
  });
});
