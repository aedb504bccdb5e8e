import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  assertOciError,
  basicAuth,
  bearerAuth,
  ociRequest,
  pushBlob,
  pushChartLikeHelm,
  putManifest,
  sha256Digest,
  type OciResponse,
} from '../support/oci-client.js';
import { buildHelmArtifact, MEDIA_TYPES } from '../support/oci-push.js';
import { createTgz } from '../support/chart-archive.js';
import { ADMIN, createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

/*
 * OCI bearer tokens carry the access they were granted (distribution's token auth,
 * docs/spec/auth/token.md): a request with one is allowed only when both the token's scope and the
 * user's current rights allow it. Lacking scope is 401 UNAUTHORIZED with a Bearer challenge naming the
 * scope to ask for and error="insufficient_scope"; lacking rights is what it always was (403, or 404
 * for another tenant). Basic credentials and Charthouse tokens keep the user's full rights.
 */

const MEMBER = basicAuth('acme-member', 'acme-member-password');
const ACME_ADMIN = basicAuth('acme-admin', 'acme-admin-password');
const SYSTEM_ADMIN = basicAuth(ADMIN.username, ADMIN.password);
const OCI_MANIFEST = MEDIA_TYPES.ociManifest;

function image(): { config: Buffer; layer: Buffer; manifest: Buffer } {
  const config = Buffer.from(JSON.stringify({ os: 'linux', nonce: randomBytes(8).toString('hex') }));
  const layer = randomBytes(200);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPES.ociImageConfig, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: MEDIA_TYPES.ociImageLayer, digest: sha256Digest(layer), size: layer.length }],
    }),
  );
  return { config, layer, manifest };
}

const text = (res: { body: Buffer }): string => res.body.toString('utf8');

describe(`OCI bearer tokens honour their scope (${TEST_DB})`, () => {
  let server: TestServer;
  let host: string;
  let acme: Awaited<ReturnType<typeof createTenant>>;
  const x = image();

  const req = (method: string, path: string, opts: Parameters<typeof ociRequest>[3] = {}) =>
    ociRequest(server.url, method, path, opts);
  /** A token from GET /v2/token for `scopes`, and the scope the server says it granted. */
  const token = async (
    auth: string | null,
    ...scopes: string[]
  ): Promise<{ token: string; scope: string }> => {
    const query = new URLSearchParams({ service: host });
    for (const s of scopes) query.append('scope', s);
    const res = await req('GET', `/v2/token?${query.toString()}`, { auth });
    assert.equal(res.status, 200, text(res));
    const body = res.json<{ token: string; scope: string }>();
    return { token: bearerAuth(body.token), scope: body.scope };
  };
  /** 401 UNAUTHORIZED with exactly distribution's insufficient_scope challenge for `scope`. */
  const assertInsufficientScope = (res: OciResponse, scope: string, what: string): void => {
    assertOciError(res, 401, 'UNAUTHORIZED', what);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer realm="${server.url}/v2/token",service="${host}",scope="${scope}",error="insufficient_scope"`,
      what,
    );
  };

  before(async () => {
    server = await startTestServer();
    host = new URL(server.url).host;
    acme = await createTenant(server, 'acme');
    await createTenant(server, 'beta');
    // acme's member belongs to beta too: its tokens for acme must still not reach beta.
    const joined = await server.api('POST', '/api/v1/tenants/beta/members', {
      body: { username: 'acme-member', role: 'member' },
    });
    assert.equal(joined.status, 201, JSON.stringify(joined.body));
    for (const [repository, auth] of [
      ['acme/x', MEMBER],
      ['acme/y', MEMBER],
      ['beta/z', basicAuth('beta-admin', 'beta-admin-password')],
    ] as const) {
      await pushBlob(server.url, repository, x.config, auth);
      await pushBlob(server.url, repository, x.layer, auth);
      await putManifest(server.url, repository, 'v1', x.manifest, OCI_MANIFEST, auth);
    }
  });
  after(async () => {
    await server?.close();
  });

  it('a pull-only token pulls its repository but cannot push there; a pull,push token pushes like helm', async () => {
    const pull = await token(MEMBER, 'repository:acme/x:pull');
    assert.equal(pull.scope, 'repository:acme/x:pull');
    assert.equal((await req('GET', '/v2/acme/x/tags/list', { auth: pull.token })).status, 200);
    assert.equal((await req('GET', '/v2/acme/x/manifests/v1', { auth: pull.token })).status, 200);
    assert.equal(
      (await req('HEAD', `/v2/acme/x/blobs/${sha256Digest(x.layer)}`, { auth: pull.token })).status,
      200,
    );
    assertInsufficientScope(
      await req('POST', '/v2/acme/x/blobs/uploads/', { auth: pull.token }),
      'repository:acme/x:pull,push',
      'upload with a pull-only token',
    );
    assertInsufficientScope(
      await req('PUT', '/v2/acme/x/manifests/v2', {
        auth: pull.token,
        headers: { 'content-type': OCI_MANIFEST },
        body: x.manifest,
      }),
      'repository:acme/x:pull,push',
      'manifest PUT with a pull-only token',
    );
    assert.equal((await req('GET', '/v2/acme/x/manifests/v2', { auth: MEMBER })).status, 404);

    // What helm (oras-go) asks for on push: repository:<tenant>/<chart>:pull,push.
    const tgz = createTgz([
      { path: 'scoped/Chart.yaml', content: 'apiVersion: v2\nname: scoped\nversion: 0.1.0\n' },
    ]);
    const artifact = buildHelmArtifact({
      chartTgz: tgz,
      chartJson: { apiVersion: 'v2', name: 'scoped', version: '0.1.0' },
    });
    const push = await token(MEMBER, 'repository:acme/scoped:pull,push');
    assert.equal(push.scope, 'repository:acme/scoped:pull,push');
    await pushChartLikeHelm(server.url, 'acme/scoped', artifact, push.token);
    assert.equal((await req('GET', '/v2/acme/scoped/manifests/0.1.0', { auth: push.token })).status, 200);
    // ...and that token is for acme/scoped only.
    assertInsufficientScope(
      await req('POST', '/v2/acme/x/blobs/uploads/', { auth: push.token }),
      'repository:acme/x:pull,push',
      'upload elsewhere with a token for acme/scoped',
    );
  });

  it('deletes need the delete scope, even for an admin; rights still come first', async () => {
    const art = image();
    await pushBlob(server.url, 'acme/x', art.config, MEMBER);
    await pushBlob(server.url, 'acme/x', art.layer, MEMBER);
    await putManifest(server.url, 'acme/x', 'doomed', art.manifest, OCI_MANIFEST, MEMBER);

    const pushOnly = await token(ACME_ADMIN, 'repository:acme/x:pull,push');
    assertInsufficientScope(
      await req('DELETE', '/v2/acme/x/manifests/doomed', { auth: pushOnly.token }),
      'repository:acme/x:delete',
      'admin deletes a tag with a pull,push token',
    );
    assertInsufficientScope(
      await req('DELETE', `/v2/acme/x/blobs/${sha256Digest(art.layer)}`, { auth: pushOnly.token }),
      'repository:acme/x:delete',
      'admin deletes a blob with a pull,push token',
    );
    assert.equal((await req('GET', '/v2/acme/x/manifests/doomed', { auth: MEMBER })).status, 200);

    // A member is granted no delete, and a delete is refused for lack of rights, as with Basic.
    const memberAsks = await token(MEMBER, 'repository:acme/x:pull,push,delete');
    assert.equal(memberAsks.scope, 'repository:acme/x:pull,push');
    assertOciError(
      await req('DELETE', '/v2/acme/x/manifests/doomed', { auth: memberAsks.token }),
      403,
      'DENIED',
      'member deletes',
    );

    const del = await token(ACME_ADMIN, 'repository:acme/x:delete');
    assert.equal(del.scope, 'repository:acme/x:delete');
    const deleted = await req('DELETE', '/v2/acme/x/manifests/doomed', { auth: del.token });
    assert.equal(deleted.status, 202, text(deleted));
    // The delete scope alone does not pull.
    assertInsufficientScope(
      await req('GET', '/v2/acme/x/tags/list', { auth: del.token }),
      'repository:acme/x:pull',
      'pull with a delete-only token',
    );
    const all = await token(ACME_ADMIN, 'repository:acme/x:*');
    assert.equal(all.scope, 'repository:acme/x:*');
    assert.equal((await req('GET', '/v2/acme/x/tags/list', { auth: all.token })).status, 200);
    const blob = await req('DELETE', `/v2/acme/x/blobs/${sha256Digest(art.layer)}`, { auth: all.token });
    assert.equal(blob.status, 202, text(blob));

    // Basic credentials and Charthouse tokens keep the user's full rights.
    await pushBlob(server.url, 'acme/x', art.layer, MEMBER);
    assert.equal(
      (await req('DELETE', `/v2/acme/x/blobs/${sha256Digest(art.layer)}`, { auth: ACME_ADMIN })).status,
      202,
    );
    await pushBlob(server.url, 'acme/x', art.layer, bearerAuth(acme.memberToken));
    assert.equal(
      (
        await req('DELETE', `/v2/acme/x/blobs/${sha256Digest(art.layer)}`, {
          auth: bearerAuth(acme.adminToken),
        })
      ).status,
      202,
    );
  });

  it('a token for one repository pulls no other, in its tenant or another the user belongs to', async () => {
    const pull = await token(MEMBER, 'repository:acme/x:pull');
    assertInsufficientScope(
      await req('GET', '/v2/acme/y/tags/list', { auth: pull.token }),
      'repository:acme/y:pull',
      'another repository of acme',
    );
    assertInsufficientScope(
      await req('GET', '/v2/beta/z/manifests/v1', { auth: pull.token }),
      'repository:beta/z:pull',
      "beta's repository with a token for acme",
    );
    assert.equal((await req('GET', '/v2/beta/z/manifests/v1', { auth: MEMBER })).status, 200);
    const both = await token(MEMBER, 'repository:acme/x:pull', 'repository:beta/z:pull');
    assert.equal(both.scope, 'repository:acme/x:pull repository:beta/z:pull');
    assert.equal((await req('GET', '/v2/beta/z/manifests/v1', { auth: both.token })).status, 200);

    // Someone outside beta is granted nothing there, and beta stays unknown to them.
    const outsider = await token(ACME_ADMIN, 'repository:acme/x:pull', 'repository:beta/z:pull');
    assert.equal(outsider.scope, 'repository:acme/x:pull');
    assertOciError(
      await req('GET', '/v2/beta/z/manifests/v1', { auth: outsider.token }),
      404,
      'NAME_UNKNOWN',
      'outsider in beta',
    );
    // The system administrator's token is scoped too.
    const system = await token(SYSTEM_ADMIN, 'repository:acme/x:pull');
    assertInsufficientScope(
      await req('GET', '/v2/beta/z/tags/list', { auth: system.token }),
      'repository:beta/z:pull',
      "system admin's token for acme in beta",
    );
  });

  it('the catalog needs registry:catalog:*; a token without access opens /v2/ only', async () => {
    const none = await token(MEMBER);
    assert.equal(none.scope, '');
    assert.equal((await req('GET', '/v2/', { auth: none.token })).status, 200);
    assertInsufficientScope(
      await req('GET', '/v2/_catalog', { auth: none.token }),
      'registry:catalog:*',
      'catalog without the catalog scope',
    );
    assertInsufficientScope(
      await req('GET', '/v2/acme/x/tags/list', { auth: none.token }),
      'repository:acme/x:pull',
      'tags with a token without access',
    );
    const catalog = await token(MEMBER, 'registry:catalog:*');
    assert.equal(catalog.scope, 'registry:catalog:*');
    const list = await req('GET', '/v2/_catalog', { auth: catalog.token });
    assert.equal(list.status, 200, text(list));
    const repositories = list.json<{ repositories: string[] }>().repositories;
    for (const r of ['acme/x', 'acme/y', 'beta/z'])
      assert.ok(repositories.includes(r), repositories.join(', '));
    // The catalog scope is not a repository scope.
    assertInsufficientScope(
      await req('GET', '/v2/acme/x/tags/list', { auth: catalog.token }),
      'repository:acme/x:pull',
      'tags with the catalog scope',
    );
  });

  it('an OCI token opens nothing outside /v2 and cannot be traded for a wider one', async () => {
    const pull = await token(MEMBER, 'repository:acme/x:pull');
    const index = await req('GET', '/helm/acme/index.yaml', { auth: pull.token });
    assert.equal(index.status, 401, text(index));
    const upload = await req('POST', '/helm/acme/api/charts', {
      auth: pull.token,
      headers: { 'content-type': 'application/gzip' },
      body: createTgz([
        { path: 'sneaky/Chart.yaml', content: 'apiVersion: v2\nname: sneaky\nversion: 1.0.0\n' },
      ]),
    });
    assert.equal(upload.status, 401, text(upload));
    const wider = await req('GET', '/v2/token?scope=repository:acme/x:pull,push', { auth: pull.token });
    assertOciError(wider, 401, 'UNAUTHORIZED', 'a token traded for another');
  });

  it('anonymous tokens carry pull scopes of public registries only', async () => {
    const on = await server.api('PATCH', '/api/v1/tenants/acme/hosted', {
      token: acme.adminToken,
      body: { publicRead: true },
    });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    try {
      const anon = await token(
        null,
        'repository:acme/x:pull,push,delete',
        'repository:beta/z:pull',
        'registry:catalog:*',
      );
      assert.equal(anon.scope, 'repository:acme/x:pull');
      assert.equal((await req('GET', '/v2/acme/x/manifests/v1', { auth: anon.token })).status, 200);
      assertOciError(
        await req('POST', '/v2/acme/x/blobs/uploads/', { auth: anon.token }),
        401,
        'UNAUTHORIZED',
        'anonymous push',
      );
      assertInsufficientScope(
        await req('GET', '/v2/acme/y/manifests/v1', { auth: anon.token }),
        'repository:acme/y:pull',
        'another public repository with a token for acme/x',
      );
      assertOciError(
        await req('GET', '/v2/beta/z/manifests/v1', { auth: anon.token }),
        401,
        'UNAUTHORIZED',
        'a private tenant',
      );
    } finally {
      await server.api('PATCH', '/api/v1/tenants/acme/hosted', {
        token: acme.adminToken,
        body: { publicRead: false },
      });
    }
  });
});
