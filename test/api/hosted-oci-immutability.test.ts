import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { createTgz } from '../support/chart-archive.js';
import { uploadChart } from '../support/hosted.js';
import {
  assertOciError,
  basicAuth,
  ociRequest,
  pushBlob,
  pushChartLikeHelm,
  sha256Digest,
} from '../support/oci-client.js';
import { buildHelmArtifact, goJson, MEDIA_TYPES } from '../support/oci-push.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

/*
 * Versions are immutable over OCI too (SPEC §2; issue 10): a chart version's manifest is the one it was
 * first pushed with. Another manifest under its tag is refused for members and admins alike (OCI has
 * no force flag): delete the version, then push. The same bytes again are a success that changes
 * nothing; a manifest that differs only in `org.opencontainers.image.created` (Helm >= 3.15 writes the
 * archive's mtime there) is the same content: 201 with its own digest, stored untagged, the tag stays.
 * Every descriptor must name a blob the tenant holds, with that blob's size, and a chart's config must
 * name the chart inside it.
 */

const REPO = 'acme/imm';
const MEMBER = basicAuth('acme-member', 'acme-member-password');
const ADMIN = basicAuth('acme-admin', 'acme-admin-password');
const OCI_MANIFEST = MEDIA_TYPES.ociManifest;
const CREATED = 'org.opencontainers.image.created';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}
interface Manifest {
  schemaVersion: number;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

function chart(name: string, version: string, description = `${name} for immutability tests`) {
  const tgz = createTgz([
    {
      path: `${name}/Chart.yaml`,
      content: `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: ${description}\n`,
    },
    { path: `${name}/values.yaml`, content: 'replicas: 1\n' },
  ]);
  return { tgz, json: { apiVersion: 'v2', name, version, description } };
}

const text = (res: { body: Buffer }): string => res.body.toString('utf8');

describe(`a published version's OCI manifest cannot be replaced (${TEST_DB})`, () => {
  let server: TestServer;
  let acme: Awaited<ReturnType<typeof createTenant>>;
  const imm = chart('imm', '2.0.0');
  const artifact = buildHelmArtifact({
    chartTgz: imm.tgz,
    chartJson: imm.json,
    created: '2024-05-01T10:00:00Z',
  });
  const original = JSON.parse(artifact.manifest.toString('utf8')) as Manifest;
  const chartIndex = original.layers.findIndex((l) => l.mediaType === MEDIA_TYPES.helmChart);
  /** A config that is valid for imm 2.0.0 but is not the one pushed. */
  const otherConfig = Buffer.from(goJson({ ...imm.json, description: 'another description' }));

  const req = (method: string, path: string, opts: Parameters<typeof ociRequest>[3] = {}) =>
    ociRequest(server.url, method, path, opts);
  const put = (reference: string, body: Buffer, auth = MEMBER, repository = REPO) =>
    req('PUT', `/v2/${repository}/manifests/${reference}`, {
      auth,
      headers: { 'content-type': OCI_MANIFEST },
      body,
    });
  const variant = (change: (m: Manifest) => void): Buffer => {
    const m = structuredClone(original);
    change(m);
    return Buffer.from(JSON.stringify(m));
  };

  /** What a client can see of the registry: the tag, index.yaml, the catalog, the OCI catalog. */
  const snapshot = async () => {
    const tagged = await req('GET', `/v2/${REPO}/manifests/2.0.0`, {
      auth: MEMBER,
      headers: { accept: OCI_MANIFEST },
    });
    assert.equal(tagged.status, 200, text(tagged));
    const index = await req('GET', '/helm/acme/index.yaml', { auth: MEMBER });
    const detail = await server.api('GET', '/api/v1/tenants/acme/registries/helm/hosted/charts/imm', {
      token: acme.memberToken,
    });
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    return {
      manifest: tagged.body.toString('base64'),
      digest: tagged.headers.get('docker-content-digest'),
      tags: text(await req('GET', `/v2/${REPO}/tags/list`, { auth: MEMBER })),
      index: text(index),
      indexEtag: index.headers.get('etag'),
      catalog: detail.body,
      repositories: text(await req('GET', '/v2/_catalog', { auth: MEMBER })),
    };
  };

  before(async () => {
    server = await startTestServer();
    acme = await createTenant(server, 'acme');
    await pushChartLikeHelm(server.url, REPO, artifact, MEMBER);
    await pushBlob(server.url, REPO, otherConfig, MEMBER);
  });
  after(async () => {
    await server?.close();
  });

  it('refuses other manifests for 2.0.0 from a member and from an admin, and nothing changes', async () => {
    const chartLayer = original.layers[chartIndex]!;
    const image = Buffer.from('{"architecture":"amd64","os":"linux"}');
    await pushBlob(server.url, REPO, image, MEMBER);
    const nonChart = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: MEDIA_TYPES.ociImageConfig, digest: sha256Digest(image), size: image.length },
        layers: [{ ...chartLayer, mediaType: MEDIA_TYPES.ociImageLayer }],
      }),
    );
    const conflicts: [string, Buffer][] = [
      [
        'an extra annotation',
        variant((m) => {
          m.annotations = { ...m.annotations, 'com.example.sneaky': 'yes' };
        }),
      ],
      [
        'another config blob (same chart name and version)',
        variant((m) => {
          m.config = { ...m.config, digest: sha256Digest(otherConfig), size: otherConfig.length };
        }),
      ],
    ];
    const lies: [string, Buffer, RegExp][] = [
      [
        'a lying chart layer size',
        variant((m) => {
          m.layers[chartIndex]!.size = 1000;
        }),
        new RegExp(
          `layers\\[${chartIndex}\\] says 1000 bytes but blob ${chartLayer.digest} has ${chartLayer.size}`,
        ),
      ],
      [
        'a lying config size',
        variant((m) => {
          m.config.size += 1;
        }),
        new RegExp(
          `config says ${original.config.size + 1} bytes but blob ${original.config.digest} has ${original.config.size}`,
        ),
      ],
    ];
    for (const [who, auth] of [
      ['member', MEMBER],
      ['admin', ADMIN],
    ] as const) {
      const before = await snapshot();
      for (const [what, body] of conflicts) {
        for (const reference of ['2.0.0', sha256Digest(body)]) {
          const [error] = assertOciError(
            await put(reference, body, auth),
            409,
            'DENIED',
            `${who}: ${what} under ${reference}`,
          );
          assert.match(error!.message, /immutable/, error!.message);
          // OCI has no ?force: the message names the request that deletes the version.
          assert.match(
            error!.message,
            /delete imm 2\.0\.0 first \(DELETE \/helm\/acme\/api\/charts\/imm\/2\.0\.0/,
          );
          assert.doesNotMatch(error!.message, /\?force/);
          assert.equal(
            (await req('GET', `/v2/${REPO}/manifests/${sha256Digest(body)}`, { auth })).status,
            404,
            `${who}: ${what} is not stored`,
          );
        }
      }
      for (const [what, body, message] of lies) {
        for (const reference of ['2.0.0', sha256Digest(body)]) {
          const [error] = assertOciError(
            await put(reference, body, auth),
            400,
            'MANIFEST_INVALID',
            `${who}: ${what} under ${reference}`,
          );
          assert.match(error!.message, message);
        }
      }
      assertOciError(await put('2.0.0', nonChart, auth), 409, 'DENIED', `${who}: a non-chart manifest`);
      assert.deepEqual(await snapshot(), before, `${who}: tag, index.yaml and catalog unchanged`);
    }
  });

  it('takes an identical re-push (OCI or the same archive through the ChartMuseum API) and changes nothing', async () => {
    const before = await snapshot();
    for (const auth of [MEMBER, ADMIN]) {
      const res = await put('2.0.0', artifact.manifest, auth);
      assert.equal(res.status, 201, text(res));
      assert.equal(res.headers.get('docker-content-digest'), artifact.digest);
      await pushChartLikeHelm(server.url, REPO, artifact, auth);
    }
    const upload = await uploadChart(server.url, 'acme', imm.tgz, MEMBER);
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    assert.deepEqual(await snapshot(), before, 'the tag still names the manifest helm pushed');
  });

  it('takes a manifest that differs only in its created annotation as a re-push: 201, stored untagged, the tag stays', async () => {
    const before = await snapshot();
    const later = variant((m) => {
      m.annotations = { ...m.annotations, [CREATED]: '2025-01-02T03:04:05+01:00' };
    });
    const res = await put('2.0.0', later, MEMBER);
    assert.equal(res.status, 201, text(res));
    assert.equal(
      res.headers.get('docker-content-digest'),
      sha256Digest(later),
      'the digest of the bytes sent',
    );
    const byDigest = await req('GET', `/v2/${REPO}/manifests/${sha256Digest(later)}`, { auth: MEMBER });
    assert.equal(byDigest.status, 200, 'the digest the client got is real');
    assert.ok(byDigest.body.equals(later));

    // Helm >= 3.18 with the same .tgz copied elsewhere (another mtime): by digest, then by tag.
    const copied = buildHelmArtifact({
      chartTgz: imm.tgz,
      chartJson: imm.json,
      created: '2026-02-03T04:05:06Z',
    });
    await pushChartLikeHelm(server.url, REPO, copied, ADMIN);
    // Without the annotation at all (what a ChartMuseum upload derives) is the same content too.
    const without = variant((m) => {
      m.annotations = Object.fromEntries(Object.entries(m.annotations!).filter(([k]) => k !== CREATED));
    });
    assert.equal((await put('2.0.0', without, MEMBER)).status, 201);
    assert.deepEqual(await snapshot(), before, 'tag, index.yaml and catalog unchanged');

    // Created and anything else is other content.
    const both = variant((m) => {
      m.annotations = { ...m.annotations, [CREATED]: '2025-01-01T00:00:00Z', 'com.example.x': 'y' };
    });
    assertOciError(await put('2.0.0', both, ADMIN), 409, 'DENIED', 'created and another annotation');
  });

  it('keeps the manifest a ChartMuseum upload derived when helm pushes the same archive', async () => {
    const cm = chart('cmchart', '1.0.0');
    assert.equal((await uploadChart(server.url, 'acme', cm.tgz, MEMBER)).status, 201);
    const derived = await req('GET', '/v2/acme/cmchart/manifests/1.0.0', { auth: MEMBER });
    assert.equal(derived.status, 200);
    assert.ok(!text(derived).includes(CREATED), 'the derived manifest has no created annotation');
    const pushed = buildHelmArtifact({ chartTgz: cm.tgz, chartJson: cm.json });
    await pushChartLikeHelm(server.url, 'acme/cmchart', pushed, MEMBER);
    const after = await req('GET', '/v2/acme/cmchart/manifests/1.0.0', { auth: MEMBER });
    assert.ok(after.body.equals(derived.body), 'the tag did not move');
    assert.equal(
      (await req('GET', `/v2/acme/cmchart/manifests/${pushed.digest}`, { auth: MEMBER })).status,
      200,
    );
  });

  it('lets an admin delete the version (with its untagged variants) and push other content', async () => {
    const later = variant((m) => {
      m.annotations = { ...m.annotations, [CREATED]: '2030-01-01T00:00:00Z' };
    });
    assert.equal((await put('2.0.0', later, MEMBER)).status, 201);
    const deleted = await req('DELETE', `/v2/${REPO}/manifests/2.0.0`, { auth: ADMIN });
    assert.equal(deleted.status, 202, text(deleted));
    for (const digest of [artifact.digest, sha256Digest(later)]) {
      // Nothing is left in the repository, so it is unknown altogether (NAME_UNKNOWN).
      const res = await req('GET', `/v2/${REPO}/manifests/${digest}`, { auth: MEMBER });
      assert.equal(res.status, 404, `${digest} went with the version: ${text(res)}`);
    }
    const other = variant((m) => {
      m.annotations = { ...m.annotations, 'com.example.second': 'push' };
    });
    const res = await put('2.0.0', other, MEMBER);
    assert.equal(res.status, 201, text(res));
    const tagged = await req('GET', `/v2/${REPO}/manifests/2.0.0`, { auth: MEMBER });
    assert.ok(tagged.body.equals(other));
  });

  it('refuses a chart whose config names another chart or version than the archive inside, on first push', async () => {
    const cfg = chart('cfg', '1.0.0');
    const goodConfig = Buffer.from(goJson(cfg.json));
    await pushBlob(server.url, 'acme/cfg', cfg.tgz, MEMBER);
    const manifestWith = (config: Buffer): Buffer => {
      const m: Manifest = {
        schemaVersion: 2,
        config: { mediaType: MEDIA_TYPES.helmConfig, digest: sha256Digest(config), size: config.length },
        layers: [{ mediaType: MEDIA_TYPES.helmChart, digest: sha256Digest(cfg.tgz), size: cfg.tgz.length }],
        annotations: { 'org.opencontainers.image.title': 'cfg', 'org.opencontainers.image.version': '1.0.0' },
      };
      return Buffer.from(JSON.stringify(m));
    };
    const cases: [string, Buffer, RegExp][] = [
      [
        'version 9.9.9',
        Buffer.from(goJson({ ...cfg.json, version: '9.9.9' })),
        /9\.9\.9.*1\.0\.0|1\.0\.0.*9\.9\.9/,
      ],
      ['name "other"', Buffer.from(goJson({ ...cfg.json, name: 'other' })), /"other"/],
      ['not JSON', Buffer.from('{"name": "cfg", "version": '), /not valid JSON/],
      ['not an object', Buffer.from('["cfg", "1.0.0"]'), /JSON object/],
    ];
    for (const [what, config, reason] of cases) {
      await pushBlob(server.url, 'acme/cfg', config, MEMBER);
      const manifest = manifestWith(config);
      for (const reference of ['1.0.0', sha256Digest(manifest)]) {
        const [error] = assertOciError(
          await put(reference, manifest, MEMBER, 'acme/cfg'),
          400,
          'MANIFEST_INVALID',
          `config with ${what} under ${reference}`,
        );
        assert.match(error!.message, reason);
      }
    }
    assertOciError(
      await req('GET', '/v2/acme/cfg/tags/list', { auth: MEMBER }),
      404,
      'NAME_UNKNOWN',
      'nothing was stored',
    );
    const index = yaml.load(text(await req('GET', '/helm/acme/index.yaml', { auth: MEMBER }))) as {
      entries: Record<string, unknown>;
    };
    assert.equal(index.entries['cfg'], undefined);

    await pushBlob(server.url, 'acme/cfg', goodConfig, MEMBER);
    const good = await put('1.0.0', manifestWith(goodConfig), MEMBER, 'acme/cfg');
    assert.equal(good.status, 201, text(good));
  });

  it('checks the sizes of non-chart manifests too; an index may name manifests not pushed yet', async () => {
    const config = Buffer.from(JSON.stringify({ os: 'linux', nonce: randomBytes(8).toString('hex') }));
    const layer = randomBytes(973);
    await pushBlob(server.url, 'acme/image', config, MEMBER);
    await pushBlob(server.url, 'acme/image', layer, MEMBER);
    const image = (layerSize: number, configSize = config.length) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: MEDIA_TYPES.ociImageConfig, digest: sha256Digest(config), size: configSize },
          layers: [
            { mediaType: MEDIA_TYPES.ociImageLayer, digest: sha256Digest(config), size: config.length },
            { mediaType: MEDIA_TYPES.ociImageLayer, digest: sha256Digest(layer), size: layerSize },
          ],
        }),
      );
    const [error] = assertOciError(
      await put('v1', image(1000), MEMBER, 'acme/image'),
      400,
      'MANIFEST_INVALID',
      'a lying layer size',
    );
    assert.match(
      error!.message,
      new RegExp(`layers\\[1\\] says 1000 bytes but blob ${sha256Digest(layer)} has 973`),
    );
    assertOciError(
      await put('v1', image(973, 1), MEMBER, 'acme/image'),
      400,
      'MANIFEST_INVALID',
      'config size',
    );
    assert.equal((await req('GET', '/v2/acme/image/tags/list', { auth: MEMBER })).status, 404);
    const res = await put('v1', image(973), MEMBER, 'acme/image');
    assert.equal(res.status, 201, text(res));

    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [{ mediaType: OCI_MANIFEST, digest: sha256Digest(randomBytes(16)), size: 1234 }],
      }),
    );
    const indexed = await req('PUT', '/v2/acme/image/manifests/multi', {
      auth: MEMBER,
      headers: { 'content-type': MEDIA_TYPES.ociIndex },
      body: index,
    });
    assert.equal(indexed.status, 201, text(indexed));
  });
});
