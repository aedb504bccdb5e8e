import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { RegistryView, SyncRunList, SyncRunView } from '../../src/client/api-client.js';
import { assertCliOk, runCli, type CliRun } from '../support/cli.js';
import { sendBody, startFixtureServer, type FixtureServer } from '../support/fixture-servers.js';
import { ADMIN, createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

const KONG = new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url).pathname;
const TICK_SECONDS = 1;
const base = '/api/v1/tenants/acme/registries/helm';

/**
 * A registry's first sync starts the moment it is added (not at the scheduler's next look), exactly
 * once; the CLI waits for it, and for "registry sync", by default.
 */
describe(`adding a registry syncs it at once; the CLI waits (${TEST_DB})`, () => {
  let server: TestServer;
  let fixture: FixtureServer;
  let dir: string;
  let config: string;
  /** Requests for /flaky/index.yaml so far: the first (the add's probe) succeeds, later ones fail. */
  let flakyHits = 0;
  const run = (args: string[]): Promise<CliRun> => runCli(config, args);
  const runs = async (name: string): Promise<SyncRunView[]> =>
    (await server.api<SyncRunList>('GET', `${base}/${name}/syncs`)).body.items;
  const registry = async (name: string): Promise<RegistryView> =>
    (await server.api<RegistryView>('GET', `${base}/${name}`)).body;

  before(async () => {
    // The scheduler on (test servers usually run without it), looking every second.
    server = await startTestServer({
      CHARTHOUSE_SYNC_SCHEDULER: 'true',
      CHARTHOUSE_JOBS_TICK_SECONDS: String(TICK_SECONDS),
    });
    const kong = await readFile(KONG);
    const index = sendBody(kong, { headers: { 'content-type': 'text/yaml' } });
    fixture = await startFixtureServer({
      '/api/index.yaml': index,
      '/cli/index.yaml': index,
      '/nowait/index.yaml': index,
      '/flaky/index.yaml': (req, res) => {
        flakyHits += 1;
        if (flakyHits === 1) return index(req, res);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream broke\n');
      },
    });
    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-first-sync-'));
    config = path.join(dir, 'cli.json');
    await createTenant(server, 'acme');
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

  it('starts the first sync before answering, and runs it once', async () => {
    const add = await server.api<RegistryView>('POST', base, {
      body: { name: 'api', endpoint: `${fixture.url}/api` },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    assert.equal(add.body.syncStatus, 'syncing');
    const synced = await waitFor(
      async () => {
        const r = await registry('api');
        return r.syncStatus === 'synced' && r;
      },
      { what: 'the first sync of api finished' },
    );
    assert.ok(synced.lastSyncedAt);
    assert.ok(synced.versionCount > 0);
    // Two scheduler looks later the registry is current, so nothing ran again.
    await sleep(2_500 * TICK_SECONDS);
    const history = await runs('api');
    assert.deepEqual(
      history.map((r) => [r.trigger, r.status]),
      [['manual', 'succeeded']],
    );
    assert.equal(fixture.requests.filter((r) => r.url.startsWith('/api/index.yaml')).length, 2);
  });

  it('never contacts a protected registry, then or later', async () => {
    const add = await server.api<RegistryView>('POST', base, {
      body: { name: 'inside', endpoint: `${fixture.url}/inside`, protected: true },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    assert.equal(add.body.syncStatus, 'disabled');
    assert.deepEqual(await runs('inside'), []);
    assert.equal(fixture.requests.filter((r) => r.url.startsWith('/inside')).length, 0);
  });

  it('registry add waits for the first sync and says what it found', async () => {
    const add = await run(['registry', 'add', 'cli', `${fixture.url}/cli`, '--tenant', 'acme']);
    assertCliOk(add, 'registry add');
    assert.match(add.stderr, /^Added Helm registry cli \(tenant acme\)\.$/m);
    assert.match(add.stderr, /^Syncing cli… \d+ s$/m);
    assert.ok(
      !add.stderr.includes('\u001b') && !add.stderr.includes('\r'),
      'no terminal control codes when stderr is not a terminal',
    );
    const r = await registry('cli');
    assert.match(
      add.stdout,
      new RegExp(
        `^Synced cli in \\d+\\.\\d s: added ${r.versionCount}, updated 0, removed 0, unchanged 0, \\d+ warning\\(s\\); it has ${r.chartCount} charts, ${r.versionCount} versions\\.$`,
        'm',
      ),
    );
    assert.match(add.stdout, /^Status: +synced$/m);

    // --no-wait answers at once, the sync running; --json is the registry, parseable.
    const quick = await run([
      'registry',
      'add',
      'nowait',
      `${fixture.url}/nowait`,
      '--tenant',
      'acme',
      '--no-wait',
      '--json',
    ]);
    assertCliOk(quick, 'registry add --no-wait --json');
    assert.equal((JSON.parse(quick.stdout) as RegistryView).syncStatus, 'syncing');
    assert.equal(quick.stderr, '');
  });

  it('registry add exits 1 with the reason when the first sync fails (the registry stays)', async () => {
    const add = await run(['registry', 'add', 'flaky', `${fixture.url}/flaky`, '--tenant', 'acme']);
    assert.equal(add.code, 1, add.stderr);
    assert.match(add.stdout, /^Sync of flaky failed in \d+\.\d s: .*500.*$/m);
    assert.equal((await registry('flaky')).syncStatus, 'failed');
  });

  it('registry sync waits by default; --no-wait does not', async () => {
    const sync = await run(['registry', 'sync', 'cli', '--tenant', 'acme']);
    assertCliOk(sync, 'registry sync');
    assert.match(sync.stderr, /^Started a sync of cli \(tenant acme\)\.$/m);
    assert.match(
      sync.stdout,
      /^cli is unchanged upstream in \d+\.\d s: nothing to write; it has \d+ charts/m,
    );
    const quick = await run(['registry', 'sync', 'cli', '--tenant', 'acme', '--no-wait', '--json']);
    assertCliOk(quick, 'registry sync --no-wait --json');
    const started = JSON.parse(quick.stdout) as SyncRunView;
    assert.equal(started.status, 'running');
  });
});
