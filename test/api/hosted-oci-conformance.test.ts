import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { createTgz } from '../support/chart-archive.js';
import {
  assertOciError,
  basicAuth,
  bearerAuth,
  nextLink,
  ociRequest,
  ociRequestRefusable,
  pushBlob,
  pushChartLikeHelm,
  putManifest,
  sha256Digest,
  uploadLocation,
  withDigest,
} from '../support/oci-client.js';
import { buildHelmArtifact, MANIFEST_ACCEPT, MEDIA_TYPES } from '../support/oci-push.js';
import { ADMIN, createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

/*
 * The workflows of the OCI distribution-spec conformance suite (opencontainers/distribution-spec
 * conformance/01_pull_test.go, 02_push_test.go, 03_discovery_test.go, 04_management_test.go), run
 * against Charthouse's hosted registry: tenant "acme", the non-chart repository "acme/conformance"
 * (a random image config and layer) and a Helm chart repository "acme/confchart". Each request is raw
 * HTTP, so every status, header and error body is checked as the spec states it, plus what this
 * registry adds: tenants (another tenant's repositories are unknown, never forbidden), roles (members
 * push, admins delete) and the token endpoint.
 */

const REPO = 'acme/conformance';
const CHART_REPO = 'acme/confchart';
const MEMBER = basicAuth('acme-member', 'acme-member-password');
const ADMIN_AUTH = basicAuth('acme-admin', 'acme-admin-password');
const OTHER_ADMIN = basicAuth('other-admin', 'other-admin-password');
const SYSTEM_ADMIN = basicAuth(ADMIN.username, ADMIN.password);

const OCI_MANIFEST = MEDIA_TYPES.ociManifest;

/** An image-like artifact: random config and layer, so every run pushes content the server never saw. */
function imageArtifact(): { config: Buffer; layer: Buffer; manifest: Buffer; digest: string } {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      nonce: randomBytes(16).toString('hex'),
    }),
  );
  const layer = randomBytes(3000 + Math.floor(Math.random() * 2000));
  const manifest = imageManifest(config, [layer]);
  return { config, layer, manifest, digest: sha256Digest(manifest) };
}

function imageManifest(config: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPES.ociImageConfig, digest: sha256Digest(config), size: config.length },
      layers: layers.map((l) => ({
        mediaType: MEDIA_TYPES.ociImageLayer,
        digest: sha256Digest(l),
        size: l.length,
      })),
      ...extra,
    }),
  );
}

const text = (res: { body: Buffer }): string => res.body.toString('utf8');

describe(`OCI distribution conformance workflows on the hosted registry (${TEST_DB})`, () => {
  let server: TestServer;
  let acme: { adminToken: string; memberToken: string };
  const req = (method: string, path: string, opts: Parameters<typeof ociRequest>[3] = {}) =>
    ociRequest(server.url, method, path, opts);
  const member = (method: string, path: string, opts: Parameters<typeof ociRequest>[3] = {}) =>
    req(method, path, { auth: MEMBER, ...opts });

  // Pushed in `before`, as the conformance suite's setup does for the pull workflow.
  const base = imageArtifact();
  const chartTgz = createTgz([
    {
      path: 'confchart/Chart.yaml',
      content: 'apiVersion: v2\nname: confchart\nversion: 0.1.0\ndescription: Conformance chart\n',
    },
    { path: 'confchart/values.yaml', content: 'replicas: 1\n' },
  ]);
  let chartDigest: string;

  before(async () => {
    server = await startTestServer();
    acme = await createTenant(server, 'acme');
    await createTenant(server, 'other');
    await pushBlob(server.url, REPO, base.config, MEMBER);
    await pushBlob(server.url, REPO, base.layer, MEMBER);
    await putManifest(server.url, REPO, 'tagtest0', base.manifest, OCI_MANIFEST, MEMBER);
    const chart = buildHelmArtifact({
      chartTgz,
      chartJson: { apiVersion: 'v2', name: 'confchart', version: '0.1.0', description: 'Conformance chart' },
    });
    chartDigest = await pushChartLikeHelm(server.url, CHART_REPO, chart, MEMBER);
  });
  after(async () => {
    await server?.close();
  });

  describe('01 pull', () => {
    it('GET /v2/ answers 200 with the API version header for a signed-in caller', async () => {
      const res = await member('GET', '/v2/');
      assert.equal(res.status, 200, text(res));
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });

    it('HEAD and GET a blob: 200, Content-Length, Docker-Content-Digest, the exact bytes', async () => {
      const digest = sha256Digest(base.layer);
      const head = await member('HEAD', `/v2/${REPO}/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(base.layer.length));
      assert.equal(head.headers.get('docker-content-digest'), digest);
      assert.equal(head.body.length, 0);

      const get = await member('GET', `/v2/${REPO}/blobs/${digest}`);
      assert.equal(get.status, 200);
      assert.equal(get.headers.get('content-length'), String(base.layer.length));
      assert.equal(get.headers.get('docker-content-digest'), digest);
      assert.ok(get.body.equals(base.layer), 'the blob comes back byte for byte');
    });

    it('GET a blob with Range: 206 with Content-Range; a range past the end is 416', async () => {
      const digest = sha256Digest(base.layer);
      const size = base.layer.length;
      const part = await member('GET', `/v2/${REPO}/blobs/${digest}`, { headers: { range: 'bytes=10-19' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 10-19/${size}`);
      assert.equal(part.headers.get('content-length'), '10');
      assert.ok(part.body.equals(base.layer.subarray(10, 20)));

      const tail = await member('GET', `/v2/${REPO}/blobs/${digest}`, { headers: { range: 'bytes=-7' } });
      assert.equal(tail.status, 206);
      assert.equal(tail.headers.get('content-range'), `bytes ${size - 7}-${size - 1}/${size}`);
      assert.ok(tail.body.equals(base.layer.subarray(size - 7)));

      const open = await member('GET', `/v2/${REPO}/blobs/${digest}`, {
        headers: { range: `bytes=${size - 3}-` },
      });
      assert.equal(open.status, 206);
      assert.ok(open.body.equals(base.layer.subarray(size - 3)));

      const past = await member('GET', `/v2/${REPO}/blobs/${digest}`, {
        headers: { range: `bytes=${size}-${size + 10}` },
      });
      assert.equal(past.status, 416);
      assert.equal(past.headers.get('content-range'), `bytes */${size}`);
    });

    it('a blob that does not exist: HEAD 404 without a body, GET 404 BLOB_UNKNOWN', async () => {
      const missing = sha256Digest(randomBytes(32));
      const head = await member('HEAD', `/v2/${REPO}/blobs/${missing}`);
      assert.equal(head.status, 404);
      assert.equal(head.body.length, 0);
      assertOciError(await member('GET', `/v2/${REPO}/blobs/${missing}`), 404, 'BLOB_UNKNOWN', 'GET blob');
      assertOciError(
        await member('GET', `/v2/${REPO}/blobs/sha256:nothex`),
        400,
        'DIGEST_INVALID',
        'GET blob with a malformed digest',
      );
    });

    it('HEAD and GET a manifest by digest and by tag: Content-Type, Docker-Content-Digest, Content-Length', async () => {
      for (const reference of [base.digest, 'tagtest0']) {
        const head = await member('HEAD', `/v2/${REPO}/manifests/${reference}`, {
          headers: { accept: MANIFEST_ACCEPT },
        });
        assert.equal(head.status, 200, `HEAD ${reference}`);
        assert.equal(head.headers.get('content-type'), OCI_MANIFEST);
        assert.equal(head.headers.get('docker-content-digest'), base.digest);
        assert.equal(head.headers.get('content-length'), String(base.manifest.length));
        assert.equal(head.body.length, 0);

        const get = await member('GET', `/v2/${REPO}/manifests/${reference}`, {
          headers: { accept: OCI_MANIFEST },
        });
        assert.equal(get.status, 200, `GET ${reference}`);
        assert.equal(get.headers.get('content-type'), OCI_MANIFEST);
        assert.equal(get.headers.get('docker-content-digest'), base.digest);
        assert.equal(get.headers.get('content-length'), String(base.manifest.length));
        assert.ok(get.body.equals(base.manifest), 'stored byte for byte');
      }
    });

    it('a manifest that does not exist: HEAD 404, GET 404 MANIFEST_UNKNOWN; an unknown repository is NAME_UNKNOWN', async () => {
      const head = await member('HEAD', `/v2/${REPO}/manifests/no-such-tag`);
      assert.equal(head.status, 404);
      assert.equal(head.body.length, 0);
      assertOciError(
        await member('GET', `/v2/${REPO}/manifests/no-such-tag`),
        404,
        'MANIFEST_UNKNOWN',
        'GET missing tag',
      );
      assertOciError(
        await member('GET', `/v2/${REPO}/manifests/${sha256Digest(randomBytes(8))}`),
        404,
        'MANIFEST_UNKNOWN',
        'GET missing digest',
      );
      assertOciError(
        await member('GET', `/v2/acme/no-such-repository/manifests/1.0.0`),
        404,
        'NAME_UNKNOWN',
        'GET manifest of an unknown repository',
      );
      assertOciError(
        await member('GET', `/v2/acme/no-such-repository/tags/list`),
        404,
        'NAME_UNKNOWN',
        'tags of an unknown repository',
      );
    });

    it('a Helm chart pulls as helm pulls it: manifest by tag with helm Accept, config and chart layer', async () => {
      const res = await member('GET', `/v2/${CHART_REPO}/manifests/0.1.0`, {
        headers: { accept: MANIFEST_ACCEPT },
      });
      assert.equal(res.status, 200, text(res));
      assert.equal(res.headers.get('content-type'), OCI_MANIFEST);
      assert.equal(res.headers.get('docker-content-digest'), chartDigest);
      const manifest = res.json<{
        config: { mediaType: string; digest: string };
        layers: { mediaType: string; digest: string }[];
      }>();
      assert.equal(manifest.config.mediaType, MEDIA_TYPES.helmConfig);
      const layer = manifest.layers.find((l) => l.mediaType === MEDIA_TYPES.helmChart);
      assert.ok(layer, 'a chart layer');
      assert.equal(layer.digest, sha256Digest(chartTgz));
      const blob = await member('GET', `/v2/${CHART_REPO}/blobs/${layer.digest}`);
      assert.ok(blob.body.equals(chartTgz));
      const config = await member('GET', `/v2/${CHART_REPO}/blobs/${manifest.config.digest}`);
      assert.equal(config.json<{ name: string }>().name, 'confchart');
    });

    it('a PUT of something that is not a manifest is 400 MANIFEST_INVALID', async () => {
      assertOciError(
        await member('PUT', `/v2/${REPO}/manifests/broken`, {
          headers: { 'content-type': OCI_MANIFEST },
          body: Buffer.from('{"schemaVersion": 2, "config": "nope"'),
        }),
        400,
        'MANIFEST_INVALID',
        'PUT broken JSON',
      );
      assertOciError(
        await member('PUT', `/v2/${REPO}/manifests/broken`, {
          headers: { 'content-type': OCI_MANIFEST },
          body: Buffer.from(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] })),
        }),
        400,
        'MANIFEST_INVALID',
        'PUT a manifest with an empty config descriptor',
      );
    });
  });

  describe('02 push', () => {
    it('monolithic: POST opens a session (202, Location, Range 0-0), PUT ?digest= closes it (201)', async () => {
      const data = randomBytes(1234);
      const digest = sha256Digest(data);
      assert.equal((await member('HEAD', `/v2/${REPO}/blobs/${digest}`)).status, 404);
      const started = await member('POST', `/v2/${REPO}/blobs/uploads/`);
      assert.equal(started.status, 202, text(started));
      const location = uploadLocation(started, server.url);
      assert.match(new URL(location).pathname, new RegExp(`^/v2/${REPO}/blobs/uploads/[^/]+$`));
      assert.equal(started.headers.get('range'), '0-0');
      assert.ok(started.headers.get('docker-upload-uuid'));

      const put = await member('PUT', withDigest(location, digest), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assert.equal(put.status, 201, text(put));
      assert.equal(put.headers.get('location'), `/v2/${REPO}/blobs/${digest}`);
      assert.equal(put.headers.get('docker-content-digest'), digest);
      const get = await member('GET', `/v2/${REPO}/blobs/${digest}`);
      assert.ok(get.body.equals(data));
      // The session is closed: it is unknown now.
      assertOciError(await member('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN', 'closed session');
    });

    it('single request: POST ?digest= with the body is 201 with the blob Location', async () => {
      const data = randomBytes(777);
      const digest = sha256Digest(data);
      const res = await member('POST', `/v2/${REPO}/blobs/uploads/?digest=${digest}`, {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assert.equal(res.status, 201, text(res));
      assert.equal(res.headers.get('location'), `/v2/${REPO}/blobs/${digest}`);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      assert.ok((await member('GET', `/v2/${REPO}/blobs/${digest}`)).body.equals(data));
    });

    it('a PUT whose digest is not the content is 400 DIGEST_INVALID and stores nothing', async () => {
      const data = randomBytes(500);
      const wrong = sha256Digest(randomBytes(500));
      const started = await member('POST', `/v2/${REPO}/blobs/uploads/`);
      const put = await member('PUT', withDigest(uploadLocation(started, server.url), wrong), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assertOciError(put, 400, 'DIGEST_INVALID', 'PUT with a wrong digest');
      assert.equal((await member('HEAD', `/v2/${REPO}/blobs/${wrong}`)).status, 404);
      assert.equal((await member('HEAD', `/v2/${REPO}/blobs/${sha256Digest(data)}`)).status, 404);
      const single = await member('POST', `/v2/${REPO}/blobs/uploads/?digest=${wrong}`, {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assertOciError(single, 400, 'DIGEST_INVALID', 'single POST with a wrong digest');
      assert.equal((await member('HEAD', `/v2/${REPO}/blobs/${wrong}`)).status, 404);
    });

    it('streamed: PATCH chunks without Content-Range or Content-Length, then PUT ?digest=', async () => {
      const data = randomBytes(200_000);
      const digest = sha256Digest(data);
      const started = await member('POST', `/v2/${REPO}/blobs/uploads/`);
      let location = uploadLocation(started, server.url);
      const halves = [data.subarray(0, 120_000), data.subarray(120_000)];
      let sent = 0;
      for (const half of halves) {
        const patch = await member('PATCH', location, {
          headers: { 'content-type': 'application/octet-stream' },
          // Several chunks of one chunked body.
          body: [half.subarray(0, 1000), half.subarray(1000)],
        });
        sent += half.length;
        assert.equal(patch.status, 202, text(patch));
        assert.equal(patch.headers.get('range'), `0-${sent - 1}`);
        location = uploadLocation(patch, server.url);
      }
      const put = await member('PUT', withDigest(location, digest));
      assert.equal(put.status, 201, text(put));
      assert.equal(put.headers.get('docker-content-digest'), digest);
      assert.ok((await member('GET', `/v2/${REPO}/blobs/${digest}`)).body.equals(data));
    });

    it('chunked: PATCH with Content-Range, status GET 204 + Range, out-of-order chunk 416, PUT with the last chunk', async () => {
      const data = randomBytes(50_000);
      const digest = sha256Digest(data);
      const [c1, c2, c3] = [data.subarray(0, 20_000), data.subarray(20_000, 45_000), data.subarray(45_000)];
      const started = await member('POST', `/v2/${REPO}/blobs/uploads/`);
      assert.equal(started.status, 202);
      let location = uploadLocation(started, server.url);

      // The first chunk must start at 0.
      assertOciError(
        await member('PATCH', location, {
          headers: { 'content-type': 'application/octet-stream', 'content-range': '1-20000' },
          body: c1,
        }),
        416,
        'BLOB_UPLOAD_INVALID',
        'first chunk not at 0',
      );

      const p1 = await member('PATCH', location, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${c1.length - 1}` },
        body: c1,
      });
      assert.equal(p1.status, 202, text(p1));
      assert.equal(p1.headers.get('range'), `0-${c1.length - 1}`);
      location = uploadLocation(p1, server.url);

      const status = await member('GET', location);
      assert.equal(status.status, 204, text(status));
      assert.equal(status.headers.get('range'), `0-${c1.length - 1}`);
      assert.equal(new URL(uploadLocation(status, server.url)).pathname, new URL(location).pathname);

      // A chunk that skips bytes, and one that repeats the first: both out of order.
      for (const range of [`${c1.length + 10}-${c1.length + 10 + c2.length - 1}`, `0-${c2.length - 1}`]) {
        assertOciError(
          await member('PATCH', location, {
            headers: { 'content-type': 'application/octet-stream', 'content-range': range },
            body: c2,
          }),
          416,
          'BLOB_UPLOAD_INVALID',
          `out-of-order chunk ${range}`,
        );
      }
      // A Content-Range that does not say how many bytes came.
      assertOciError(
        await member('PATCH', location, {
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${c1.length}-${c1.length + c2.length}`,
          },
          body: c2,
        }),
        416,
        'BLOB_UPLOAD_INVALID',
        'Content-Range longer than the chunk',
      );
      // Still where it was after the refused chunks.
      assert.equal((await member('GET', location)).headers.get('range'), `0-${c1.length - 1}`);

      const p2 = await member('PATCH', location, {
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${c1.length}-${c1.length + c2.length - 1}`,
        },
        body: c2,
      });
      assert.equal(p2.status, 202, text(p2));
      assert.equal(p2.headers.get('range'), `0-${c1.length + c2.length - 1}`);
      location = uploadLocation(p2, server.url);

      const put = await member('PUT', withDigest(location, digest), {
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${c1.length + c2.length}-${data.length - 1}`,
        },
        body: c3,
      });
      assert.equal(put.status, 201, text(put));
      assert.equal(put.headers.get('location'), `/v2/${REPO}/blobs/${digest}`);
      assert.ok((await member('GET', `/v2/${REPO}/blobs/${digest}`)).body.equals(data));
    });

    it('chunked upload closed with a wrong digest is 400 DIGEST_INVALID', async () => {
      const data = randomBytes(3000);
      const started = await member('POST', `/v2/${REPO}/blobs/uploads/`);
      const patch = await member('PATCH', uploadLocation(started, server.url), {
        headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${data.length - 1}` },
        body: data,
      });
      assert.equal(patch.status, 202);
      const wrong = sha256Digest(Buffer.from('something else'));
      assertOciError(
        await member('PUT', withDigest(uploadLocation(patch, server.url), wrong)),
        400,
        'DIGEST_INVALID',
        'chunked PUT with a wrong digest',
      );
      assert.equal((await member('HEAD', `/v2/${REPO}/blobs/${wrong}`)).status, 404);
      assert.equal((await member('HEAD', `/v2/${REPO}/blobs/${sha256Digest(data)}`)).status, 404);
    });

    it('an unknown upload id is 404 BLOB_UPLOAD_UNKNOWN for GET, PATCH, PUT and DELETE', async () => {
      for (const id of [randomUUID(), 'not-an-upload-id']) {
        const path = `/v2/${REPO}/blobs/uploads/${id}`;
        const digest = sha256Digest(Buffer.from('x'));
        assertOciError(await member('GET', path), 404, 'BLOB_UPLOAD_UNKNOWN', `GET ${id}`);
        assertOciError(
          await member('PATCH', path, {
            headers: { 'content-type': 'application/octet-stream' },
            body: Buffer.from('x'),
          }),
          404,
          'BLOB_UPLOAD_UNKNOWN',
          `PATCH ${id}`,
        );
        assertOciError(
          await member('PUT', withDigest(path, digest), { body: Buffer.from('x') }),
          404,
          'BLOB_UPLOAD_UNKNOWN',
          `PUT ${id}`,
        );
        assertOciError(await member('DELETE', path), 404, 'BLOB_UPLOAD_UNKNOWN', `DELETE ${id}`);
      }
      // An upload of one repository is unknown in another.
      const started = await member('POST', `/v2/${REPO}/blobs/uploads/`);
      const id = new URL(uploadLocation(started, server.url)).pathname.split('/').pop()!;
      assertOciError(
        await member('GET', `/v2/acme/elsewhere/blobs/uploads/${id}`),
        404,
        'BLOB_UPLOAD_UNKNOWN',
        'upload id of another repository',
      );
      // A cancelled upload is gone.
      assert.equal((await member('DELETE', `/v2/${REPO}/blobs/uploads/${id}`)).status, 204);
      assertOciError(
        await member('GET', `/v2/${REPO}/blobs/uploads/${id}`),
        404,
        'BLOB_UPLOAD_UNKNOWN',
        'cancelled upload',
      );
    });

    it('cross-repository mount within the tenant is 201; from another tenant it is 202 and a new session', async () => {
      const layerDigest = sha256Digest(base.layer);
      const mounted = await member(
        'POST',
        `/v2/acme/conformance-mount/blobs/uploads/?mount=${layerDigest}&from=${REPO}`,
      );
      assert.equal(mounted.status, 201, text(mounted));
      assert.equal(mounted.headers.get('location'), `/v2/acme/conformance-mount/blobs/${layerDigest}`);
      assert.equal(mounted.headers.get('docker-content-digest'), layerDigest);
      const head = await member('HEAD', `/v2/acme/conformance-mount/blobs/${layerDigest}`);
      assert.equal(head.status, 200);

      // A blob only the other tenant holds.
      const theirs = randomBytes(999);
      const theirDigest = await pushBlob(server.url, 'other/secret', theirs, OTHER_ADMIN);
      const refused = await member(
        'POST',
        `/v2/${REPO}/blobs/uploads/?mount=${theirDigest}&from=other/secret`,
      );
      assert.equal(refused.status, 202, text(refused));
      const location = uploadLocation(refused, server.url);
      assert.match(new URL(location).pathname, new RegExp(`^/v2/${REPO}/blobs/uploads/[^/]+$`));
      assert.equal(refused.headers.get('range'), '0-0');
      assert.equal((await member('HEAD', `/v2/${REPO}/blobs/${theirDigest}`)).status, 404);
      // Acme's own blob named with another tenant's repository as `from` is not mounted either.
      const sneaky = await member(
        'POST',
        `/v2/${REPO}/blobs/uploads/?mount=${layerDigest}&from=other/secret`,
      );
      assert.equal(sneaky.status, 202, text(sneaky));
      // The session it opened works like any other: acme uploads the bytes itself.
      const put = await member('PUT', withDigest(location, theirDigest), {
        headers: { 'content-type': 'application/octet-stream' },
        body: theirs,
      });
      assert.equal(put.status, 201, text(put));
    });

    it('manifest PUT by tag and by digest: 201 with Location and Docker-Content-Digest; re-PUT succeeds', async () => {
      const art = imageArtifact();
      await pushBlob(server.url, REPO, art.config, MEMBER);
      await pushBlob(server.url, REPO, art.layer, MEMBER);
      assert.equal((await member('GET', `/v2/${REPO}/manifests/tagtest1`)).status, 404);

      const byTag = await member('PUT', `/v2/${REPO}/manifests/tagtest1`, {
        headers: { 'content-type': OCI_MANIFEST },
        body: art.manifest,
      });
      assert.equal(byTag.status, 201, text(byTag));
      assert.equal(byTag.headers.get('location'), `/v2/${REPO}/manifests/${art.digest}`);
      assert.equal(byTag.headers.get('docker-content-digest'), art.digest);

      // The same bytes again, under the same and another tag: both fine.
      for (const tag of ['tagtest1', 'tagtest2']) {
        const again = await member('PUT', `/v2/${REPO}/manifests/${tag}`, {
          headers: { 'content-type': OCI_MANIFEST },
          body: art.manifest,
        });
        assert.equal(again.status, 201, `${tag}: ${text(again)}`);
      }

      const other = imageManifest(art.config, [art.layer], { annotations: { 'x.conformance': 'by-digest' } });
      const otherDigest = sha256Digest(other);
      const byDigest = await member('PUT', `/v2/${REPO}/manifests/${otherDigest}`, {
        headers: { 'content-type': OCI_MANIFEST },
        body: other,
      });
      assert.equal(byDigest.status, 201, text(byDigest));
      assert.equal(byDigest.headers.get('location'), `/v2/${REPO}/manifests/${otherDigest}`);
      assert.equal(byDigest.headers.get('docker-content-digest'), otherDigest);
      const fetched = await member('GET', `/v2/${REPO}/manifests/${otherDigest}`);
      assert.ok(fetched.body.equals(other));

      assertOciError(
        await member('PUT', `/v2/${REPO}/manifests/${sha256Digest(Buffer.from('not this'))}`, {
          headers: { 'content-type': OCI_MANIFEST },
          body: other,
        }),
        400,
        'DIGEST_INVALID',
        'PUT by a digest that is not the body',
      );
    });

    it('a manifest with no layers and one with a subject that does not exist are accepted', async () => {
      const config = Buffer.from('{}');
      await pushBlob(server.url, REPO, config, MEMBER);
      const empty = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: MEDIA_TYPES.ociImageConfig, digest: sha256Digest(config), size: 2 },
          layers: [],
        }),
      );
      assert.equal(
        (
          await member('PUT', `/v2/${REPO}/manifests/nolayers`, {
            headers: { 'content-type': OCI_MANIFEST },
            body: empty,
          })
        ).status,
        201,
      );
      const withSubject = imageManifest(base.config, [base.layer], {
        subject: { mediaType: OCI_MANIFEST, digest: sha256Digest(randomBytes(10)), size: 123 },
      });
      const res = await member('PUT', `/v2/${REPO}/manifests/${sha256Digest(withSubject)}`, {
        headers: { 'content-type': OCI_MANIFEST },
        body: withSubject,
      });
      assert.equal(res.status, 201, text(res));
    });

    it('a manifest referencing a blob that was never pushed is 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const missingLayer = randomBytes(100);
      const manifest = imageManifest(base.config, [missingLayer]);
      const errors = assertOciError(
        await member('PUT', `/v2/${REPO}/manifests/missing-blob`, {
          headers: { 'content-type': OCI_MANIFEST },
          body: manifest,
        }),
        400,
        'MANIFEST_BLOB_UNKNOWN',
        'manifest with a missing layer',
      );
      assert.match(errors[0]!.message, new RegExp(sha256Digest(missingLayer)));
      assert.equal((await member('GET', `/v2/${REPO}/manifests/missing-blob`)).status, 404);
      // Another tenant's blob is not ours to reference either.
      const theirs = randomBytes(64);
      await pushBlob(server.url, 'other/secret', theirs, OTHER_ADMIN);
      assertOciError(
        await member('PUT', `/v2/${REPO}/manifests/their-blob`, {
          headers: { 'content-type': OCI_MANIFEST },
          body: imageManifest(base.config, [theirs]),
        }),
        400,
        'MANIFEST_BLOB_UNKNOWN',
        "manifest with another tenant's layer",
      );
    });

    it('a manifest whose mediaType disagrees with Content-Type is 400 MANIFEST_INVALID', async () => {
      const res = await member('PUT', `/v2/${REPO}/manifests/mismatch`, {
        headers: { 'content-type': MEDIA_TYPES.dockerManifest },
        body: base.manifest,
      });
      assertOciError(res, 400, 'MANIFEST_INVALID', 'mediaType vs Content-Type');
      assert.equal((await member('GET', `/v2/${REPO}/manifests/mismatch`)).status, 404);
    });

    it('a manifest over 4 MiB is 413 and is not stored', async () => {
      const padding = 'x'.repeat(4 * 1024 * 1024);
      const huge = imageManifest(base.config, [base.layer], { annotations: { padding } });
      assert.ok(huge.length > 4 * 1024 * 1024);
      const res = await ociRequestRefusable(server.url, 'PUT', `/v2/${REPO}/manifests/huge`, {
        auth: MEMBER,
        headers: { 'content-type': OCI_MANIFEST },
        body: huge,
      });
      assertOciError(res, 413, 'SIZE_INVALID', 'manifest over 4 MiB');
      assert.equal((await member('GET', `/v2/${REPO}/manifests/huge`)).status, 404);
      // Chunked, without a Content-Length: counted as it arrives.
      const chunked = await member('PUT', `/v2/${REPO}/manifests/huge`, {
        headers: { 'content-type': OCI_MANIFEST },
        body: (function* () {
          for (let i = 0; i < huge.length; i += 256 * 1024) yield huge.subarray(i, i + 256 * 1024);
        })(),
      }).catch((err: unknown) => err as Error);
      // The server may close the connection before the client finished sending: either way, nothing stored.
      if (!(chunked instanceof Error)) assertOciError(chunked, 413, 'SIZE_INVALID', 'chunked huge manifest');
      assert.equal((await member('GET', `/v2/${REPO}/manifests/huge`)).status, 404);
    });
  });

  describe('03 content discovery', () => {
    const tags = ['tagtest0', 'tagtest3', 'tagtest4', 'tagtest5', 'latest'];

    before(async () => {
      for (const tag of tags) await putManifest(server.url, REPO, tag, base.manifest, OCI_MANIFEST, MEMBER);
      // The other tenant's repository, which acme's callers must never see.
      const theirs = imageArtifact();
      await pushBlob(server.url, 'other/secret', theirs.config, OTHER_ADMIN);
      await pushBlob(server.url, 'other/secret', theirs.layer, OTHER_ADMIN);
      await putManifest(server.url, 'other/secret', 'v1', theirs.manifest, OCI_MANIFEST, OTHER_ADMIN);
    });

    it('tags/list returns every tag in lexical order', async () => {
      const res = await member('GET', `/v2/${REPO}/tags/list`);
      assert.equal(res.status, 200, text(res));
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = res.json<{ name: string; tags: string[] }>();
      assert.equal(body.name, REPO);
      for (const tag of [...tags, 'tagtest1', 'tagtest2', 'nolayers'])
        assert.ok(body.tags.includes(tag), tag);
      assert.deepEqual(body.tags, [...body.tags].sort());
      assert.equal(res.headers.get('link'), null, 'everything fits one page');
    });

    it('n and last page through the tags, each page linking the next (RFC 5988)', async () => {
      const all = (await member('GET', `/v2/${REPO}/tags/list`)).json<{ tags: string[] }>().tags;
      const seen: string[] = [];
      let path: string | null = `/v2/${REPO}/tags/list?n=2`;
      let pages = 0;
      while (path !== null) {
        const res = await member('GET', path);
        assert.equal(res.status, 200, text(res));
        const page = res.json<{ tags: string[] }>().tags;
        assert.ok(page.length <= 2);
        seen.push(...page);
        path = nextLink(res.headers);
        if (path !== null) {
          assert.equal(path, `/v2/${REPO}/tags/list?n=2&last=${encodeURIComponent(page[page.length - 1]!)}`);
        }
        pages += 1;
        assert.ok(pages < 50, 'the Link chain ends');
      }
      assert.deepEqual(seen, all);
      assert.equal(pages, Math.ceil(all.length / 2));

      const after = await member('GET', `/v2/${REPO}/tags/list?last=tagtest3`);
      assert.deepEqual(
        after.json<{ tags: string[] }>().tags,
        all.filter((t) => t > 'tagtest3'),
      );
      const afterN = await member('GET', `/v2/${REPO}/tags/list?n=1&last=tagtest3`);
      assert.deepEqual(afterN.json<{ tags: string[] }>().tags, ['tagtest4']);
      assert.equal(nextLink(afterN.headers), `/v2/${REPO}/tags/list?n=1&last=tagtest4`);
    });

    it('n=0 is an empty list without a Link; a bad n is refused', async () => {
      const res = await member('GET', `/v2/${REPO}/tags/list?n=0`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json<{ tags: string[] }>().tags, []);
      assert.equal(res.headers.get('link'), null);
      const bad = await member('GET', `/v2/${REPO}/tags/list?n=-1`);
      // The spec names no code for a bad n; the body still has the spec's shape.
      const code = bad.json<{ errors?: { code?: string }[] }>().errors?.[0]?.code ?? '(none)';
      assertOciError(bad, 400, code, 'n=-1');
    });

    it("_catalog lists the caller's tenants' repositories only, with n / last / Link", async () => {
      const mine = await member('GET', '/v2/_catalog');
      assert.equal(mine.status, 200, text(mine));
      const repos = mine.json<{ repositories: string[] }>().repositories;
      for (const r of [REPO, CHART_REPO]) assert.ok(repos.includes(r), r);
      assert.ok(
        repos.every((r) => r.startsWith('acme/') || r.startsWith('system/')),
        `only acme's (and the system's) repositories: ${repos.join(', ')}`,
      );
      assert.deepEqual(repos, [...repos].sort());

      const theirs = await req('GET', '/v2/_catalog', { auth: OTHER_ADMIN });
      const theirRepos = theirs.json<{ repositories: string[] }>().repositories;
      assert.ok(theirRepos.includes('other/secret'));
      assert.ok(!theirRepos.some((r) => r.startsWith('acme/')), theirRepos.join(', '));

      const everyone = await req('GET', '/v2/_catalog', { auth: SYSTEM_ADMIN });
      const all = everyone.json<{ repositories: string[] }>().repositories;
      assert.ok(all.includes(REPO) && all.includes('other/secret'), 'the system admin sees every tenant');

      const first = await member('GET', '/v2/_catalog?n=1');
      assert.deepEqual(first.json<{ repositories: string[] }>().repositories, [repos[0]]);
      const next = nextLink(first.headers);
      assert.equal(next, `/v2/_catalog?n=1&last=${encodeURIComponent(repos[0]!)}`);
      const second = await member('GET', next!);
      assert.deepEqual(second.json<{ repositories: string[] }>().repositories, [repos[1]]);
      const empty = await member('GET', '/v2/_catalog?n=0');
      assert.deepEqual(empty.json<{ repositories: string[] }>().repositories, []);
      assert.equal(empty.headers.get('link'), null);
    });

    it('non-chart manifests are stored but are not charts; the Helm chart is', async () => {
      const index = await req('GET', '/helm/acme/index.yaml', { auth: MEMBER });
      assert.equal(index.status, 200);
      const doc = yaml.load(text(index)) as {
        entries: Record<string, { version: string; digest: string }[]>;
      };
      assert.deepEqual(Object.keys(doc.entries), ['confchart']);
      assert.equal(doc.entries['confchart']![0]!.digest, sha256Digest(chartTgz).slice('sha256:'.length));
      const tagList = await member('GET', `/v2/${CHART_REPO}/tags/list`);
      assert.deepEqual(tagList.json<{ tags: string[] }>().tags, ['0.1.0']);
    });
  });

  describe('04 content management', () => {
    let art: ReturnType<typeof imageArtifact>;

    before(async () => {
      art = imageArtifact();
      await pushBlob(server.url, REPO, art.config, MEMBER);
      await pushBlob(server.url, REPO, art.layer, MEMBER);
      for (const tag of ['deltag-a', 'deltag-b'])
        await putManifest(server.url, REPO, tag, art.manifest, OCI_MANIFEST, MEMBER);
    });

    it('a member may push but not delete: 403 DENIED, nothing removed', async () => {
      assertOciError(
        await member('DELETE', `/v2/${REPO}/manifests/deltag-a`),
        403,
        'DENIED',
        'member deletes a tag',
      );
      assertOciError(
        await member('DELETE', `/v2/${REPO}/manifests/${art.digest}`),
        403,
        'DENIED',
        'member deletes a manifest',
      );
      assertOciError(
        await member('DELETE', `/v2/${REPO}/blobs/${sha256Digest(art.layer)}`),
        403,
        'DENIED',
        'member deletes a blob',
      );
      assert.equal((await member('GET', `/v2/${REPO}/manifests/deltag-a`)).status, 200);
    });

    it('DELETE a tag: 202; the tag is gone, the manifest stays under its digest and other tags', async () => {
      const res = await req('DELETE', `/v2/${REPO}/manifests/deltag-a`, { auth: ADMIN_AUTH });
      assert.equal(res.status, 202, text(res));
      assertOciError(
        await member('GET', `/v2/${REPO}/manifests/deltag-a`),
        404,
        'MANIFEST_UNKNOWN',
        'deleted tag',
      );
      assert.equal((await member('GET', `/v2/${REPO}/manifests/deltag-b`)).status, 200);
      assert.equal((await member('GET', `/v2/${REPO}/manifests/${art.digest}`)).status, 200);
      const tags = (await member('GET', `/v2/${REPO}/tags/list`)).json<{ tags: string[] }>().tags;
      assert.ok(!tags.includes('deltag-a') && tags.includes('deltag-b'));
    });

    it('DELETE a manifest by digest: 202, then 404 by digest and by its tags', async () => {
      const res = await req('DELETE', `/v2/${REPO}/manifests/${art.digest}`, { auth: ADMIN_AUTH });
      assert.equal(res.status, 202, text(res));
      assertOciError(
        await member('GET', `/v2/${REPO}/manifests/${art.digest}`),
        404,
        'MANIFEST_UNKNOWN',
        'deleted manifest',
      );
      assert.equal((await member('HEAD', `/v2/${REPO}/manifests/deltag-b`)).status, 404);
      const tags = (await member('GET', `/v2/${REPO}/tags/list`)).json<{ tags: string[] }>().tags;
      assert.ok(!tags.includes('deltag-b'));
      assertOciError(
        await req('DELETE', `/v2/${REPO}/manifests/${art.digest}`, { auth: ADMIN_AUTH }),
        404,
        'MANIFEST_UNKNOWN',
        'deleting it twice',
      );
    });

    it('DELETE a blob: 202, then 404 BLOB_UNKNOWN', async () => {
      for (const blob of [art.config, art.layer]) {
        const digest = sha256Digest(blob);
        const res = await req('DELETE', `/v2/${REPO}/blobs/${digest}`, { auth: ADMIN_AUTH });
        assert.equal(res.status, 202, text(res));
        assertOciError(
          await member('GET', `/v2/${REPO}/blobs/${digest}`),
          404,
          'BLOB_UNKNOWN',
          'deleted blob',
        );
        assertOciError(
          await req('DELETE', `/v2/${REPO}/blobs/${digest}`, { auth: ADMIN_AUTH }),
          404,
          'BLOB_UNKNOWN',
          'deleting a blob twice',
        );
      }
    });

    it('DELETE the Helm chart manifest by digest removes the chart version from index.yaml', async () => {
      const res = await req('DELETE', `/v2/${CHART_REPO}/manifests/${chartDigest}`, { auth: ADMIN_AUTH });
      assert.equal(res.status, 202, text(res));
      assert.equal((await member('GET', `/v2/${CHART_REPO}/manifests/0.1.0`)).status, 404);
      const index = await req('GET', '/helm/acme/index.yaml', { auth: MEMBER });
      const doc = yaml.load(text(index)) as { entries: Record<string, unknown> };
      assert.deepEqual(doc.entries, {});
    });
  });

  describe('authentication and tenants', () => {
    it('anonymous: 401 UNAUTHORIZED with a Bearer challenge at /v2/token and a Basic one', async () => {
      const res = await req('GET', '/v2/');
      assertOciError(res, 401, 'UNAUTHORIZED', 'anonymous /v2/');
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
      const challenge = res.headers.get('www-authenticate') ?? '';
      const host = new URL(server.url).host;
      assert.ok(
        challenge.includes(`Bearer realm="${server.url}/v2/token",service="${host}"`),
        `Bearer challenge: ${challenge}`,
      );
      assert.match(challenge, /Basic realm="[^"]+"/);

      const repo = await req('GET', `/v2/${REPO}/tags/list`);
      assertOciError(repo, 401, 'UNAUTHORIZED', 'anonymous tags/list');
      assert.ok(
        (repo.headers.get('www-authenticate') ?? '').includes(`scope="repository:${REPO}:pull"`),
        repo.headers.get('www-authenticate') ?? '',
      );
      const push = await req('POST', `/v2/${REPO}/blobs/uploads/`);
      assertOciError(push, 401, 'UNAUTHORIZED', 'anonymous push');
      assert.ok(
        (push.headers.get('www-authenticate') ?? '').includes(`scope="repository:${REPO}:pull,push"`),
      );
      assertOciError(await req('GET', '/v2/_catalog'), 401, 'UNAUTHORIZED', 'anonymous catalog');
    });

    it('wrong credentials are 401 with the challenge', async () => {
      const res = await req('GET', '/v2/', { auth: basicAuth('acme-member', 'wrong-password') });
      assertOciError(res, 401, 'UNAUTHORIZED', 'bad password');
      assert.ok(res.headers.get('www-authenticate'));
      assertOciError(await req('GET', '/v2/', { auth: 'Bearer cho_forged.token' }), 401, 'UNAUTHORIZED');
    });

    it('token flow: GET /v2/token with Basic gives a token that works as Bearer', async () => {
      const scope = `repository:${REPO}:pull,push`;
      const res = await req('GET', `/v2/token?service=${new URL(server.url).host}&scope=${scope}`, {
        auth: MEMBER,
      });
      assert.equal(res.status, 200, text(res));
      const body = res.json<{ token: string; access_token: string; expires_in: number; issued_at: string }>();
      assert.ok(body.token);
      assert.equal(body.access_token, body.token);
      assert.ok(body.expires_in >= 60);
      assert.ok(!Number.isNaN(Date.parse(body.issued_at)));
      const v2 = await req('GET', '/v2/', { auth: bearerAuth(body.token) });
      assert.equal(v2.status, 200);
      const tags = await req('GET', `/v2/${REPO}/tags/list`, { auth: bearerAuth(body.token) });
      assert.equal(tags.status, 200, text(tags));
      const blob = randomBytes(100);
      await pushBlob(server.url, REPO, blob, bearerAuth(body.token));
      // Still a member: delete is not granted by the token either.
      assertOciError(
        await req('DELETE', `/v2/${REPO}/blobs/${sha256Digest(blob)}`, { auth: bearerAuth(body.token) }),
        403,
        'DENIED',
        'member token deletes',
      );
      const bad = await req('GET', '/v2/token?scope=x', { auth: basicAuth('acme-member', 'nope') });
      assertOciError(bad, 401, 'UNAUTHORIZED', 'token with a bad password');
    });

    it('token flow: POST /v2/token with grant_type=password (what helm login tries first)', async () => {
      const form = new URLSearchParams({
        grant_type: 'password',
        username: 'acme-member',
        password: 'acme-member-password',
        service: new URL(server.url).host,
        client_id: 'oras-go',
        scope: `repository:${REPO}:pull repository:${CHART_REPO}:pull,push`,
      });
      const res = await req('POST', '/v2/token', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
      });
      assert.equal(res.status, 200, text(res));
      const body = res.json<{ access_token: string; scope: string }>();
      assert.ok(body.access_token);
      assert.equal(body.scope, `repository:${REPO}:pull repository:${CHART_REPO}:pull,push`);
      const tags = await req('GET', `/v2/${REPO}/tags/list`, { auth: bearerAuth(body.access_token) });
      assert.equal(tags.status, 200, text(tags));

      const wrong = await req('POST', '/v2/token', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(new URLSearchParams({ ...Object.fromEntries(form), password: 'nope' }).toString()),
      });
      assertOciError(wrong, 401, 'UNAUTHORIZED', 'POST token with a bad password');
    });

    it('a token asking for delete as a member is granted pull,push only', async () => {
      const res = await req('GET', `/v2/token?scope=repository:${REPO}:pull,push,delete`, { auth: MEMBER });
      assert.equal(res.json<{ scope: string }>().scope, `repository:${REPO}:pull,push`);
      const admin = await req('GET', `/v2/token?scope=repository:${REPO}:pull,push,delete`, {
        auth: ADMIN_AUTH,
      });
      assert.equal(admin.json<{ scope: string }>().scope, `repository:${REPO}:pull,push,delete`);
    });

    it("Charthouse's own session token works as Bearer on /v2", async () => {
      const res = await req('GET', `/v2/${REPO}/tags/list`, { auth: bearerAuth(acme.memberToken) });
      assert.equal(res.status, 200, text(res));
    });

    it('Basic with an API token as the password works (docker / helm login with a token)', async () => {
      const issued = await server.api<{ token: string }>('POST', '/api/v1/auth/tokens', {
        token: acme.memberToken,
        body: { name: 'oci-conformance' },
      });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      const res = await req('GET', `/v2/${REPO}/tags/list`, {
        auth: basicAuth('acme-member', issued.body.token),
      });
      assert.equal(res.status, 200, text(res));
      // The token is the member's own: under another user's name it is a wrong password.
      assertOciError(
        await req('GET', `/v2/${REPO}/tags/list`, { auth: basicAuth('acme-admin', issued.body.token) }),
        401,
        'UNAUTHORIZED',
        "another user's name with the member's token",
      );
    });

    it("another tenant's repository is 404 NAME_UNKNOWN, never 403", async () => {
      const attempts: [string, string, Buffer?][] = [
        ['GET', `/v2/${REPO}/tags/list`],
        ['GET', `/v2/${REPO}/manifests/tagtest0`],
        ['GET', `/v2/${REPO}/blobs/${sha256Digest(base.layer)}`],
        ['POST', `/v2/${REPO}/blobs/uploads/`],
        ['PUT', `/v2/${REPO}/manifests/intruder`, base.manifest],
        ['DELETE', `/v2/${REPO}/manifests/tagtest0`],
      ];
      for (const [method, path, body] of attempts) {
        assertOciError(
          await req(method, path, {
            auth: OTHER_ADMIN,
            ...(body ? { body, headers: { 'content-type': OCI_MANIFEST } } : {}),
          }),
          404,
          'NAME_UNKNOWN',
          `other-admin ${method} ${path}`,
        );
      }
      // A tenant that does not exist answers the same.
      assertOciError(await member('GET', '/v2/nosuchtenant/x/tags/list'), 404, 'NAME_UNKNOWN', 'no tenant');
      // The token endpoint grants nothing there.
      const token = await req('GET', `/v2/token?scope=repository:${REPO}:pull,push`, { auth: OTHER_ADMIN });
      assert.equal(token.status, 200);
      assert.doesNotMatch(token.json<{ scope: string }>().scope, /pull|push/);
    });

    it('public read: off means anonymous 401; on means anonymous pulls but never pushes', async () => {
      assertOciError(
        await req('GET', `/v2/${REPO}/manifests/tagtest0`),
        401,
        'UNAUTHORIZED',
        'anonymous pull, public read off',
      );
      const on = await server.api('PATCH', '/api/v1/tenants/acme/hosted', {
        token: acme.adminToken,
        body: { publicRead: true },
      });
      assert.equal(on.status, 200, JSON.stringify(on.body));
      try {
        const pull = await req('GET', `/v2/${REPO}/manifests/tagtest0`);
        assert.equal(pull.status, 200, text(pull));
        assert.ok(pull.body.equals(base.manifest));
        assert.equal((await req('GET', `/v2/${REPO}/tags/list`)).status, 200);
        assertOciError(
          await req('POST', `/v2/${REPO}/blobs/uploads/`),
          401,
          'UNAUTHORIZED',
          'anonymous push',
        );
        assertOciError(
          await req('DELETE', `/v2/${REPO}/manifests/tagtest0`),
          401,
          'UNAUTHORIZED',
          'anonymous delete',
        );
        // A signed-in user of another tenant reads a public registry too, but may not push.
        assert.equal((await req('GET', `/v2/${REPO}/tags/list`, { auth: OTHER_ADMIN })).status, 200);
        assertOciError(
          await req('POST', `/v2/${REPO}/blobs/uploads/`, { auth: OTHER_ADMIN }),
          403,
          'DENIED',
          'outsider pushes to a public registry',
        );
      } finally {
        const off = await server.api('PATCH', '/api/v1/tenants/acme/hosted', {
          token: acme.adminToken,
          body: { publicRead: false },
        });
        assert.equal(off.status, 200);
      }
      assertOciError(
        await req('GET', `/v2/${REPO}/manifests/tagtest0`),
        401,
        'UNAUTHORIZED',
        'anonymous pull after public read is off again',
      );
    });
  });
});
