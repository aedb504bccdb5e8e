import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cmPush,
  CORPUS,
  helmPackage,
  helmRegistryLoginOk,
  helmRepoAdd,
  writeChart,
} from '../support/helm-charts.js';
import { Helm, HELM_MAJORS } from '../support/kube-tools.js';
import { sha256Digest } from '../support/oci-client.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { requireTool, runTool, startCurl, type Curl } from '../support/skopeo.js';

/*
 * The real Helm 3.17.2 and 4.1.4 against the hosted registry over the classic protocol: charts uploaded
 * with curl exactly as `helm cm-push` sends them, then `helm repo add` (password or API token on
 * stdin), `helm search repo`, `helm pull` (bytes as uploaded), `--verify` of the corpus's signed chart
 * over the classic protocol and over OCI (where `helm push` sends the .prov as a layer), a tampered
 * chart that fails verification, ChartMuseum's DELETE, and refused credentials.
 */

const MEMBER = { username: 'acme-member', password: 'acme-member-password' };
const ADMIN = { username: 'acme-admin', password: 'acme-admin-password' };
const creds = (u: { username: string; password: string }): string => `${u.username}:${u.password}`;
const SIGNED = join(CORPUS, 'provenance', 'signtest-0.1.0.tgz');
const KEYRING = join(CORPUS, 'provenance', 'helm-test-key.pub');
/** What `helm search repo -o json` prints per version. */
type SearchRow = { name: string; version: string; app_version: string; description: string };

/** The charts uploaded before the tests: name, version, appVersion, description. */
const WEB = [
  { version: '1.0.0', appVersion: '2.0', description: 'Web front end, first cut' },
  { version: '1.1.0', appVersion: '2.1', description: 'Web front end: "quoted" & <tags> ünïcode' },
  { version: '2.0.0-beta.1', appVersion: '3.0-rc', description: 'Web front end, next major' },
];

describe(`real helm against the hosted registry, classic protocol (${TEST_DB})`, () => {
  let server: TestServer;
  let curl: Curl;
  let work: string;
  let host: string;
  let repoUrl: string;
  let acme: { adminToken: string; memberToken: string };
  /** Uploaded archive bytes by `<name>-<version>`. */
  const uploaded = new Map<string, Buffer>();

  before(async () => {
    curl = await startCurl();
    server = await startTestServer();
    host = new URL(server.url).host;
    repoUrl = `${server.url}/helm/acme`;
    acme = await createTenant(server, 'acme');
    await createTenant(server, 'beta');
    // The signed chart pushed over OCI by each helm, and a tampered one, each in a tenant of its own
    // (a version is pushed once per registry); acme's member belongs to them all.
    for (const tenant of ['signed-h3', 'signed-h4', 'tamper', 'late-prov']) {
      assert.equal((await server.api('POST', '/api/v1/tenants', { body: { name: tenant } })).status, 201);
      const member = await server.api('POST', `/api/v1/tenants/${tenant}/members`, {
        body: { username: MEMBER.username, role: 'member' },
      });
      assert.equal(member.status, 201, JSON.stringify(member.body));
    }
    work = await mkdtemp(join(tmpdir(), 'charthouse-helm-classic-'));

    // Charts packaged by helm (one run), uploaded side by side as several cm-push runs would.
    const packager = await Helm.start(3);
    try {
      const charts = [
        ...WEB.map((w) => ({ name: 'web', ...w })),
        { name: 'meta', version: '1.0.0+build.7', appVersion: '1' },
        ...HELM_MAJORS.flatMap((m) =>
          ['1.0.0', '1.1.0'].map((version) => ({ name: `gone${m}`, version, appVersion: '1' })),
        ),
      ];
      // Uploaded later, by cm-push with an API token.
      const byToken = HELM_MAJORS.map((m) => ({ name: `token${m}`, version: '0.1.0' }));
      const sources = await Promise.all(
        [...charts, ...byToken].map((spec) =>
          writeChart(join(work, 'src', `${spec.name}-${spec.version}`), spec),
        ),
      );
      const archives = await helmPackage(packager, sources, join(work, 'packaged'));
      for (const [i, spec] of byToken.entries())
        uploaded.set(`${spec.name}-${spec.version}`, await readFile(archives[charts.length + i]!));
      await Promise.all(
        charts.map(async (spec, i) => {
          const res = await cmPush(curl, repoUrl, creds(MEMBER), { chart: archives[i]! });
          assert.equal(res.status, 201, res.body.toString('utf8'));
          assert.deepEqual(JSON.parse(res.body.toString('utf8')), { saved: true });
          uploaded.set(`${spec.name}-${spec.version}`, await readFile(archives[i]!));
        }),
      );
      // cm-push run again with the same archive succeeds; another archive of that version is refused
      // with ChartMuseum's 409 and an error cm-push prints.
      const again = await cmPush(curl, repoUrl, creds(MEMBER), { chart: archives[0]! });
      assert.equal(again.status, 201, again.body.toString('utf8'));
      const renamed = await writeChart(join(work, 'src', 'rebuilt'), {
        ...charts[0]!,
        description: 'rebuilt',
      });
      const [rebuilt] = await helmPackage(packager, [renamed], join(work, 'rebuilt'));
      const conflict = await cmPush(curl, repoUrl, creds(MEMBER), { chart: rebuilt! });
      assert.equal(conflict.status, 409, conflict.body.toString('utf8'));
      assert.match((JSON.parse(conflict.body.toString('utf8')) as { error: string }).error, /web.*1\.0\.0/);

      // The corpus's signed chart with its .prov in ChartMuseum's `prov` form field (cm-push itself
      // never sends one): the manifest derived for OCI clients carries it as a provenance layer.
      const signed = await cmPush(curl, repoUrl, creds(MEMBER), { chart: SIGNED, prov: `${SIGNED}.prov` });
      assert.equal(signed.status, 201, signed.body.toString('utf8'));

      // In `late-prov` the chart as cm-push sends it, then its .prov alone through ChartMuseum's
      // `POST /api/prov` (served over the classic protocol; the OCI manifest stays as derived).
      const lateRepo = `${server.url}/helm/late-prov`;
      const chartOnly = await cmPush(curl, lateRepo, creds(MEMBER), { chart: SIGNED });
      assert.equal(chartOnly.status, 201, chartOnly.body.toString('utf8'));
      const noProv = await curl.request(['-u', creds(MEMBER)], `${lateRepo}/charts/signtest-0.1.0.tgz.prov`);
      assert.equal(noProv.status, 404);
      const provAlone = await curl.request(
        [
          '-u',
          creds(MEMBER),
          '-H',
          'Content-Type: application/octet-stream',
          '--data-binary',
          `@${SIGNED}.prov`,
        ],
        `${lateRepo}/api/prov`,
      );
      assert.equal(provAlone.status, 201, provAlone.body.toString('utf8'));

      // The same chart with one byte of its values changed, under the original .prov: what a
      // compromised store would serve. Uploaded to `tamper`; OCI serves it too.
      const unpacked = join(work, 'tampered');
      await mkdir(unpacked);
      const tar = await runTool(await requireTool('tar'), ['-xzf', SIGNED, '-C', unpacked]);
      assert.equal(tar.code, 0, tar.stderr);
      const values = join(unpacked, 'signtest', 'values.yaml');
      await writeFile(values, `${await readFile(values, 'utf8')}\ninjected: true\n`);
      const [tampered] = await helmPackage(
        packager,
        [join(unpacked, 'signtest')],
        join(work, 'tampered-out'),
      );
      const tamperedUpload = await cmPush(curl, `${server.url}/helm/tamper`, creds(MEMBER), {
        chart: tampered!,
        prov: `${SIGNED}.prov`,
      });
      assert.equal(tamperedUpload.status, 201, tamperedUpload.body.toString('utf8'));
    } finally {
      await packager.close();
    }
  });

  after(async () => {
    await Promise.all([server?.close(), curl?.close(), work && rm(work, { recursive: true, force: true })]);
  });

  const apiToken = async (name: string): Promise<{ id: string; token: string }> => {
    const issued = await server.api<{ id: string; token: string }>('POST', '/api/v1/auth/tokens', {
      token: acme.memberToken,
      body: { name },
    });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    return issued.body;
  };

  for (const major of HELM_MAJORS) {
    describe(`helm ${major}`, () => {
      let helm: Helm;
      let out: string;
      const ociPlain = ['--plain-http'];

      before(async () => {
        helm = await Helm.start(major);
        out = join(work, `pulled-${major}`);
        await mkdir(out);
        await helmRepoAdd(helm, 'acme', repoUrl, MEMBER);
        await helmRegistryLoginOk(helm, host, MEMBER);
      });
      after(() => helm?.close());

      /** `helm pull ARGS -d DIR` into a fresh folder; returns the folder. */
      const pullInto = async (label: string, args: string[]): Promise<string> => {
        const dir = join(out, label);
        await mkdir(dir);
        await helm.ok(['pull', ...args, '-d', dir]);
        return dir;
      };

      it('helm search repo lists what was uploaded: versions, app versions, descriptions', async () => {
        const search = async (...flags: string[]): Promise<SearchRow[]> =>
          JSON.parse(
            (await helm.ok(['search', 'repo', 'acme/', '--versions', '-o', 'json', ...flags])).stdout,
          ) as SearchRow[];
        const rows = (await search()).filter((r) => r.name === 'acme/web');
        const releases = WEB.filter((w) => !w.version.includes('-')).reverse();
        assert.deepEqual(
          rows,
          releases.map((w) => ({
            name: 'acme/web',
            version: w.version,
            app_version: w.appVersion,
            description: w.description,
          })),
        );
        // --devel adds the pre-release, newest first.
        const devel = (await search('--devel')).filter((r) => r.name === 'acme/web');
        assert.deepEqual(
          devel.map((r) => [r.version, r.app_version]),
          [...WEB].reverse().map((w) => [w.version, w.appVersion]),
        );
        // Every chart uploaded before the tests (the token tests add their own as they run).
        const names = new Set((await search()).map((r) => r.name).filter((n) => !n.startsWith('acme/token')));
        assert.deepEqual([...names].sort(), [
          'acme/gone3',
          'acme/gone4',
          'acme/meta',
          'acme/signtest',
          'acme/web',
        ]);
        // The table a user reads.
        const table = (await helm.ok(['search', 'repo', 'acme/web', '--versions'])).stdout;
        assert.match(table, /acme\/web\s+1\.1\.0\s+2\.1\s+Web front end: "quoted" & <tags> ünïcode/);
        assert.match(table, /acme\/web\s+1\.0\.0\s+2\.0\s+Web front end, first cut/);
      });

      it('helm pull NAME/CHART gets the newest release, --version the one asked for, byte for byte', async () => {
        const latest = await pullInto('latest', ['acme/web']);
        assert.ok((await readFile(join(latest, 'web-1.1.0.tgz'))).equals(uploaded.get('web-1.1.0')!));
        const pinned = await pullInto('pinned', ['acme/web', '--version', '1.0.0']);
        assert.ok((await readFile(join(pinned, 'web-1.0.0.tgz'))).equals(uploaded.get('web-1.0.0')!));
        const pre = await pullInto('pre', ['acme/web', '--version', '2.0.0-beta.1']);
        assert.ok(
          (await readFile(join(pre, 'web-2.0.0-beta.1.tgz'))).equals(uploaded.get('web-2.0.0-beta.1')!),
        );
        // SemVer build metadata: the `+` in the chart URL, and `_` in the OCI tag helm maps it to.
        const meta = await pullInto('meta', ['acme/meta', '--version', '1.0.0+build.7']);
        assert.ok(
          (await readFile(join(meta, 'meta-1.0.0+build.7.tgz'))).equals(uploaded.get('meta-1.0.0+build.7')!),
        );
        const metaOci = await pullInto('meta-oci', [
          `oci://${host}/acme/meta`,
          '--version',
          '1.0.0+build.7',
          '--plain-http',
        ]);
        assert.ok(
          (await readFile(join(metaOci, 'meta-1.0.0+build.7.tgz'))).equals(
            uploaded.get('meta-1.0.0+build.7')!,
          ),
        );
        // A version that is not there: helm names it.
        const missing = await helm.fails(['pull', 'acme/web', '--version', '9.9.9', '-d', out]);
        assert.match(missing.stderr, /chart "web" matching 9\.9\.9 not found in acme index/);
      });

      it('an API token works as the password; once revoked helm is refused with 401', async () => {
        const { id, token } = await apiToken(`helm-${major}`);
        await helm.ok(
          ['repo', 'add', 'acme-token', repoUrl, '--username', MEMBER.username, '--password-stdin'],
          {
            stdin: token,
          },
        );
        const dir = await pullInto('with-token', ['acme-token/web', '--version', '1.0.0']);
        assert.ok((await readFile(join(dir, 'web-1.0.0.tgz'))).equals(uploaded.get('web-1.0.0')!));
        // `helm cm-push --access-token`: the token as a Bearer credential.
        const tokenChart = join(work, 'packaged', `token${major}-0.1.0.tgz`);
        const pushed = await cmPush(curl, repoUrl, { bearer: token }, { chart: tokenChart });
        assert.equal(pushed.status, 201, pushed.body.toString('utf8'));
        await helm.ok(['repo', 'update', 'acme-token']);
        const viaToken = await pullInto('pushed-with-token', [`acme-token/token${major}`]);
        assert.ok(
          (await readFile(join(viaToken, `token${major}-0.1.0.tgz`))).equals(
            uploaded.get(`token${major}-0.1.0`)!,
          ),
        );

        const revoked = await server.api('DELETE', `/api/v1/auth/tokens/${id}`, { token: acme.memberToken });
        assert.equal(revoked.status, 204);
        // From the cached index helm still finds the chart, but the download is refused.
        const pull = await helm.fails(['pull', 'acme-token/web', '--version', '1.1.0', '-d', out]);
        assert.match(pull.stderr, /charts\/web-1\.1\.0\.tgz : 401 Unauthorized/);
        const update = await helm.run(['repo', 'update', 'acme-token']);
        assert.match(
          update.stdout + update.stderr,
          /Unable to get an update from the "acme-token".*\n.*index\.yaml : 401 Unauthorized/,
        );
        const again = await helm.fails(
          ['repo', 'add', 'acme-token-again', repoUrl, '--username', MEMBER.username, '--password-stdin'],
          { stdin: token },
        );
        assert.match(again.stderr, /index\.yaml : 401 Unauthorized/);
        const refusedPush = await cmPush(curl, repoUrl, { bearer: token }, { chart: tokenChart });
        assert.equal(refusedPush.status, 401);
        assert.match(JSON.parse(refusedPush.body.toString('utf8')).error as string, /\S/);
      });

      it('a wrong password, another tenant and no credentials are refused with what went wrong', async () => {
        const wrong = await helm.fails(
          ['repo', 'add', 'wrong', repoUrl, '--username', MEMBER.username, '--password-stdin'],
          {
            stdin: 'not-the-password',
          },
        );
        assert.match(
          wrong.stderr,
          /"http:\/\/[^"]+\/helm\/acme" is not a valid chart repository or cannot be reached: .*401 Unauthorized/,
        );
        const anonymous = await helm.fails(['repo', 'add', 'anonymous', repoUrl]);
        assert.match(anonymous.stderr, /401 Unauthorized/);
        // beta's registry does not exist for acme's member: 404, as for a tenant that does not exist.
        const elsewhere = await helm.fails(
          [
            'repo',
            'add',
            'elsewhere',
            `${server.url}/helm/beta`,
            '--username',
            MEMBER.username,
            '--password-stdin',
          ],
          { stdin: MEMBER.password },
        );
        assert.match(elsewhere.stderr, /404 Not Found/);
        const repos = await helm.ok(['repo', 'list', '-o', 'json']);
        assert.deepEqual((JSON.parse(repos.stdout) as { name: string }[]).map((r) => r.name).sort(), [
          'acme',
          'acme-token',
        ]);
      });

      it('--verify over the classic protocol: the signed chart and its .prov as uploaded', async () => {
        const dir = join(out, 'verified');
        await mkdir(dir);
        const run = await helm.ok(['pull', 'acme/signtest', '--verify', '--keyring', KEYRING, '-d', dir]);
        assert.match(run.stdout + run.stderr, /Signed by: Helm Testing/);
        assert.match(run.stdout + run.stderr, /Chart Hash Verified: sha256:e5ef6116/);
        assert.ok((await readFile(join(dir, 'signtest-0.1.0.tgz'))).equals(await readFile(SIGNED)));
        assert.ok(
          (await readFile(join(dir, 'signtest-0.1.0.tgz.prov'))).equals(await readFile(`${SIGNED}.prov`)),
        );
        // The .prov uploaded after its chart through /api/prov.
        await helmRepoAdd(helm, 'late-prov', `${server.url}/helm/late-prov`, MEMBER);
        const late = join(out, 'late-prov');
        await mkdir(late);
        const lateRun = await helm.ok([
          'pull',
          'late-prov/signtest',
          '--verify',
          '--keyring',
          KEYRING,
          '-d',
          late,
        ]);
        assert.match(lateRun.stdout + lateRun.stderr, /Chart Hash Verified: sha256:e5ef6116/);
        // A chart uploaded without a .prov cannot be verified: helm says the .prov is missing.
        const unsigned = await helm.fails(['pull', 'acme/web', '--verify', '--keyring', KEYRING, '-d', dir]);
        assert.match(
          unsigned.stderr,
          /failed to fetch provenance ".*\/helm\/acme\/charts\/web-1\.1\.0\.tgz\.prov"/,
        );
      });

      it('--verify over OCI: helm push sends the .prov as a layer, and both protocols serve it', async () => {
        const tenant = `signed-h${major}`;
        // helm push picks up CHART.tgz.prov when it lies beside the archive.
        const staged = join(out, 'to-push');
        await mkdir(staged);
        await copyFile(SIGNED, join(staged, 'signtest-0.1.0.tgz'));
        await copyFile(`${SIGNED}.prov`, join(staged, 'signtest-0.1.0.tgz.prov'));
        const push = await helm.ok([
          'push',
          join(staged, 'signtest-0.1.0.tgz'),
          `oci://${host}/${tenant}`,
          ...ociPlain,
        ]);
        const pushed = /Digest: (sha256:[0-9a-f]{64})/.exec(push.stdout + push.stderr)?.[1];
        assert.ok(pushed, push.stdout + push.stderr);

        // Charthouse keeps the manifest as pushed, with the provenance layer's exact bytes.
        const auth = ['-u', creds(MEMBER)];
        const manifest = await curl.request(
          [...auth, '-H', 'Accept: application/vnd.oci.image.manifest.v1+json'],
          `${server.url}/v2/${tenant}/signtest/manifests/0.1.0`,
        );
        assert.equal(manifest.status, 200, manifest.body.toString('utf8'));
        assert.equal(sha256Digest(manifest.body), pushed);
        const layers = (
          JSON.parse(manifest.body.toString('utf8')) as { layers: { mediaType: string; digest: string }[] }
        ).layers;
        const provLayer = layers.find(
          (l) => l.mediaType === 'application/vnd.cncf.helm.chart.provenance.v1.prov',
        );
        assert.ok(provLayer, JSON.stringify(layers));
        assert.equal(provLayer.digest, sha256Digest(await readFile(`${SIGNED}.prov`)));

        const dir = join(out, 'oci-verified');
        await mkdir(dir);
        const pull = await helm.ok([
          'pull',
          `oci://${host}/${tenant}/signtest`,
          '--version',
          '0.1.0',
          '--verify',
          '--keyring',
          KEYRING,
          '-d',
          dir,
          ...ociPlain,
        ]);
        assert.match(pull.stdout + pull.stderr, /Chart Hash Verified: sha256:e5ef6116/);
        assert.match(pull.stdout + pull.stderr, new RegExp(`Digest: ${pushed}`));
        assert.ok(
          (await readFile(join(dir, 'signtest-0.1.0.tgz.prov'))).equals(await readFile(`${SIGNED}.prov`)),
        );

        // The same version over the classic protocol, .prov included.
        await helmRepoAdd(helm, tenant, `${server.url}/helm/${tenant}`, MEMBER);
        const classic = join(out, 'oci-pushed-classic');
        await mkdir(classic);
        await helm.ok(['pull', `${tenant}/signtest`, '--verify', '--keyring', KEYRING, '-d', classic]);

        // And the chart uploaded through ChartMuseum with its .prov verifies over OCI too.
        const cm = join(out, 'cm-over-oci');
        await mkdir(cm);
        const cmPull = await helm.ok([
          'pull',
          `oci://${host}/acme/signtest`,
          '--version',
          '0.1.0',
          '--verify',
          '--keyring',
          KEYRING,
          '-d',
          cm,
          ...ociPlain,
        ]);
        assert.match(cmPull.stdout + cmPull.stderr, /Chart Hash Verified/);
      });

      it('a tampered chart fails verification over both protocols', async () => {
        await helmRepoAdd(helm, 'tamper', `${server.url}/helm/tamper`, MEMBER);
        const dir = join(out, 'tampered');
        await mkdir(dir);
        const classic = await helm.fails([
          'pull',
          'tamper/signtest',
          '--verify',
          '--keyring',
          KEYRING,
          '-d',
          dir,
        ]);
        assert.match(classic.stderr, /sha256 sum does not match for signtest-0\.1\.0\.tgz/);
        const oci = await helm.fails([
          'pull',
          `oci://${host}/tamper/signtest`,
          '--version',
          '0.1.0',
          '--verify',
          '--keyring',
          KEYRING,
          '-d',
          dir,
          ...ociPlain,
        ]);
        assert.match(oci.stderr, /sha256 sum does not match for signtest-0\.1\.0\.tgz/);
      });

      it('a version deleted through the ChartMuseum API is gone for helm after repo update', async () => {
        const chart = `gone${major}`;
        await pullInto('before-delete', [`acme/${chart}`, '--version', '1.0.0']);
        const api = `${repoUrl}/api/charts/${chart}/1.0.0`;
        // Members may not delete; admins may.
        const denied = await curl.request(['-u', creds(MEMBER), '-X', 'DELETE'], api);
        assert.equal(denied.status, 403, denied.body.toString('utf8'));
        const deleted = await curl.request(['-u', creds(ADMIN), '-X', 'DELETE'], api);
        assert.equal(deleted.status, 200, deleted.body.toString('utf8'));
        assert.deepEqual(JSON.parse(deleted.body.toString('utf8')), { deleted: true });

        await helm.ok(['repo', 'update', 'acme']);
        const pull = await helm.fails(['pull', `acme/${chart}`, '--version', '1.0.0', '-d', out]);
        assert.match(pull.stderr, new RegExp(`chart "${chart}" matching 1\\.0\\.0 not found in acme index`));
        const oci = await helm.fails([
          'pull',
          `oci://${host}/acme/${chart}`,
          '--version',
          '1.0.0',
          '-d',
          out,
          ...ociPlain,
        ]);
        assert.match(oci.stderr, /not found|manifest unknown/i);
        const rows = JSON.parse(
          (await helm.ok(['search', 'repo', `acme/${chart}`, '--versions', '-o', 'json'])).stdout,
        ) as SearchRow[];
        assert.deepEqual(
          rows.map((r) => r.version),
          ['1.1.0'],
        );
        const again = await curl.request(['-u', creds(ADMIN), '-X', 'DELETE'], api);
        assert.equal(again.status, 404);
        assert.deepEqual(JSON.parse(again.body.toString('utf8')), {
          error: `no chart version found for ${chart}-1.0.0`,
        });
      });
    });
  }
});
