import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HostedView } from '../../src/client/api-client.js';
import { chartSnippets } from '../../web/src/charts/chart-snippets.js';
import { buildInstructions } from '../../web/src/hosted/instructions.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { Helm, HELM_MAJORS } from '../support/kube-tools.js';
import { runTool } from '../support/skopeo.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

/*
 * The console's helm commands, run as a user would paste them: through a shell, with the real
 * Helm 3.17 and Helm 4.1 as `helm` on PATH and the secret only in CHARTHOUSE_TOKEN. The server speaks
 * plain HTTP here, so this is where Helm 3 and Helm 4 need different sign-in flags.
 */
describe(`console helm commands against the real helm 3 and 4 (${TEST_DB})`, () => {
  let server: TestServer;
  let view: HostedView;
  const tenant = 'acme';
  const username = `${tenant}-member`;

  before(async () => {
    server = await startTestServer();
    const { memberToken } = await createTenant(server, tenant);
    const pushed = await uploadChart(server.url, tenant, chartTgz('webapp', '1.2.0'), basic(username));
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
    const res = await server.api<HostedView>('GET', `/api/v1/tenants/${tenant}/hosted`, {
      token: memberToken,
    });
    assert.equal(res.status, 200);
    view = res.body;
  });
  after(async () => {
    await server?.close();
  });

  for (const major of HELM_MAJORS) {
    it(`Helm ${major}: the console's sign-in, repo add and pull commands work as written`, async () => {
      const helm = await Helm.start(major);
      const bin = await mkdtemp(path.join(tmpdir(), 'charthouse-helm-bin-'));
      try {
        await symlink(helm.binary, path.join(bin, 'helm'));
        const work = path.join(helm.home, 'work');
        const shell = async (command: string) => {
          await writeFile(path.join(bin, 'script.sh'), `set -e\nmkdir -p ${work}\ncd ${work}\n${command}\n`);
          const run = await runTool('/bin/sh', [path.join(bin, 'script.sh')], {
            env: helm.env({
              PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
              CHARTHOUSE_TOKEN: `${username}-password`,
            }),
            timeoutMs: 60_000,
          });
          assert.equal(run.code, 0, `${command}\n${run.stderr}${run.stdout}`);
          return run;
        };
        const hosted = Object.fromEntries(
          buildInstructions({
            tenant,
            urls: view.urls,
            username,
            publicRead: false,
            chart: { name: 'webapp', version: '1.2.0' },
          }).map((s) => [s.id, s]),
        );
        const page = Object.fromEntries(
          chartSnippets(
            { kind: 'hosted', repoName: tenant, urls: view.urls, username },
            'webapp',
            '1.2.0',
          ).steps.map((s) => [s.id, s]),
        );
        const login = hosted[`oci-login-helm${major}`];
        assert.ok(login, 'a sign-in command for this major');
        await shell(login.command);
        await shell(hosted['repo-add']!.command);
        await shell(hosted['repo-pull']!.command);
        await shell(`mkdir -p oci && cd oci && ${page['oci-pull']!.command}`);
        const listing = await shell(`ls ${work} ${work}/oci`);
        assert.match(listing.stdout, /webapp-1\.2\.0\.tgz[\s\S]*webapp-1\.2\.0\.tgz/);

        // The other major's sign-in does not work on this one: both commands are needed.
        const other = hosted[`oci-login-helm${major === 3 ? 4 : 3}`]!;
        const run = await runTool('/bin/sh', ['-c', other.command], {
          env: helm.env({ PATH: `${bin}:${process.env['PATH'] ?? ''}`, CHARTHOUSE_TOKEN: 'x' }),
        });
        assert.notEqual(run.code, 0, `${other.command} should fail on Helm ${major}`);
      } finally {
        await rm(bin, { recursive: true, force: true });
        await helm.close();
      }
    });
  }
});
