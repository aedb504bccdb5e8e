import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import type {
  ProfileDiff,
  ProfileList,
  ProfilePlan,
  ProfileVersionView,
  ProfileView,
} from '../../src/client/api-client.js';
import { startChartRepo, TEST_VALUES_SCHEMA, type ChartRepo } from '../support/chart-repo.js';
import { assertCliOk, runCli, type CliRun } from '../support/cli.js';
import {
  ADMIN,
  createTenant,
  startTestServer,
  syncAndWait,
  TEST_DB,
  type TestServer,
} from '../support/server.js';

/** A ClusterProfile file: `web` on a constraint with values as a mapping, `db` exact with values as text. */
function profileFile(
  o: { version?: string; replicas?: number; constraint?: string; extra?: string } = {},
): string {
  return `apiVersion: charthouse.io/v1
kind: ClusterProfile
metadata:
  name: platform
  tenant: acme
spec:
  version: ${o.version ?? '1.0.0'}
  description: The platform stack
  variables:
    - {name: tier, type: string, required: false, default: gold}
  layers:
    - name: web
      registry: upstream
      chart: web
      versionConstraint: "${o.constraint ?? '~1.2'}"
      namespace: apps
      createNamespace: true
      dependsOn: [db]
      values:
        replicaCount: ${o.replicas ?? 2}
        image:
          tag: "1.10"
        service:
          type: ClusterIP
        tier: "{{ .Variables.tier }}"
    - name: db
      registry: upstream
      chart: db
      version: 3.1.0
      values: |
        persistence: true
${o.extra ?? ''}`;
}

describe(`charthouse profile commands (${TEST_DB})`, () => {
  let server: TestServer;
  let repo: ChartRepo;
  let dir: string;
  let config: string;
  let file: string;
  const run = (args: string[], stdin?: string): Promise<CliRun> =>
    runCli(config, args, stdin === undefined ? {} : { stdin });
  const T = ['--tenant', 'acme'];
  const apply = async (text: string, ...args: string[]): Promise<CliRun> => {
    await writeFile(file, text);
    return run(['profile', 'apply', '-f', file, ...args]);
  };
  const versionJson = async (version: string): Promise<ProfileVersionView> => {
    const show = await run(['profile', 'show', 'platform', '--version', version, ...T, '--json']);
    assertCliOk(show, 'profile show --version --json');
    return JSON.parse(show.stdout) as ProfileVersionView;
  };
  const profileCount = async (): Promise<number> => {
    const list = await run(['profile', 'list', ...T, '--json']);
    assertCliOk(list, 'profile list --json');
    return (JSON.parse(list.stdout) as ProfileList).items.length;
  };

  before(async () => {
    repo = await startChartRepo([
      ...['1.2.0', '1.2.5', '1.3.0'].map((version) => ({ name: 'web', version, schema: TEST_VALUES_SCHEMA })),
      { name: 'db', version: '3.1.0' },
    ]);
    server = await startTestServer();
    await createTenant(server, 'acme');
    const added = await server.api('POST', '/api/v1/tenants/acme/registries/helm', {
      body: { name: 'upstream', endpoint: repo.url },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const synced = await syncAndWait(
      server,
      '/api/v1/tenants/acme/registries/helm/upstream',
      server.adminToken,
    );
    assert.equal(synced.status, 'succeeded', JSON.stringify(synced));
    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-profile-cli-'));
    config = path.join(dir, 'cli.json');
    file = path.join(dir, 'profile.yaml');
    assertCliOk(
      await runCli(
        config,
        ['login', '--server', server.url, '--username', ADMIN.username, '--password-stdin'],
        {
          stdin: ADMIN.password,
        },
      ),
      'login',
    );
  });
  after(async () => {
    await server.close();
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses invalid files before calling the server, naming the key', async () => {
    const kind = await apply(profileFile().replace('kind: ClusterProfile', 'kind: Profile'));
    assert.equal(kind.code, 1, kind.stderr);
    assert.equal(
      kind.stderr,
      `error: ${file} is not a valid ClusterProfile\n  kind: must be ClusterProfile\n`,
    );

    const unknown = await apply(profileFile({ extra: 'status:\n  ready: true\n' }));
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(
      unknown.stderr,
      /^ {2}status: unknown key \(expected one of: apiVersion, kind, metadata, spec\)$/m,
    );

    const alias = await apply(
      profileFile().replace('type: ClusterIP', 'type: &t ClusterIP\n          other: *t'),
    );
    assert.equal(alias.code, 1, alias.stderr);
    assert.match(
      alias.stderr,
      /is not valid YAML: YAML anchors and aliases \(&name, \*name\) are not accepted/,
    );

    const mismatch = await apply(profileFile(), '--tenant', 'other');
    assert.equal(mismatch.code, 1, mismatch.stderr);
    assert.match(mismatch.stderr, /--tenant other does not match metadata.tenant acme/);
    assert.equal(await profileCount(), 0, 'nothing was created');
  });

  it('prints every 422 detail of a bad layer and creates nothing', async () => {
    const bad = await apply(profileFile({ constraint: '^9.0', replicas: 50 }));
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /^error: .+/);
    const details = bad.stderr.split('\n').filter((l) => /^ {2}\S+: .+/.test(l));
    assert.ok(details.length >= 1, bad.stderr);
    assert.match(bad.stderr, /^ {2}layers\[0\]\.versionConstraint: .+/m);
    assert.equal(await profileCount(), 0);
  });

  it('creates the profile from a file, then updates the draft, then publishes it', async () => {
    const created = await apply(profileFile());
    assertCliOk(created, 'apply (create)');
    assert.equal(created.stdout, 'platform 1.0.0 created (draft)\n');
    let v = await versionJson('1.0.0');
    assert.equal(v.status, 'draft');
    assert.deepEqual(v.installOrder, ['db', 'web']);
    const web = v.layers.find((l) => l.name === 'web')!;
    assert.equal(
      web.values,
      "replicaCount: 2\nimage:\n  tag: '1.10'\nservice:\n  type: ClusterIP\ntier: '{{ .Variables.tier }}'\n",
    );
    assert.equal(web.resolvedVersion, '1.2.5');
    assert.equal(web.releaseName, 'web');

    const updated = await apply(profileFile({ replicas: 3 }));
    assertCliOk(updated, 'apply (update)');
    assert.equal(updated.stdout, 'platform 1.0.0 updated (draft)\n');
    v = await versionJson('1.0.0');
    assert.match(v.layers.find((l) => l.name === 'web')!.values, /^replicaCount: 3$/m);

    const published = await apply(profileFile({ replicas: 3 }), '--publish', '--json');
    assertCliOk(published, 'apply --publish');
    const outcome = JSON.parse(published.stdout) as { actions: string[]; version: ProfileVersionView };
    assert.deepEqual(outcome.actions, ['updated', 'published']);
    assert.equal(outcome.version.status, 'published');
  });

  it('leaves a published version with the same content alone, and refuses a changed one', async () => {
    const same = await apply(profileFile({ replicas: 3 }), '--publish');
    assertCliOk(same, 'apply (unchanged)');
    assert.equal(same.stdout, 'platform 1.0.0 unchanged (published)\n');

    const changed = await apply(profileFile({ replicas: 4 }));
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stderr, /^error: platform 1\.0\.0 is published; bump spec\.version/);
    assert.match(changed.stderr, /^ {2}layers\.web\.values: line 1: "replicaCount: 3" → "replicaCount: 4"$/m);
    assert.match(
      (await versionJson('1.0.0')).layers.find((l) => l.name === 'web')!.values,
      /^replicaCount: 3$/m,
    );
  });

  it('creates a new version from stdin and diffs it against the published one', async () => {
    const next = await run(
      ['profile', 'apply', '-f', '-'],
      profileFile({ version: '1.1.0', replicas: 4, constraint: '~1.3' }).replace(
        'default: gold',
        'default: silver',
      ),
    );
    assertCliOk(next, 'apply -f -');
    assert.equal(next.stdout, 'platform 1.1.0 created (draft)\n');

    const diff = await run(['profile', 'diff', 'platform', '--from', '1.0.0', '--to', '1.1.0', ...T]);
    assertCliOk(diff, 'profile diff');
    assert.match(diff.stdout, /^platform 1\.0\.0 → 1\.1\.0$/m);
    assert.match(diff.stdout, /^~ layer web$/m);
    assert.match(diff.stdout, /^ {4}versionConstraint: "~1\.2" → "~1\.3"$/m);
    assert.match(diff.stdout, /^ {4}values replicaCount changed: 3 → 4$/m);
    assert.match(diff.stdout, /^~ variable tier$/m);
    assert.doesNotMatch(diff.stdout, /layer db/);

    const json = await run([
      'profile',
      'diff',
      'platform',
      '--from',
      '1.0.0',
      '--to',
      '1.1.0',
      ...T,
      '--json',
    ]);
    assertCliOk(json, 'profile diff --json');
    const d = JSON.parse(json.stdout) as ProfileDiff;
    assert.deepEqual(
      d.layers.changed.map((c) => c.name),
      ['web'],
    );
    assert.deepEqual(d.variables.changed, ['tier']);

    const none = await run(['profile', 'diff', 'platform', '--from', '1.0.0', '--to', '1.0.0', ...T]);
    assertCliOk(none, 'profile diff (same)');
    assert.equal(none.stdout, 'platform 1.0.0 → 1.0.0\nNo differences.\n');
  });

  it('lists and shows profiles and versions', async () => {
    const list = await run(['profile', 'list', ...T]);
    assertCliOk(list, 'profile list');
    assert.match(list.stdout, /^NAME +LATEST +PUBLISHED +VERSIONS +UPDATED$/m);
    assert.match(list.stdout, /^platform +1\.1\.0 +1\.0\.0 +2 +\d{4}-\d\d-\d\d \d\d:\d\d UTC$/m);

    const show = await run(['profile', 'show', 'platform', ...T]);
    assertCliOk(show, 'profile show');
    assert.match(show.stdout, /^Profile: +platform$/m);
    assert.match(show.stdout, /^VERSION +STATUS +LAYERS +PUBLISHED +UPDATED +DESCRIPTION$/m);
    assert.match(show.stdout, /^1\.1\.0 +draft +2 +- +/m);
    assert.match(show.stdout, /^1\.0\.0 +published +2 +\d{4}-\d\d-\d\d \d\d:\d\d UTC by admin +/m);
    const json = JSON.parse(
      (await run(['profile', 'show', 'platform', ...T, '--json'])).stdout,
    ) as ProfileView;
    assert.equal(json.latestPublished, '1.0.0');

    const version = await run(['profile', 'show', 'platform', '--version', '1.0.0', ...T]);
    assertCliOk(version, 'profile show --version');
    assert.match(
      version.stdout,
      /^NAME +REGISTRY +CHART +VERSION\/CONSTRAINT +RESOLVED +RELEASE +NAMESPACE +VERIFICATION +UPDATES$/m,
    );
    // Install order: db (which web depends on) first.
    const rows = version.stdout.split('\n').filter((l) => /^(db|web) /.test(l));
    assert.deepEqual(
      rows.map((r) => r.split(/ +/)[0]),
      ['db', 'web'],
    );
    assert.match(version.stdout, /^db +upstream +db +3\.1\.0 +3\.1\.0 +db +default +catalog +-$/m);
    assert.match(
      version.stdout,
      /^web +upstream +web +~1\.2 +1\.2\.5 +web +apps \(created\) +catalog +1\.3\.0 latest$/m,
    );
    assert.match(version.stdout, /^tier +string +no +"gold"/m);
  });

  it('resolves a published version into its plan, as a table, JSON and YAML', async () => {
    const table = await run(['profile', 'resolve', 'platform', ...T, '--set', 'tier=bronze']);
    assertCliOk(table, 'profile resolve');
    assert.match(table.stdout, /^platform 1\.0\.0 \(published .+ UTC\)$/m);
    assert.match(table.stdout, /^NAME +CHART +VERSION +RELEASE +NAMESPACE +REFERENCE +DIGEST$/m);
    const digest = `sha256:${repo.digest('web', '1.2.5')}`;
    assert.match(
      table.stdout,
      new RegExp(`^web +web +1\\.2\\.5 +web +apps +${repo.url}/charts/web-1\\.2\\.5\\.tgz +${digest}$`, 'm'),
    );
    assert.ok(table.stdout.indexOf('\ndb ') < table.stdout.indexOf('\nweb '), 'install order');

    const json = await run([
      'profile',
      'resolve',
      'platform',
      '--version',
      '1.0.0',
      ...T,
      '--set',
      'tier=bronze',
      '--json',
    ]);
    assertCliOk(json, 'profile resolve --json');
    const plan = JSON.parse(json.stdout) as ProfilePlan;
    const web = plan.layers.find((l) => l.name === 'web')!;
    assert.equal(web.digest, digest);
    assert.deepEqual(web.values, {
      replicaCount: 3,
      image: { tag: '1.10' },
      service: { type: 'ClusterIP' },
      tier: 'bronze',
    });

    const yaml = await run(['profile', 'resolve', 'platform', ...T, '-o', 'yaml']);
    assertCliOk(yaml, 'profile resolve -o yaml');
    assert.equal(
      (load(yaml.stdout) as ProfilePlan).layers.find((l) => l.name === 'web')!.values.tier,
      'gold',
    );

    const draft = await run(['profile', 'resolve', 'platform', '--version', '1.1.0', ...T]);
    assert.equal(draft.code, 1, draft.stderr);
    assert.match(draft.stderr, /^error: platform 1\.1\.0 is a draft/);
  });

  it('creates an empty profile; publishing it prints the 422 details and exits 1', async () => {
    const created = await run([
      'profile',
      'create',
      'empty',
      ...T,
      '--description',
      'nothing yet',
      '--version',
      '0.1.0',
    ]);
    assertCliOk(created, 'profile create');
    assert.equal(created.stdout, 'Created cluster profile empty with draft version 0.1.0.\n');
    const publish = await run(['profile', 'publish', 'empty', '--version', '0.1.0', ...T]);
    assert.equal(publish.code, 1, publish.stderr);
    assert.match(
      publish.stderr,
      /^error: .+\n {2}layers: empty 0\.1\.0 has no layers: add at least one before publishing\.$/m,
    );

    const publishDraft = await run(['profile', 'publish', 'platform', '--version', '1.1.0', ...T, '--json']);
    assertCliOk(publishDraft, 'profile publish --json');
    assert.equal((JSON.parse(publishDraft.stdout) as ProfileVersionView).status, 'published');
  });

  it('deletes drafts and profiles, asking first unless --yes', async () => {
    const published = await run([
      'profile',
      'delete-version',
      'platform',
      '--version',
      '1.0.0',
      ...T,
      '--yes',
    ]);
    assert.equal(published.code, 1, published.stderr);
    assert.match(published.stderr, /^error: .*1\.0\.0.*published/);

    const noTty = await run(['profile', 'delete-version', 'empty', '--version', '0.1.0', ...T]);
    assert.equal(noTty.code, 2, noTty.stderr);
    assert.match(noTty.stderr, /add --yes/);

    const draft = await run(['profile', 'delete-version', 'empty', '--version', '0.1.0', ...T, '--yes']);
    assertCliOk(draft, 'profile delete-version');
    assert.equal(draft.stdout, 'Deleted draft empty 0.1.0 (tenant acme).\n');

    const gone = await run(['profile', 'delete', 'platform', ...T, '--yes', '--json']);
    assertCliOk(gone, 'profile delete --json');
    assert.deepEqual(JSON.parse(gone.stdout), { deleted: { profile: 'platform' } });
    const deleted = await run(['profile', 'delete', 'empty', ...T, '--yes']);
    assertCliOk(deleted, 'profile delete');
    assert.equal(deleted.stdout, 'Deleted cluster profile empty (tenant acme).\n');
    const list = await run(['profile', 'list', ...T]);
    assert.equal(list.stdout, 'No cluster profiles.\n');
  });
});
