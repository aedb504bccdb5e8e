import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { createTgz } from '../support/chart-archive.js';
import { startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import { basicAuth, ociRequest, sha256Digest } from '../support/oci-client.js';
import {
  buildHelmArtifact,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  pushHelmChart,
  pushNonHelmArtifact,
} from '../support/oci-push.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { startCurl, startSkopeo, type Curl, type CurlResponse, type Skopeo } from '../support/skopeo.js';

/*
 * Real clients against the hosted registry: Debian's skopeo copies charts both ways between Charthouse
 * and Debian's docker-registry (distribution 2.8) and inspects / lists them; curl replays the exact
 * request sequences of `helm cm-push`, `helm repo add` + `helm pull` (classic) and `helm push` +
 * `helm pull` over OCI (research/protocols.md a.3, a.4, b.5, d.5). A missing skopeo, docker-registry or
 * curl fails these tests: `npm run test:all` installs them.
 */

const MEMBER = { username: 'acme-member', password: 'acme-member-password' };
const ADMIN = { username: 'acme-admin', password: 'acme-admin-password' };
const creds = (u: { username: string; password: string }): string => `${u.username}:${u.password}`;
/** `skopeo copy` between two plain-http registries, digests kept, the member's credentials on one side. */
const copyArgs = (from: string, to: string, credsFor: 'src' | 'dest'): string[] => [
  'copy',
  '--src-tls-verify=false',
  '--dest-tls-verify=false',
  '--preserve-digests',
  `--${credsFor}-creds`,
  creds(MEMBER),
  `docker://${from}`,
  `docker://${to}`,
];
const hex = (digest: string): string => digest.replace(/^sha256:/, '');

type IndexYaml = {
  entries: Record<string, { version: string; digest: string; urls: string[] }[]>;
  serverInfo?: { contextPath?: string };
};

function chart(name: string, version: string, extra = ''): { tgz: Buffer; json: Record<string, unknown> } {
  const description = `The ${name} chart`;
  const tgz = createTgz([
    {
      path: `${name}/Chart.yaml`,
      content: `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: ${description}\n${extra}`,
    },
    { path: `${name}/values.yaml`, content: `image: ${name}\n` },
    { path: `${name}/templates/cm.yaml`, content: 'kind: ConfigMap\n' },
  ]);
  return { tgz, json: { apiVersion: 'v2', name, version, description } };
}

describe(`real clients against the hosted registry (${TEST_DB})`, () => {
  let server: TestServer;
  let registry: DockerRegistry;
  let skopeo: Skopeo;
  let curl: Curl;
  let acme: { adminToken: string; memberToken: string };
  let host: string;

  before(async () => {
    // Real clients first: a machine without them fails here, with the package to install.
    [skopeo, curl] = await Promise.all([startSkopeo(), startCurl()]);
    [server, registry] = await Promise.all([startTestServer(), startDockerRegistry()]);
    acme = await createTenant(server, 'acme');
    await createTenant(server, 'beta');
    host = new URL(server.url).host;
  });
  after(async () => {
    await Promise.all([server?.close(), registry?.stop(), skopeo?.close(), curl?.close()]);
  });

  const indexOf = async (tenant: string, user = MEMBER): Promise<IndexYaml> => {
    const res = await ociRequest(server.url, 'GET', `/helm/${tenant}/index.yaml`, {
      auth: basicAuth(user.username, user.password),
    });
    assert.equal(res.status, 200, res.body.toString('utf8'));
    return yaml.load(res.body.toString('utf8')) as IndexYaml;
  };
  const rawManifest = async (ref: string, credentials?: string): Promise<Buffer> => {
    const args = ['inspect', '--raw', '--tls-verify=false'];
    if (credentials) args.push('--creds', credentials);
    const run = await skopeo.run([...args, ref]);
    return Buffer.from(run.stdout, 'utf8');
  };
  const layerOf = (manifest: Buffer, mediaType: string = MEDIA_TYPES.helmChart): string => {
    const doc = JSON.parse(manifest.toString('utf8')) as { layers: { mediaType: string; digest: string }[] };
    const layer = doc.layers.find((l) => l.mediaType === mediaType);
    assert.ok(layer, `no ${mediaType} layer in ${manifest.toString('utf8')}`);
    return layer.digest;
  };
  const cmUpload = async (tenant: string, tgz: Buffer, user = MEMBER, query = ''): Promise<CurlResponse> => {
    const file = join(curl.dir, `upload-${sha256Digest(tgz).slice(7, 19)}.tgz`);
    await writeFile(file, tgz);
    return curl.request(
      ['-u', creds(user), '-H', 'Transfer-Encoding: chunked', '-F', `chart=@${file}`],
      `${server.url}/helm/${tenant}/api/charts${query}`,
    );
  };

  describe('skopeo', () => {
    const demo = chart('demo', '1.0.0');
    let pushedDigest: string;

    before(async () => {
      // The chart in docker-registry, pushed the way helm push does.
      pushedDigest = await pushHelmChart({
        registryUrl: registry.url,
        repository: 'charts/demo',
        chartTgz: demo.tgz,
        chartJson: demo.json,
      });
    });

    it('copies a chart from docker-registry into Charthouse (--dest-creds, --preserve-digests)', async () => {
      const run = await skopeo.run(
        copyArgs(`${registry.host}/charts/demo:1.0.0`, `${host}/acme/demo:1.0.0`, 'dest'),
      );
      assert.match(run.stderr + run.stdout, /Writing manifest/);

      // The manifest is the same bytes, so the same digest, on both sides.
      const manifest = await ociRequest(server.url, 'GET', '/v2/acme/demo/manifests/1.0.0', {
        auth: basicAuth(MEMBER.username, MEMBER.password),
        headers: { accept: MANIFEST_ACCEPT },
      });
      assert.equal(manifest.status, 200);
      assert.equal(manifest.headers.get('docker-content-digest'), pushedDigest);
      assert.equal(sha256Digest(manifest.body), pushedDigest);

      // index.yaml lists it with the digest of the .tgz it serves, and serves those bytes.
      const index = await indexOf('acme');
      const versions = index.entries['demo'];
      assert.ok(versions, `demo in index.yaml: ${JSON.stringify(index.entries)}`);
      assert.equal(versions.length, 1);
      assert.equal(versions[0]!.version, '1.0.0');
      assert.equal(versions[0]!.digest, hex(sha256Digest(demo.tgz)));
      const file = await ociRequest(server.url, 'GET', `/helm/acme/${versions[0]!.urls[0]}`, {
        auth: basicAuth(MEMBER.username, MEMBER.password),
      });
      assert.equal(file.status, 200);
      assert.ok(file.body.equals(demo.tgz), 'the .tgz is served byte for byte');

      // And in the catalog.
      const list = await server.api<{
        items: { name: string; latestVersion: string; registry: { kind: string } }[];
      }>('GET', '/api/v1/tenants/acme/charts?registry=hosted', { token: acme.memberToken });
      assert.equal(list.status, 200, JSON.stringify(list.body));
      const item = list.body.items.find((c) => c.name === 'demo');
      assert.ok(item, JSON.stringify(list.body));
      assert.equal(item.latestVersion, '1.0.0');
      assert.equal(item.registry.kind, 'hosted');
      const detail = await server.api<{ versions: { version: string; digest: string }[] }>(
        'GET',
        '/api/v1/tenants/acme/registries/helm/hosted/charts/demo',
        { token: acme.memberToken },
      );
      assert.equal(detail.status, 200, JSON.stringify(detail.body));
      assert.deepEqual(
        detail.body.versions.map((v) => [v.version, v.digest]),
        [['1.0.0', hex(sha256Digest(demo.tgz))]],
      );
    });

    it('copying the same chart again succeeds; under a wrong tag or repository skopeo shows the refusal', async () => {
      const copy = (dest: string) =>
        skopeo.attempt(copyArgs(`${registry.host}/charts/demo:1.0.0`, `${host}/${dest}`, 'dest'));
      const again = await copy('acme/demo:1.0.0');
      assert.equal(again.code, 0, again.stderr);
      const latest = await copy('acme/demo:latest');
      assert.notEqual(latest.code, 0);
      assert.match(latest.stderr, /manifest invalid: .*1\.0\.0/);
      const elsewhere = await copy('acme/notdemo:1.0.0');
      assert.notEqual(elsewhere.code, 0);
      assert.match(elsewhere.stderr, /manifest invalid: .*acme\/demo/);
      assert.deepEqual(Object.keys((await indexOf('acme')).entries), ['demo']);
      assert.equal((await indexOf('acme')).entries['demo']!.length, 1);
    });

    it('container images (Docker and OCI) copy in and out, are stored, but are not charts', async () => {
      const dockerDigest = await pushNonHelmArtifact({
        registryUrl: registry.url,
        repository: 'apps/web',
        tag: 'latest',
        format: 'docker',
      });
      const ociDigest = await pushNonHelmArtifact({
        registryUrl: registry.url,
        repository: 'apps/api',
        tag: 'v1',
      });
      for (const [from, to, digest] of [
        ['apps/web:latest', 'acme/web:latest', dockerDigest],
        ['apps/api:v1', 'acme/api:v1', ociDigest],
      ] as const) {
        await skopeo.run(copyArgs(`${registry.host}/${from}`, `${host}/${to}`, 'dest'));
        const raw = await rawManifest(`docker://${host}/${to}`, creds(MEMBER));
        assert.equal(sha256Digest(raw), digest, to);
        await skopeo.run(copyArgs(`${host}/${to}`, `${registry.host}/back/${to}`, 'src'));
        assert.equal(sha256Digest(await rawManifest(`docker://${registry.host}/back/${to}`)), digest);
      }
      const head = await ociRequest(server.url, 'HEAD', '/v2/acme/web/manifests/latest', {
        auth: basicAuth(MEMBER.username, MEMBER.password),
      });
      assert.equal(head.headers.get('content-type'), MEDIA_TYPES.dockerManifest);
      assert.deepEqual(Object.keys((await indexOf('acme')).entries), ['demo'], 'images are not charts');
    });

    it('skopeo inspect --raw and list-tags work against Charthouse', async () => {
      const raw = await rawManifest(`docker://${host}/acme/demo:1.0.0`, creds(MEMBER));
      assert.equal(sha256Digest(raw), pushedDigest);
      assert.equal(layerOf(raw), sha256Digest(demo.tgz));
      const byDigest = await rawManifest(`docker://${host}/acme/demo@${pushedDigest}`, creds(MEMBER));
      assert.ok(byDigest.equals(raw));
      const tags = await skopeo.run([
        'list-tags',
        '--tls-verify=false',
        '--creds',
        creds(MEMBER),
        `docker://${host}/acme/demo`,
      ]);
      const listed = JSON.parse(tags.stdout) as { Repository: string; Tags: string[] };
      assert.equal(listed.Repository, `${host}/acme/demo`);
      assert.deepEqual(listed.Tags, ['1.0.0']);
      // `--creds user:<API token>`, as after `docker login` with a token.
      const issued = await server.api<{ token: string }>('POST', '/api/v1/auth/tokens', {
        token: acme.memberToken,
        body: { name: 'skopeo' },
      });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      const withToken = await skopeo.run([
        'list-tags',
        '--tls-verify=false',
        '--creds',
        `${MEMBER.username}:${issued.body.token}`,
        `docker://${host}/acme/demo`,
      ]);
      assert.deepEqual((JSON.parse(withToken.stdout) as { Tags: string[] }).Tags, ['1.0.0']);
      // Without credentials skopeo is refused, and says so.
      const anonymous = await skopeo.attempt([
        'list-tags',
        '--tls-verify=false',
        `docker://${host}/acme/demo`,
      ]);
      assert.notEqual(anonymous.code, 0);
      assert.match(anonymous.stderr, /unauthorized|authentication required|401/i);
      // Another tenant's member does not find it at all.
      const intruder = await skopeo.attempt([
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--creds',
        'beta-admin:beta-admin-password',
        `docker://${host}/acme/demo:1.0.0`,
      ]);
      assert.notEqual(intruder.code, 0);
      assert.match(intruder.stderr, /name unknown|not found|manifest unknown|NAME_UNKNOWN/i);
    });

    it('copies it back from Charthouse to docker-registry (--src-creds): same manifest and chart blob', async () => {
      await skopeo.run(copyArgs(`${host}/acme/demo:1.0.0`, `${registry.host}/charts/back:1.0.0`, 'src'));
      const back = await rawManifest(`docker://${registry.host}/charts/back:1.0.0`);
      assert.equal(sha256Digest(back), pushedDigest);
      const blob = await fetch(`${registry.url}/v2/charts/back/blobs/${layerOf(back)}`);
      assert.equal(blob.status, 200);
      assert.ok(Buffer.from(await blob.arrayBuffer()).equals(demo.tgz));
    });

    it('a chart uploaded through the ChartMuseum API copies out with skopeo: the layer is the uploaded .tgz', async () => {
      const uploaded = chart('cmchart', '2.3.4', 'appVersion: "9.9"\n');
      const res = await cmUpload('acme', uploaded.tgz);
      assert.equal(res.status, 201, res.body.toString('utf8'));
      await skopeo.run(
        copyArgs(`${host}/acme/cmchart:2.3.4`, `${registry.host}/charts/cmchart:2.3.4`, 'src'),
      );
      const there = await rawManifest(`docker://${registry.host}/charts/cmchart:2.3.4`);
      const here = await rawManifest(`docker://${host}/acme/cmchart:2.3.4`, creds(MEMBER));
      assert.ok(there.equals(here), 'docker-registry holds the manifest Charthouse derived, byte for byte');
      const doc = JSON.parse(here.toString('utf8')) as { config: { mediaType: string; digest: string } };
      assert.equal(doc.config.mediaType, MEDIA_TYPES.helmConfig);
      const layer = await fetch(`${registry.url}/v2/charts/cmchart/blobs/${layerOf(there)}`);
      assert.ok(Buffer.from(await layer.arrayBuffer()).equals(uploaded.tgz), 'the layer is the .tgz');
      const config = await fetch(`${registry.url}/v2/charts/cmchart/blobs/${doc.config.digest}`);
      const meta = (await config.json()) as { name: string; version: string; appVersion: string };
      assert.deepEqual([meta.name, meta.version, meta.appVersion], ['cmchart', '2.3.4', '9.9']);

      // The same .tgz uploaded to another tenant gets the same manifest: derived deterministically.
      const beta = await cmUpload('beta', uploaded.tgz, {
        username: 'beta-member',
        password: 'beta-member-password',
      });
      assert.equal(beta.status, 201, beta.body.toString('utf8'));
      const betaManifest = await rawManifest(
        `docker://${host}/beta/cmchart:2.3.4`,
        'beta-member:beta-member-password',
      );
      assert.equal(sha256Digest(betaManifest), sha256Digest(here));
    });

    it('version 1.0.0+build.1 from ChartMuseum is tag 1.0.0_build.1 over OCI and one version in index.yaml', async () => {
      const built = chart('buildmeta', '1.0.0+build.1');
      const res = await cmUpload('acme', built.tgz);
      assert.equal(res.status, 201, res.body.toString('utf8'));
      const tags = await skopeo.run([
        'list-tags',
        '--tls-verify=false',
        '--creds',
        creds(MEMBER),
        `docker://${host}/acme/buildmeta`,
      ]);
      assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ['1.0.0_build.1']);
      const raw = await rawManifest(`docker://${host}/acme/buildmeta:1.0.0_build.1`, creds(MEMBER));
      assert.equal(layerOf(raw), sha256Digest(built.tgz));
      await skopeo.run(
        copyArgs(
          `${host}/acme/buildmeta:1.0.0_build.1`,
          `${registry.host}/charts/buildmeta:1.0.0_build.1`,
          'src',
        ),
      );
      const index = await indexOf('acme');
      assert.deepEqual(
        index.entries['buildmeta']?.map((v) => v.version),
        ['1.0.0+build.1'],
      );
      // The same archive again is the same version (an identical re-push succeeds); other content
      // under that version is refused. Either way there is one version.
      const again = await cmUpload('acme', built.tgz);
      assert.equal(again.status, 201, again.body.toString('utf8'));
      const changed = await cmUpload('acme', chart('buildmeta', '1.0.0+build.1', 'appVersion: "2"\n').tgz);
      assert.equal(changed.status, 409, changed.body.toString('utf8'));
      assert.equal((await indexOf('acme')).entries['buildmeta']?.length, 1);
      const stillOneTag = await skopeo.run([
        'list-tags',
        '--tls-verify=false',
        '--creds',
        creds(MEMBER),
        `docker://${host}/acme/buildmeta`,
      ]);
      assert.deepEqual((JSON.parse(stillOneTag.stdout) as { Tags: string[] }).Tags, ['1.0.0_build.1']);
    });
  });

  describe('curl replaying helm', () => {
    it('helm cm-push: index.yaml for the context path, then a chunked multipart POST; 409 again; ?force for admins', async () => {
      const repoUrl = `${server.url}/helm/acme`;
      // 1. GET <repo>/index.yaml, read serverInfo.contextPath.
      const index = await curl.request(['-u', creds(MEMBER)], `${repoUrl}/index.yaml`);
      assert.equal(index.status, 200);
      const contextPath = (yaml.load(index.body.toString('utf8')) as IndexYaml).serverInfo?.contextPath;
      assert.equal(contextPath, '/helm/acme');
      // 2. POST <scheme>://<host><contextPath>/api<repo path without the context path>/charts
      const repoPath = new URL(repoUrl).pathname.slice(contextPath!.length);
      const postUrl = `${new URL(repoUrl).origin}${contextPath}/api${repoPath}/charts`;
      assert.equal(postUrl, `${server.url}/helm/acme/api/charts`);
      // cm-push packages into a temp dir and uploads the file from there (field `chart`).
      const first = chart('cmpush', '0.1.0');
      const rebuilt = chart('cmpush', '0.1.0', 'appVersion: "rebuilt"\n');
      const firstFile = join(curl.dir, 'first', 'cmpush-0.1.0.tgz');
      const rebuiltFile = join(curl.dir, 'rebuilt', 'cmpush-0.1.0.tgz');
      await mkdir(join(curl.dir, 'first'));
      await mkdir(join(curl.dir, 'rebuilt'));
      await writeFile(firstFile, first.tgz);
      await writeFile(rebuiltFile, rebuilt.tgz);
      const post = (file: string, user: typeof MEMBER, query = '') =>
        curl.request(
          ['-u', creds(user), '-H', 'Transfer-Encoding: chunked', '-F', `chart=@${file}`],
          `${postUrl}${query}`,
        );
      const errorOf = (res: CurlResponse): unknown =>
        (JSON.parse(res.body.toString('utf8')) as { error?: unknown }).error;

      const created = await post(firstFile, MEMBER);
      assert.equal(created.status, 201, created.body.toString('utf8'));
      assert.deepEqual(JSON.parse(created.body.toString('utf8')), { saved: true });

      // The same archive again: an identical re-push succeeds (issue 5, "identical re-push succeeds").
      const same = await post(firstFile, MEMBER);
      assert.equal(same.status, 201, same.body.toString('utf8'));

      // Another archive of the existing version without --force: 409 with ChartMuseum's error body.
      const conflict = await post(rebuiltFile, MEMBER);
      assert.equal(conflict.status, 409, conflict.body.toString('utf8'));
      assert.equal(typeof errorOf(conflict), 'string', conflict.body.toString('utf8'));

      const memberForce = await post(rebuiltFile, MEMBER, '?force');
      assert.equal(memberForce.status, 403, memberForce.body.toString('utf8'));
      assert.equal(typeof errorOf(memberForce), 'string');

      const adminForce = await post(rebuiltFile, ADMIN, '?force');
      assert.equal(adminForce.status, 201, adminForce.body.toString('utf8'));
      assert.deepEqual(JSON.parse(adminForce.body.toString('utf8')), { saved: true });
      const versions = (await indexOf('acme')).entries['cmpush'];
      assert.deepEqual(
        versions?.map((v) => [v.version, v.digest]),
        [['0.1.0', hex(sha256Digest(rebuilt.tgz))]],
        'the forced archive replaced the first',
      );

      const wrong = await curl.request(
        ['-u', 'acme-member:wrong', '-H', 'Transfer-Encoding: chunked', '-F', `chart=@${firstFile}`],
        postUrl,
      );
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers['www-authenticate'] ?? '', /^Basic /);
    });

    it('helm repo add + helm pull: index.yaml with Basic, the chart URL resolved against the repo URL, no .prov', async () => {
      const repoUrl = `${server.url}/helm/acme`;
      const helmHeaders = ['-H', 'User-Agent: Helm/3.18.4'];
      // helm repo add: GET index.yaml, no Accept, no Accept-Encoding (helm's transport does not decompress).
      const index = await curl.request(['-u', creds(MEMBER), ...helmHeaders], `${repoUrl}/index.yaml`);
      assert.equal(index.status, 200);
      assert.equal(index.headers['content-encoding'], undefined, 'not gzip-encoded for helm');
      const doc = yaml.load(index.body.toString('utf8')) as IndexYaml;
      const entry = doc.entries['cmpush']?.[0];
      assert.ok(entry, 'cmpush from the cm-push test');
      // helm pull: urls[0] resolved against the repo URL with one trailing slash.
      const chartUrl = new URL(entry.urls[0]!, `${repoUrl}/`).toString();
      assert.equal(chartUrl, `${repoUrl}/charts/cmpush-0.1.0.tgz`);
      const archive = await curl.request(
        ['-u', creds(MEMBER), ...helmHeaders, '-H', 'Accept: application/gzip,application/octet-stream'],
        chartUrl,
      );
      assert.equal(archive.status, 200);
      assert.equal(sha256Digest(archive.body), `sha256:${entry.digest}`);
      assert.ok(archive.body.equals(chart('cmpush', '0.1.0', 'appVersion: "rebuilt"\n').tgz));
      // helm pull --verify would fetch <chart URL>.prov: there is none.
      const prov = await curl.request(['-u', creds(MEMBER), ...helmHeaders], `${chartUrl}.prov`);
      assert.equal(prov.status, 404);
      // Without credentials the repository asks for them (helm then reports 401).
      const anonymous = await curl.request(helmHeaders, `${repoUrl}/index.yaml`);
      assert.equal(anonymous.status, 401);
    });

    it('helm registry login + helm push over OCI: token, HEAD / POST / PUT blobs, manifest by digest, then by tag', async () => {
      const pushed = chart('ocipush', '0.3.0');
      const artifact = buildHelmArtifact({ chartTgz: pushed.tgz, chartJson: pushed.json });
      const repo = 'acme/ocipush';

      // helm registry login: GET /v2/ → 401 with a Bearer challenge; the OAuth2 POST to the realm; GET /v2/.
      const ping = await curl.request([], `${server.url}/v2/`);
      assert.equal(ping.status, 401);
      const challenge = ping.headers['www-authenticate'] ?? '';
      const realm = /Bearer realm="([^"]+)"/.exec(challenge)?.[1];
      const service = /service="([^"]+)"/.exec(challenge)?.[1];
      assert.equal(realm, `${server.url}/v2/token`);
      assert.equal(service, host);
      const tokenFor = async (scope: string): Promise<string> => {
        const res = await curl.request(
          [
            '-X',
            'POST',
            '-H',
            'Content-Type: application/x-www-form-urlencoded',
            '--data-urlencode',
            'grant_type=password',
            '--data-urlencode',
            `username=${MEMBER.username}`,
            '--data-urlencode',
            `password=${MEMBER.password}`,
            '--data-urlencode',
            `service=${service}`,
            '--data-urlencode',
            'client_id=oras-go',
            ...(scope ? ['--data-urlencode', `scope=${scope}`] : []),
          ],
          realm!,
        );
        assert.equal(res.status, 200, res.body.toString('utf8'));
        return (JSON.parse(res.body.toString('utf8')) as { access_token: string }).access_token;
      };
      const loginToken = await tokenFor('');
      assert.equal(
        (await curl.request(['-H', `Authorization: Bearer ${loginToken}`], `${server.url}/v2/`)).status,
        200,
      );

      // helm push: scope repository:<repo>:pull,push.
      const bearer = ['-H', `Authorization: Bearer ${await tokenFor(`repository:${repo}:pull,push`)}`];
      for (const [i, blob] of artifact.blobs.entries()) {
        const digest = blob.descriptor.digest;
        const head = await curl.request([...bearer, '-I'], `${server.url}/v2/${repo}/blobs/${digest}`);
        assert.equal(head.status, 404, `HEAD blob ${i}`);
        const post = await curl.request([...bearer, '-X', 'POST'], `${server.url}/v2/${repo}/blobs/uploads/`);
        assert.equal(post.status, 202, post.body.toString('utf8'));
        const location = new URL(post.headers['location']!, server.url);
        location.searchParams.set('digest', digest);
        const file = join(curl.dir, `blob-${i}`);
        await writeFile(file, blob.data);
        const put = await curl.request(
          [
            ...bearer,
            '-X',
            'PUT',
            '-H',
            'Content-Type: application/octet-stream',
            '--data-binary',
            `@${file}`,
          ],
          location.toString(),
        );
        assert.equal(put.status, 201, put.body.toString('utf8'));
        assert.equal(put.headers['docker-content-digest'], digest);
      }
      const manifestFile = join(curl.dir, 'manifest.json');
      await writeFile(manifestFile, artifact.manifest);
      const ociType = ['-H', `Content-Type: ${MEDIA_TYPES.ociManifest}`];
      const headManifest = await curl.request(
        [...bearer, '-I', '-H', `Accept: ${MEDIA_TYPES.ociManifest}`],
        `${server.url}/v2/${repo}/manifests/${artifact.digest}`,
      );
      assert.equal(headManifest.status, 404);
      const byDigest = await curl.request(
        [...bearer, '-X', 'PUT', ...ociType, '--data-binary', `@${manifestFile}`],
        `${server.url}/v2/${repo}/manifests/${artifact.digest}`,
      );
      assert.equal(byDigest.status, 201, byDigest.body.toString('utf8'));
      assert.equal(byDigest.headers['docker-content-digest'], artifact.digest);
      // Pushed by digest only: not a chart version yet.
      assert.equal((await indexOf('acme')).entries['ocipush'], undefined);
      const fetched = await curl.request(
        [...bearer, '-H', `Accept: ${MEDIA_TYPES.ociManifest}`],
        `${server.url}/v2/${repo}/manifests/${artifact.digest}`,
      );
      assert.equal(fetched.status, 200);
      assert.equal(fetched.headers['content-type'], MEDIA_TYPES.ociManifest);
      assert.ok(fetched.body.equals(artifact.manifest));
      const byTag = await curl.request(
        [...bearer, '-X', 'PUT', ...ociType, '--data-binary', `@${manifestFile}`],
        `${server.url}/v2/${repo}/manifests/${artifact.tag}`,
      );
      assert.equal(byTag.status, 201, byTag.body.toString('utf8'));
      assert.equal(byTag.headers['docker-content-digest'], artifact.digest);

      const index = await indexOf('acme');
      assert.deepEqual(
        index.entries['ocipush']?.map((v) => [v.version, v.digest]),
        [['0.3.0', hex(sha256Digest(pushed.tgz))]],
      );
    });

    it('helm pull over OCI: manifest with helm Accept header, then the config and chart layer blobs', async () => {
      const repo = 'acme/ocipush';
      const auth = ['-u', creds(MEMBER)];
      const manifest = await curl.request(
        [...auth, '-H', `Accept: ${MANIFEST_ACCEPT}`],
        `${server.url}/v2/${repo}/manifests/0.3.0`,
      );
      assert.equal(manifest.status, 200, manifest.body.toString('utf8'));
      assert.equal(manifest.headers['content-type'], MEDIA_TYPES.ociManifest);
      assert.equal(manifest.headers['docker-content-digest'], sha256Digest(manifest.body));
      const doc = JSON.parse(manifest.body.toString('utf8')) as {
        config: { mediaType: string; digest: string; size: number };
        layers: { mediaType: string; digest: string; size: number }[];
      };
      assert.equal(doc.config.mediaType, MEDIA_TYPES.helmConfig);
      const config = await curl.request(auth, `${server.url}/v2/${repo}/blobs/${doc.config.digest}`);
      assert.equal(config.status, 200);
      assert.equal(config.body.length, doc.config.size);
      assert.equal((JSON.parse(config.body.toString('utf8')) as { name: string }).name, 'ocipush');
      const layer = doc.layers.find((l) => l.mediaType === MEDIA_TYPES.helmChart)!;
      const blob = await curl.request(auth, `${server.url}/v2/${repo}/blobs/${layer.digest}`);
      assert.equal(blob.status, 200);
      assert.equal(blob.headers['content-length'], String(layer.size));
      assert.ok(blob.body.equals(chart('ocipush', '0.3.0').tgz), 'helm gets the chart it pushed');
    });
  });
});
