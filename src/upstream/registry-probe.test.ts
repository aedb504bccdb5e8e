import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { parseRegistryEndpoint } from '../protocol/registry-endpoint.js';
import { UpstreamError } from '../shared/errors.js';
import type { UpstreamFailure } from '../shared/errors.js';
import {
  ALIAS_BOMB_YAML,
  sendBody,
  serveFile,
  fixtureServerPool,
  withBasicAuth,
} from '../../test/support/fixture-servers.js';
import type { FixtureHandler } from '../../test/support/fixture-servers.js';
import { getTlsFixtures, serverTlsOptions } from '../../test/support/tls-fixtures.js';
import { closeUpstreamDispatchers, createUpstreamPolicy } from './http-client.js';
import { probeRegistry } from './registry-probe.js';
import type { UpstreamConnection } from './upstream-connection.js';

// The corpus sits beside the repository (../shared), wherever the clone lives.
const GRAFANA_INDEX = new URL('../../../shared/corpus/index/grafana-helm-charts-index.yaml', import.meta.url)
  .pathname;
const PASSWORD = 'Hunter2-registry-pw';
const policy = createUpstreamPolicy({
  userAgent: 'Charthouse/test',
  allowPrivateEndpoints: true,
  timeoutMs: 5000,
  idleTimeoutMs: 2000,
});
const limits = { maxIndexBytes: 10 * 1024 * 1024 };

const { serve, closeAll } = fixtureServerPool();

after(async () => {
  await closeAll();
  await closeUpstreamDispatchers();
});

function target(endpoint: string, overrides: Partial<UpstreamConnection> = {}): UpstreamConnection {
  return {
    endpoint: parseRegistryEndpoint(endpoint, { ociPlainHttp: endpoint.startsWith('oci://') }),
    passCredentials: false,
    tls: { insecureSkipVerify: false },
    ociRepositories: [],
    ...overrides,
  };
}

async function assertProbeFails(
  probeTarget: UpstreamConnection,
  failure: UpstreamFailure,
  pattern: RegExp = /./,
): Promise<UpstreamError> {
  let caught: unknown;
  await probeRegistry(probeTarget, policy, limits).catch((error: unknown) => {
    caught = error;
  });
  assert.ok(caught instanceof UpstreamError, `expected UpstreamError(${failure}), got ${String(caught)}`);
  assert.equal(caught.failure, failure, caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

function assertNoSecret(error: Error): void {
  assert.doesNotMatch(
    JSON.stringify({ ...error, message: error.message, stack: error.stack }),
    new RegExp(PASSWORD),
  );
  assert.doesNotMatch(error.message, new RegExp(Buffer.from(`user:${PASSWORD}`).toString('base64')));
}

describe('probeRegistry: classic Helm repositories', () => {
  it('accepts a corpus index and reports its counts', async () => {
    const server = await serve({ '/index.yaml': serveFile(GRAFANA_INDEX) });
    const result = await probeRegistry(target(server.url), policy, limits);
    assert.deepEqual(result, { warnings: [], chartCount: 41, versionCount: 3591 });
    assert.equal(server.requests[0]?.headers['user-agent'], 'Charthouse/test');
  });

  it("resolves index.yaml like Helm: one slash added, the endpoint's query string kept", async () => {
    const server = await serve({ '/charts/index.yaml': serveFile(GRAFANA_INDEX) });
    await probeRegistry(target(`${server.url}/charts?token=abc`), policy, limits);
    assert.equal(server.requests[0]?.url, '/charts/index.yaml?token=abc');
  });

  it('sends Basic credentials and fails clearly on a wrong password, never echoing it', async () => {
    const server = await serve({ '/index.yaml': withBasicAuth('user', PASSWORD, serveFile(GRAFANA_INDEX)) });
    const ok = await probeRegistry(
      target(server.url, { credentials: { username: 'user', password: PASSWORD } }),
      policy,
      limits,
    );
    assert.equal(ok.chartCount, 41);
    const error = await assertProbeFails(
      target(server.url, { credentials: { username: 'user', password: `${PASSWORD}-wrong` } }),
      'unauthorized',
      /credentials were rejected/,
    );
    assertNoSecret(error);
  });

  it('accepts an empty repository with a warning', async () => {
    const server = await serve({ '/index.yaml': sendBody('apiVersion: v1\nentries: {}\n') });
    const result = await probeRegistry(target(server.url), policy, limits);
    assert.deepEqual(result, {
      warnings: ['The repository has no charts yet.'],
      chartCount: 0,
      versionCount: 0,
    });
  });

  it('names the cause of each failure', async () => {
    const server = await serve({
      '/html/index.yaml': sendBody('<!DOCTYPE html><html></html>', {
        headers: { 'content-type': 'text/html' },
      }),
      '/bomb/index.yaml': sendBody(ALIAS_BOMB_YAML),
      '/moved/index.yaml': sendBody('', { status: 204 }),
    });
    await assertProbeFails(target(`${server.url}/missing`), 'not_found', /404.*repository index/);
    await assertProbeFails(target(`${server.url}/html`), 'not_a_helm_repository', /HTML/);
    await assertProbeFails(target(`${server.url}/bomb`), 'not_a_helm_repository', /anchors or aliases/);
    await assertProbeFails(target(`${server.url}/moved`), 'bad_status', /HTTP 204/);
  });

  it('passes TLS with the registry CA', async () => {
    const server = await serve({ '/index.yaml': serveFile(GRAFANA_INDEX) }, { tls: serverTlsOptions() });
    await assertProbeFails(target(server.url), 'tls');
    const tls = { caCert: getTlsFixtures().caCertPem, insecureSkipVerify: false };
    assert.equal((await probeRegistry(target(server.url, { tls }), policy, limits)).chartCount, 41);
  });

  it('refuses a private endpoint under the default policy', async () => {
    const server = await serve({ '/index.yaml': serveFile(GRAFANA_INDEX) });
    await assert.rejects(
      probeRegistry(target(server.url), { ...policy, allowPrivateEndpoints: false }, limits),
      (error: unknown) => error instanceof UpstreamError && error.failure === 'endpoint_not_allowed',
    );
    assert.equal(server.requests.length, 0);
  });
});

// ---- A small fake OCI registry ------------------------------------------------------------------

interface FakeRegistryOptions {
  auth: 'none' | 'basic' | 'bearer';
  repositories: string[];
  catalog?: 'open' | 'closed';
  /** For bearer: the token service URL named in the challenge. */
  realm?: string;
  apiStatus?: number;
}

const BASIC = `Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`;

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function fakeRegistry(options: FakeRegistryOptions): FixtureHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    const path = url.pathname;
    const tags = /^\/v2\/(.+)\/tags\/list$/.exec(path);
    const scope =
      path === '/v2/' ? '' : path === '/v2/_catalog' ? 'registry:catalog:*' : `repository:${tags?.[1]}:pull`;
    const authorization = req.headers.authorization ?? '';
    const authorized =
      options.auth === 'none' ||
      (options.auth === 'basic' && authorization === BASIC) ||
      (options.auth === 'bearer' && authorization.startsWith('Bearer token-for'));
    const catalogClosed = path === '/v2/_catalog' && options.catalog === 'closed';
    if (!authorized || (catalogClosed && options.auth !== 'none')) {
      const challenge =
        options.auth === 'basic'
          ? 'Basic realm="fake"'
          : `Bearer realm="${options.realm}",service="fake-registry"${scope ? `,scope="${scope}"` : ''}`;
      return json(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        {
          'www-authenticate': challenge,
        },
      );
    }
    if (path === '/v2/')
      return json(res, options.apiStatus ?? 200, {}, { 'docker-distribution-api-version': 'registry/2.0' });
    if (catalogClosed) return json(res, 404, { errors: [{ code: 'UNSUPPORTED' }] });
    if (path === '/v2/_catalog') return json(res, 200, { repositories: options.repositories });
    if (tags && options.repositories.includes(tags[1]!))
      return json(res, 200, { name: tags[1], tags: ['1.0.0'] });
    return json(res, 404, {
      errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }],
    });
  };
}

/** Token service: Basic user/PASSWORD gets a token; anonymous gets one only when `allowAnonymous`. */
function fakeTokenService(allowAnonymous: boolean): FixtureHandler {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const authorization = req.headers.authorization;
    if (authorization === undefined ? !allowAnonymous : authorization !== BASIC)
      return json(res, 401, { details: 'no' });
    json(res, 200, { token: `token-for ${url.searchParams.getAll('scope').join(' ')}`, expires_in: 300 });
  };
}

const CREDS = { username: 'user', password: PASSWORD };

describe('probeRegistry: OCI registries', () => {
  it('lists the catalog, filtered to the path prefix', async () => {
    const registry = await serve(
      fakeRegistry({ auth: 'none', repositories: ['charts/a', 'charts/b', 'other/c', 'chartsx/d'] }),
    );
    const result = await probeRegistry(target(`oci://127.0.0.1:${registry.port}/charts`), policy, limits);
    assert.deepEqual(result, { warnings: [], chartCount: 2, versionCount: null });
    assert.equal(registry.requests[1]?.url, '/v2/_catalog?n=100');
  });

  it('accepts an empty registry with a warning', async () => {
    const registry = await serve(fakeRegistry({ auth: 'none', repositories: ['other/c'] }));
    const result = await probeRegistry(target(`oci://127.0.0.1:${registry.port}/charts`), policy, limits);
    assert.deepEqual(result.warnings, ['The registry holds no chart repositories yet.']);
  });

  it('answers a Basic challenge with the credentials', async () => {
    const registry = await serve(fakeRegistry({ auth: 'basic', repositories: ['a'] }));
    const endpoint = `oci://127.0.0.1:${registry.port}`;
    assert.equal(
      (await probeRegistry(target(endpoint, { credentials: CREDS }), policy, limits)).chartCount,
      1,
    );
    await assertProbeFails(target(endpoint), 'unauthorized', /requires a username and password/);
    const error = await assertProbeFails(
      target(endpoint, { credentials: { username: 'user', password: `${PASSWORD}x` } }),
      'unauthorized',
      /credentials were rejected/,
    );
    assertNoSecret(error);
  });

  it('runs the Bearer token flow against a token service on another origin', async () => {
    const tokens = await serve({ '/token': fakeTokenService(false) });
    const registry = await serve(
      fakeRegistry({ auth: 'bearer', repositories: ['charts/a'], realm: `${tokens.url}/token` }),
    );
    const result = await probeRegistry(
      target(`oci://127.0.0.1:${registry.port}/charts`, { credentials: CREDS }),
      policy,
      limits,
    );
    assert.equal(result.chartCount, 1);
    // The credentials went to the realm the registry named, with service and scope ...
    assert.ok(tokens.requests.every((r) => r.headers.authorization === BASIC));
    const catalogToken = tokens.requests
      .map((r) => new URL(r.url, 'http://t').searchParams)
      .find((p) => p.has('scope'));
    assert.equal(catalogToken?.get('service'), 'fake-registry');
    assert.equal(catalogToken?.get('scope'), 'registry:catalog:*');
    // ... and the registry itself only ever saw bearer tokens.
    assert.ok(registry.requests.every((r) => !String(r.headers.authorization).startsWith('Basic')));
    assert.equal(registry.requests.at(-1)?.headers.authorization, 'Bearer token-for registry:catalog:*');
  });

  it('fails clearly when the token service rejects the password', async () => {
    const tokens = await serve({ '/token': fakeTokenService(false) });
    const registry = await serve(
      fakeRegistry({ auth: 'bearer', repositories: [], realm: `${tokens.url}/token` }),
    );
    const error = await assertProbeFails(
      target(`oci://127.0.0.1:${registry.port}`, { credentials: { username: 'user', password: 'nope' } }),
      'unauthorized',
      /token service .* rejected the credentials/,
    );
    assertNoSecret(error);
  });

  it('takes anonymous tokens for a public registry', async () => {
    const tokens = await serve({ '/token': fakeTokenService(true) });
    const registry = await serve(
      fakeRegistry({ auth: 'bearer', repositories: ['a'], realm: `${tokens.url}/token` }),
    );
    const result = await probeRegistry(
      target(`oci://127.0.0.1:${registry.port}`, { ociRepositories: ['a'] }),
      policy,
      limits,
    );
    assert.equal(result.chartCount, 1);
    assert.ok(tokens.requests.every((r) => r.headers.authorization === undefined));
  });

  it('explains a closed catalog and points at ociRepositories', async () => {
    const tokens = await serve({ '/token': fakeTokenService(true) });
    const bearer = await serve(
      fakeRegistry({ auth: 'bearer', repositories: ['a'], catalog: 'closed', realm: `${tokens.url}/token` }),
    );
    await assertProbeFails(
      target(`oci://127.0.0.1:${bearer.port}`),
      'unauthorized',
      /list its catalog.*ociRepositories/,
    );
    const open = await serve(fakeRegistry({ auth: 'none', repositories: ['a'], catalog: 'closed' }));
    await assertProbeFails(
      target(`oci://127.0.0.1:${open.port}`),
      'not_found',
      /list its catalog.*ociRepositories/,
    );
  });

  it('checks each listed repository under the path prefix', async () => {
    const registry = await serve(
      fakeRegistry({ auth: 'basic', repositories: ['org/charts/a', 'org/charts/b'] }),
    );
    const endpoint = `oci://127.0.0.1:${registry.port}/org/charts`;
    const result = await probeRegistry(
      target(endpoint, { credentials: CREDS, ociRepositories: ['a', 'org/charts/b'] }),
      policy,
      limits,
    );
    assert.deepEqual(result, { warnings: [], chartCount: 2, versionCount: null });
    assert.ok(registry.requests.some((r) => r.url === '/v2/org/charts/a/tags/list'));
    assert.ok(registry.requests.every((r) => r.url !== '/v2/_catalog?n=100'));
    await assertProbeFails(
      target(endpoint, { credentials: CREDS, ociRepositories: ['a', 'nope'] }),
      'not_found',
      /"org\/charts\/nope" does not exist/,
    );
  });

  it('says when the host is not an OCI registry', async () => {
    const web = await serve({ '/': sendBody('<html></html>') });
    await assertProbeFails(
      target(`oci://127.0.0.1:${web.port}`),
      'not_an_oci_registry',
      /does not serve the OCI distribution API/,
    );
  });

  it('does not send credentials to a plain-http token realm of an https registry', async () => {
    const tokens = await serve({ '/token': fakeTokenService(false) });
    const registry = await serve(
      fakeRegistry({ auth: 'bearer', repositories: ['a'], realm: `${tokens.url}/token` }),
      {
        tls: serverTlsOptions(),
      },
    );
    const probeTarget: UpstreamConnection = {
      endpoint: parseRegistryEndpoint(`oci://127.0.0.1:${registry.port}`),
      credentials: CREDS,
      passCredentials: false,
      tls: { caCert: getTlsFixtures().caCertPem, insecureSkipVerify: false },
      ociRepositories: ['a'],
    };
    await assertProbeFails(probeTarget, 'endpoint_not_allowed', /plain http/);
    assert.equal(tokens.requests.length, 0);
  });
});
