import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { packageChartFolder } from '../../src/cli/chart-folder.js';
import type { ChartSearchResult } from '../../src/client/api-client.js';
import { assertCliOk, runCli, type CliRun } from '../support/cli.js';
import { sendBody, startFixtureServer } from '../support/fixture-servers.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface IndexYaml {
  entries: Record<string, Array<{ version: string; digest: string; urls: string[] }>>;
}

/** A chart folder `<dir>/<name>` with a Chart.yaml, values and a template. */
async function writeChart(
  dir: string,
  name: string,
  version: string,
  values = 'replicas: 1\n',
): Promise<string> {
  const root = path.join(dir, `${name}-src`);
  await mkdir(path.join(root, 'templates'), { recursive: true });
  await writeFile(
    path.join(root, 'Chart.yaml'),
    `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: A chart pushed by the CLI tests\n`,
  );
  await writeFile(path.join(root, 'values.yaml'), values);
  await writeFile(
    path.join(root, 'templates', 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
  );
  return root;
}

describe(`charthouse chart push and pull (${TEST_DB})`, () => {
  let server: TestServer;
  let dir: string;
  let adminConfig: string;
  let memberConfig: string;
  let memberToken: string;
  const asAdmin = (args: string[]): Promise<CliRun> => runCli(adminConfig, args);
  const asMember = (args: string[]): Promise<CliRun> => runCli(memberConfig, args);

  const index = async (): Promise<IndexYaml> => {
    const res = await server.api<string>('GET', '/helm/acme/index.yaml', { token: memberToken });
    assert.equal(res.status, 200);
    return yaml.load(res.body) as IndexYaml;
  };
  const digestOf = async (name: string, version: string): Promise<string | undefined> =>
    (await index()).entries[name]?.find((e) => e.version === version)?.digest;

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'charthouse-chart-push-'));
    adminConfig = path.join(dir, 'admin.json');
    memberConfig = path.join(dir, 'member.json');
    memberToken = (await createTenant(server, 'acme')).memberToken;
    for (const [config, username] of [
      [adminConfig, 'acme-admin'],
      [memberConfig, 'acme-member'],
    ] as const) {
      assertCliOk(
        await runCli(config, ['login', '--server', server.url, '--username', username, '--password-stdin'], {
          stdin: `${username}-password`,
        }),
        `login ${username}`,
      );
    }
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pushes a chart folder: it is in index.yaml and the catalog', async () => {
    const folder = await writeChart(dir, 'demo', '0.1.0');
    const push = await asMember(['chart', 'push', folder, '--tenant', 'acme']);
    assertCliOk(push, 'chart push');
    assert.equal(push.stdout, 'Pushed demo 0.1.0 to acme\n');

    const { archive } = await packageChartFolder(folder);
    assert.equal(await digestOf('demo', '0.1.0'), sha256(archive));
    const catalog = await server.api<ChartSearchResult>(
      'GET',
      '/api/v1/tenants/acme/charts?registry=hosted',
      { token: memberToken },
    );
    assert.equal(catalog.status, 200);
    const demo = catalog.body.items.find((c) => c.name === 'demo');
    assert.equal(demo?.latestVersion, '0.1.0');
    assert.equal(demo?.registry.name, 'hosted');
  });

  it('pushes the same folder again (identical bytes), and its .tgz as is', async () => {
    const folder = path.join(dir, 'demo-src');
    const again = await asMember(['chart', 'push', folder, '--tenant', 'acme', '--json']);
    assertCliOk(again, 'chart push (again)');
    const { archive } = await packageChartFolder(folder);
    assert.deepEqual(JSON.parse(again.stdout), {
      name: 'demo',
      version: '0.1.0',
      digest: `sha256:${sha256(archive)}`,
      tenant: 'acme',
    });
    const tgz = path.join(dir, 'demo-0.1.0.tgz');
    await writeFile(tgz, archive);
    assertCliOk(await asMember(['chart', 'push', tgz, '--tenant', 'acme']), 'chart push .tgz');
  });

  it('refuses other content under the same version unless a tenant admin forces it', async () => {
    const folder = await writeChart(dir, 'demo', '0.1.0', 'replicas: 3\n');
    const conflict = await asMember(['chart', 'push', folder, '--tenant', 'acme']);
    assert.equal(conflict.code, 1, conflict.stderr);
    assert.match(conflict.stderr, /^error: demo 0\.1\.0 exists already with other content/m);
    assert.match(conflict.stderr, /^hint: .*--force/m);
    assert.equal(conflict.stdout, '');

    const memberForce = await asMember(['chart', 'push', folder, '--tenant', 'acme', '--force']);
    assert.equal(memberForce.code, 1, memberForce.stderr);
    assert.match(memberForce.stderr, /^error: Only tenant administrators may delete or overwrite charts/m);

    const { archive } = await packageChartFolder(folder);
    assert.notEqual(await digestOf('demo', '0.1.0'), sha256(archive));
    const adminForce = await asAdmin(['chart', 'push', folder, '--tenant', 'acme', '--force']);
    assertCliOk(adminForce, 'chart push --force (admin)');
    assert.equal(adminForce.stdout, 'Pushed demo 0.1.0 to acme\n');
    assert.equal(await digestOf('demo', '0.1.0'), sha256(archive));
  });

  it('pulls the bytes that were pushed, the newest version by SemVer without --version', async () => {
    const out = path.join(dir, 'pulled');
    const pull = await asMember([
      'chart',
      'pull',
      'demo',
      '--version',
      '0.1.0',
      '--tenant',
      'acme',
      '--destination',
      out,
    ]);
    assertCliOk(pull, 'chart pull');
    const file = path.join(out, 'demo-0.1.0.tgz');
    assert.equal(pull.stdout, `${file}\n`);
    const { archive } = await packageChartFolder(path.join(dir, 'demo-src'));
    assert.deepEqual(await readFile(file), archive);

    // 0.10.0 is newer than 0.9.0 (not in string order), and a pre-release is not the newest release.
    for (const version of ['0.9.0', '0.10.0', '0.11.0-rc.1']) {
      const folder = await writeChart(dir, 'multi', version);
      assertCliOk(await asMember(['chart', 'push', folder, '--tenant', 'acme']), `push multi ${version}`);
    }
    const newest = await asMember([
      'chart',
      'pull',
      'multi',
      '--tenant',
      'acme',
      '--destination',
      out,
      '--json',
    ]);
    assertCliOk(newest, 'chart pull (newest)');
    const pulled = JSON.parse(newest.stdout) as { version: string; digest: string; path: string };
    assert.equal(pulled.version, '0.10.0');
    assert.equal(pulled.path, path.join(out, 'multi-0.10.0.tgz'));
    assert.equal(pulled.digest, `sha256:${await digestOf('multi', '0.10.0')}`);
    assert.equal(sha256(await readFile(pulled.path)), await digestOf('multi', '0.10.0'));
  });

  it('says which chart version is missing', async () => {
    const missing = await asMember(['chart', 'pull', 'demo', '--version', '9.9.9', '--tenant', 'acme']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: chart demo version 9.9.9 not found in acme\n');
    const unknown = await asMember(['chart', 'pull', 'nope', '--tenant', 'acme']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'error: chart nope not found in acme\n');
    const usage = await asMember(['chart', 'pull', 'demo', '--version', '0.1.0']);
    assert.equal(usage.code, 2, usage.stderr);
  });

  it('refuses an archive whose digest is not the one in index.yaml, writing nothing', async () => {
    const body = Buffer.from('not the chart that was indexed');
    const index = yaml.dump({
      apiVersion: 'v1',
      entries: {
        demo: [{ name: 'demo', version: '1.0.0', digest: 'a'.repeat(64), urls: ['charts/demo-1.0.0.tgz'] }],
      },
    });
    const fake = await startFixtureServer({
      'GET /helm/acme/index.yaml': sendBody(index),
      'GET /helm/acme/charts/demo-1.0.0.tgz': sendBody(body),
    });
    try {
      const out = path.join(dir, 'tampered');
      const pull = await runCli(
        path.join(dir, 'none.json'),
        ['chart', 'pull', 'demo', '--tenant', 'acme', '--destination', out],
        { env: { CHARTHOUSE_SERVER: fake.url, CHARTHOUSE_TOKEN: 'chs_test' } },
      );
      assert.equal(pull.code, 1);
      assert.match(
        pull.stderr,
        /^error: demo-1\.0\.0\.tgz does not match the digest in index\.yaml of acme/m,
      );
      assert.equal(fake.requests[0]?.headers.authorization, 'Bearer chs_test');
      assert.deepEqual(await readdir(out).catch(() => []), []);
    } finally {
      await fake.close();
    }
  });
});
