import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { helmRegistryLogin, writeChart } from '../support/helm-charts.js';
import { Helm, HELM_MAJORS, helmVersion } from '../support/kube-tools.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

/*
 * The real Helm 3.17.2 and 4.1.4 against the hosted registry over OCI (`oci://HOST/TENANT`), doing what
 * Helm users do every day: registry login, package, push, pull (by version, latest, by digest), show,
 * template, version ranges and OCI dependencies, an immutable version refused, a deleted version gone,
 * logout. Each major works on its own chart (`web3`, `web4`) in the same tenant, so the two never see
 * each other's versions. The registry speaks plain HTTP: `registry login` needs `--insecure` (Helm 3)
 * or `--plain-http` (Helm 4), and push, pull, show, template and dependency update need `--plain-http`
 * on both.
 */

const MEMBER = { username: 'acme-member', password: 'acme-member-password' };

// The two majors run side by side (each one's steps in order): half the wall time on two cores.
describe(`real helm over OCI against the hosted registry (${TEST_DB})`, { concurrency: true }, () => {
  let server: TestServer;
  let host: string;
  let memberApiToken: string;

  before(async () => {
    server = await startTestServer();
    host = new URL(server.url).host;
    const acme = await createTenant(server, 'acme');
    await createTenant(server, 'beta');
    const issued = await server.api<{ token: string }>('POST', '/api/v1/auth/tokens', {
      token: acme.memberToken,
      body: { name: 'helm' },
    });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    memberApiToken = issued.body.token;
    // A tenant whose registry is public: anonymous helm pulls, never pushes.
    const open = await createTenant(server, 'open');
    const made = await server.api('PATCH', '/api/v1/tenants/open/hosted', {
      token: open.adminToken,
      body: { publicRead: true },
    });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const up = await uploadChart(server.url, 'open', chartTgz('shared', '3.0.0'), basic('open-member'));
    assert.equal(up.status, 201, JSON.stringify(up.body));
  });
  after(async () => {
    await server?.close();
  });

  /**
   * The repositories `GET /v2/_catalog` lists to acme's member: only the charts pushed by each major
   * (`acme/web3`, `acme/web4`), never a trace of a refused push.
   */
  const catalog = async (): Promise<string[]> => {
    const res = await server.api<{ repositories: string[] }>('GET', '/v2/_catalog', {
      token: null,
      headers: { authorization: basic(MEMBER.username, MEMBER.password) },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const strays = res.body.repositories.filter((r) => !/^acme\/web[34]$/.test(r));
    assert.deepEqual(strays, [], 'only pushed charts are repositories');
    return res.body.repositories;
  };
  const indexVersions = async (chart: string): Promise<string[]> => {
    const res = await fetch(`${server.url}/helm/acme/index.yaml`, {
      headers: { authorization: basic(MEMBER.username, MEMBER.password) },
    });
    assert.equal(res.status, 200);
    const index = yaml.load(await res.text()) as { entries: Record<string, { version: string }[]> };
    return (index.entries[chart] ?? []).map((v) => v.version).sort();
  };

  for (const major of HELM_MAJORS) {
    // Its steps in order (a suite's children inherit `concurrency: true` otherwise).
    describe(`helm ${helmVersion(major)}`, { concurrency: false }, () => {
      const name = `web${major}`;
      const ref = (path = `acme/${name}`) => `oci://${host}/${path}`;
      let helm: Helm;
      let work: string;
      /** Helm needs `--plain-http` on push, pull, show and template to reach a plain-HTTP registry. */
      const plain = ['--plain-http'];
      /** `helm package` of a fresh chart folder; resolves with the .tgz path. */
      const packaged = async (version: string, greeting = 'hello', into = version): Promise<string> => {
        const src = await writeChart(join(work, 'src', into), {
          name,
          version,
          appVersion: '2.4',
          description: `The ${name} chart, packaged by the real helm`,
          greeting,
        });
        const out = join(work, 'packages', into);
        await helm.ok(['package', src, '-d', out]);
        const [file] = await readdir(out);
        assert.ok(file, `helm package wrote nothing into ${out}`);
        return join(out, file);
      };
      /** `helm pull` into a fresh folder; resolves with the one file it wrote. */
      const pulled = async (args: string[]): Promise<{ file: string; bytes: Buffer; output: string }> => {
        const out = join(work, 'pulls', String(Math.random()).slice(2));
        await mkdir(out, { recursive: true });
        const run = await helm.ok(['pull', ...args, ...plain, '-d', out]);
        const [file] = await readdir(out);
        assert.ok(file, `helm pull wrote nothing: ${run.stderr}${run.stdout}`);
        return { file, bytes: await readFile(join(out, file)), output: run.stderr + run.stdout };
      };
      const pushed: Record<string, { tgz: string; bytes: Buffer; digest: string }> = {};
      const push = async (tgz: string, at = ref('acme')) => helm.ok(['push', tgz, at, ...plain]);

      before(async () => {
        helm = await Helm.start(major);
        work = join(helm.home, 'work');
      });
      after(async () => {
        await helm?.close();
      });

      it('helm registry login: a wrong password is refused; an API token and the password are accepted', async () => {
        const wrong = await helmRegistryLogin(helm, host, MEMBER.username, 'not-the-password');
        assert.notEqual(wrong.code, 0, wrong.stdout);
        assert.match(wrong.stderr, /401|unauthorized/i);
        const withToken = await helmRegistryLogin(helm, host, MEMBER.username, memberApiToken);
        assert.equal(withToken.code, 0, withToken.stderr);
        assert.match(withToken.stdout + withToken.stderr, /Login Succeeded/);
        // The token login is good for a push: that is what CI pipelines do.
        const tgz = await packaged('0.1.0');
        await push(tgz);
        assert.deepEqual(await indexVersions(name), ['0.1.0']);
        const withPassword = await helmRegistryLogin(helm, host, MEMBER.username, MEMBER.password);
        assert.equal(withPassword.code, 0, withPassword.stderr);
        // No secret ever reached the server's log.
        const log = server.logLines.join('\n');
        assert.ok(!log.includes(memberApiToken) && !log.includes(MEMBER.password), 'no secret in the log');
      });

      it('helm package + helm push: each version is a chart version; a +build version is tagged with _', async () => {
        for (const [version, greeting] of [
          ['1.0.0', 'hello'],
          ['1.1.0', 'hi'],
          ['0.9.0+build.5', 'built'],
        ] as const) {
          const tgz = await packaged(version, greeting);
          const run = await push(tgz);
          const out = run.stdout + run.stderr;
          // Helm turns `+` into `_` in the tag (OCI tags cannot hold `+`).
          assert.match(out, new RegExp(`Pushed: ${host}/acme/${name}:${version.replace('+', '_')}`));
          const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
          assert.ok(digest, out);
          pushed[version] = { tgz, bytes: await readFile(tgz), digest };
        }
        assert.deepEqual(await indexVersions(name), ['0.1.0', '0.9.0+build.5', '1.0.0', '1.1.0']);
        const tags = await server.api<{ tags: string[] }>('GET', `/v2/acme/${name}/tags/list`, {
          token: null,
          headers: { authorization: basic(MEMBER.username, MEMBER.password) },
        });
        assert.deepEqual(tags.body.tags, ['0.1.0', '0.9.0_build.5', '1.0.0', '1.1.0']);
      });

      it('helm pull by version, latest and digest: the bytes that were pushed', async () => {
        const byVersion = await pulled([ref(), '--version', '1.0.0']);
        assert.equal(byVersion.file, `${name}-1.0.0.tgz`);
        assert.ok(
          byVersion.bytes.equals(pushed['1.0.0']!.bytes),
          'helm pull --version gives the pushed .tgz',
        );
        assert.match(byVersion.output, new RegExp(`Digest: ${pushed['1.0.0']!.digest}`));

        const latest = await pulled([ref()]);
        assert.equal(latest.file, `${name}-1.1.0.tgz`, 'without --version helm takes the highest version');
        assert.ok(latest.bytes.equals(pushed['1.1.0']!.bytes));

        const byDigest = await pulled([`${ref()}@${pushed['1.0.0']!.digest}`]);
        assert.ok(byDigest.bytes.equals(pushed['1.0.0']!.bytes), 'helm pull @sha256: gives the pushed .tgz');

        const built = await pulled([ref(), '--version', '0.9.0+build.5']);
        assert.equal(built.file, `${name}-0.9.0+build.5.tgz`);
        assert.ok(built.bytes.equals(pushed['0.9.0+build.5']!.bytes));
      });

      it('helm show chart|values|all and helm template read the chart from the registry', async () => {
        const chart = await helm.ok(['show', 'chart', ref(), '--version', '1.0.0', ...plain]);
        const meta = yaml.load(chart.stdout) as Record<string, unknown>;
        assert.equal(meta['name'], name);
        assert.equal(meta['version'], '1.0.0');
        assert.equal(meta['appVersion'], '2.4');
        const values = await helm.ok(['show', 'values', ref(), '--version', '1.0.0', ...plain]);
        // values.yaml as written, comment included.
        assert.match(values.stdout, /^# The greeting the ConfigMap carries\.\ngreeting: hello\n/);
        const all = await helm.ok(['show', 'all', ref(), '--version', '1.1.0', ...plain]);
        assert.match(all.stdout, new RegExp(`name: ${name}\\n`));
        assert.match(all.stdout, /greeting: hi\n/);
        const rendered = await helm.ok(['template', 'shop', ref(), '--version', '1.1.0', ...plain]);
        const docs = yaml.loadAll(rendered.stdout).filter(Boolean) as {
          kind: string;
          metadata: { name: string };
          data: Record<string, string>;
        }[];
        assert.deepEqual(
          docs.map((d) => [d.kind, d.metadata.name, d.data['greeting']]),
          [['ConfigMap', 'shop-greeting', 'hi']],
        );
      });

      it('the same .tgz again is accepted; other content under 1.0.0 is refused, saying what to do', async () => {
        const again = await push(pushed['1.0.0']!.tgz);
        assert.match(again.stdout + again.stderr, /Pushed: /);
        if (major === 4) {
          // Helm 4 packages the same folder byte for byte the same (file times included): the same chart.
          const again4 = join(work, 'packages', '1.0.0-again');
          await helm.ok(['package', join(work, 'src', '1.0.0', name), '-d', again4]);
          const repackaged = join(again4, `${name}-1.0.0.tgz`);
          assert.ok(
            (await readFile(repackaged)).equals(pushed['1.0.0']!.bytes),
            'helm 4 package is reproducible',
          );
          await push(repackaged);
        }
        const other = await packaged('1.0.0', 'changed', '1.0.0-other');
        pushed['1.0.0-other'] = { tgz: other, bytes: await readFile(other), digest: '' };
        const refused = await helm.fails(['push', other, ref('acme'), ...plain]);
        const advice = `DELETE /helm/acme/api/charts/${name}/1.0.0`;
        if (major === 4) {
          assert.match(refused.stderr, /409/);
          assert.ok(refused.stderr.includes(advice), `helm 4 shows what to do: ${refused.stderr}`);
          assert.doesNotMatch(refused.stderr, /\?force/, 'OCI clients cannot force');
        } else {
          // Helm 3 prints the status alone: the reason is in the server's log.
          assert.match(refused.stderr, /409 Conflict/);
        }
        const logged = server.logLines.find(
          (l) => l.includes('"level":30') && l.includes(`${name} 1.0.0 exists already`),
        );
        assert.ok(logged, 'the refusal and its reason are logged at info level');
        assert.ok(logged.includes(advice), logged);
        // Nothing of the refused push stays: same versions, same repositories, the old bytes.
        assert.deepEqual(await indexVersions(name), ['0.1.0', '0.9.0+build.5', '1.0.0', '1.1.0']);
        assert.ok((await catalog()).includes(`acme/${name}`));
        const still = await pulled([ref(), '--version', '1.0.0']);
        assert.ok(still.bytes.equals(pushed['1.0.0']!.bytes));
      });

      it('a push to a nested path is refused and leaves no repository in _catalog', async () => {
        const refused = await helm.fails(['push', pushed['1.1.0']!.tgz, ref('acme/team'), ...plain]);
        if (major === 4) assert.match(refused.stderr, /belongs in repository "acme\/web4"/);
        else assert.match(refused.stderr, /400 Bad Request/);
        // Helm 4 pushes the manifest by digest before tagging it: that first PUT is refused too.
        await catalog();
        const logged = server.logLines.find(
          (l) => l.includes('"level":30') && l.includes(`not \\"acme/team/${name}\\"`),
        );
        assert.ok(logged, 'the refusal and its reason are logged at info level');
        const missing = await helm.fails(['pull', ref(`acme/team/${name}`), '--version', '1.1.0', ...plain]);
        assert.match(missing.stderr, /not found|name unknown/i);
      });

      it('a deleted version is gone for helm pull; pushed again, the new content is served', async () => {
        const res = await fetch(`${server.url}/helm/acme/api/charts/${name}/1.0.0`, {
          method: 'DELETE',
          headers: { authorization: basic('acme-admin') },
        });
        assert.equal(res.status, 200, await res.text());
        const gone = await helm.fails(['pull', ref(), '--version', '1.0.0', ...plain, '-d', work]);
        assert.match(gone.stderr, /not found/i);
        assert.deepEqual(await indexVersions(name), ['0.1.0', '0.9.0+build.5', '1.1.0']);
        await push(pushed['1.0.0-other']!.tgz);
        const fresh = await pulled([ref(), '--version', '1.0.0']);
        assert.ok(fresh.bytes.equals(pushed['1.0.0-other']!.bytes), 'the new 1.0.0 is served');
      });

      it('version ranges: helm pull --version ^1.0.0 and a dependency on oci://HOST/acme resolve from the tags', async () => {
        const ranged = await pulled([ref(), '--version', '^1.0.0']);
        assert.equal(ranged.file, `${name}-1.1.0.tgz`);
        const app = join(work, 'src', 'app');
        await mkdir(join(app, 'templates'), { recursive: true });
        await writeFile(
          join(app, 'Chart.yaml'),
          `apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n` +
            `  - name: ${name}\n    version: ~1.0.0\n    repository: ${ref('acme')}\n`,
        );
        await helm.ok(['dependency', 'update', app, ...plain]);
        const vendored = await readFile(join(app, 'charts', `${name}-1.0.0.tgz`));
        assert.ok(vendored.equals(pushed['1.0.0-other']!.bytes), 'the dependency is the pushed .tgz');
        const rendered = await helm.ok(['template', 'shop', app]);
        assert.match(rendered.stdout, /greeting: "changed"/);
      });

      it("another tenant's member sees nothing; after logout pull and push are refused", async () => {
        await helm.ok(
          ['registry', 'login', host, '-u', 'beta-member', '--password-stdin', helm.loginPlainHttpFlag],
          {
            stdin: 'beta-member-password',
          },
        );
        const foreign = await helm.fails(['pull', ref(), '--version', '1.1.0', ...plain, '-d', work]);
        assert.match(foreign.stderr, /not found|name unknown/i);
        const foreignPush = await helm.fails(['push', pushed['1.1.0']!.tgz, ref('acme'), ...plain]);
        assert.match(foreignPush.stderr, /40[134]|not found|denied|name unknown/i);

        const out = await helm.ok(['registry', 'logout', host]);
        assert.match(out.stdout + out.stderr, /Removing login credentials/);
        const pull = await helm.fails(['pull', ref(), '--version', '1.1.0', ...plain, '-d', work]);
        assert.match(pull.stderr, /401|unauthorized/i);
        const pushAnon = await helm.fails(['push', pushed['1.1.0']!.tgz, ref('acme'), ...plain]);
        assert.match(pushAnon.stderr, /401|unauthorized/i);

        // A tenant with public read: anonymous helm pulls, but cannot push.
        const shared = await pulled([ref('open/shared'), '--version', '3.0.0']);
        assert.equal(shared.file, 'shared-3.0.0.tgz');
        const pushPublic = await helm.fails(['push', pushed['1.1.0']!.tgz, ref('open'), ...plain]);
        assert.match(pushPublic.stderr, /401|unauthorized/i);
        await rm(join(work, 'pulls'), { recursive: true, force: true });
      });
    });
  }
});
