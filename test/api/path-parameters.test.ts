import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { registeredRoutes, type RouteRecord } from '../../src/http/server.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

/*
 * Every route the server registered (read from Fastify itself, so a route added later is walked too),
 * every path parameter replaced by hostile values, every method, as the system administrator and
 * anonymously. PostgreSQL refuses NUL bytes in text, so a value that reaches a query unchecked is a 500
 * there: the suite matters most in the PostgreSQL pass.
 */

/** Values as sent on the wire (already percent-encoded where needed). */
const HOSTILE_PATH_VALUES = [
  '%00',
  'acme%00',
  'a'.repeat(5000),
  '..',
  '%2e%2e',
  'a%2Fb',
  'caf%C3%A9',
  '%F0%9F%98%80',
  'a%FFb',
  '%0A',
  '%C2%85',
];

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Query values: the same hostility, plus cursors that decode to NUL-bearing positions. */
const HOSTILE_QUERY_VALUES = [
  '%00',
  'a%00b',
  'a'.repeat(5000),
  '%FF',
  '%F0%9F%98%80',
  '%0A',
  b64([0, '\u0000']),
  b64(['2026-01-01T00:00:00.000Z\u0000', '\u0000']),
  b64(['\u0000', '\u0000', '\u0000']),
];

/** Query keys the protocol routes read without a schema (the JSON routes declare theirs; `/v2/*` below). */
const PROTOCOL_QUERY_KEYS: Array<[RegExp, string[]]> = [
  [/^\/v2\/_catalog$/, ['n', 'last']],
  [/^\/v2\/token$/, ['scope', 'service', 'account']],
  [/^\/helm\//, ['offset', 'limit', 'force']],
];

type Area = 'api' | 'helm' | 'v2' | 'other';
const areaOf = (path: string): Area =>
  path.startsWith('/api/')
    ? 'api'
    : path.startsWith('/helm/')
      ? 'helm'
      : /^\/v2(\/|$|\?)/.test(path)
        ? 'v2'
        : 'other';

interface Probe {
  method: string;
  path: string;
  token: string | null;
}

interface Answer {
  status: number;
  text: string;
}

describe(`path and query parameters are checked before any query (${TEST_DB})`, () => {
  let server: TestServer;
  let digest: string;
  let uploadId: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  before(async () => {
    server = await startTestServer();
    await createTenant(server, 'acme');
    const tgz = chartTgz('demo', '1.0.0');
    digest = `sha256:${createHash('sha256').update(tgz).digest('hex')}`;
    const pushed = await uploadChart(server.url, 'acme', tgz, basic('acme-admin'));
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
    const upload = await send({
      method: 'POST',
      path: '/v2/acme/demo/blobs/uploads/',
      token: server.adminToken,
    });
    assert.equal(upload.status, 202, upload.text);
    uploadId = /[0-9a-f-]{36}/.exec(upload.location ?? '')?.[0] ?? '';
    assert.notEqual(uploadId, '');
  });
  after(async () => {
    agent.destroy();
    await server.close();
  });

  /** A raw request: node:http sends the path byte for byte (fetch would resolve `..` and `%2e%2e`). */
  function send(probe: Probe): Promise<Answer & { location: string | undefined }> {
    const { port } = new URL(server.url);
    const body = ['POST', 'PUT', 'PATCH'].includes(probe.method) ? '{}' : undefined;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          agent,
          method: probe.method,
          path: probe.path,
          headers: {
            ...(probe.token ? { authorization: `Bearer ${probe.token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': '2' }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              location: res.headers.location,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** What is wrong with an answer: a 5xx, or an error body that is not its area's shape. */
  function problem(probe: Probe, answer: Answer): string | null {
    if (answer.status >= 500) return 'a server error';
    if (answer.status < 400 || probe.method === 'HEAD') return null;
    const area = areaOf(probe.path);
    if (area === 'other') return null;
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return 'an error body that is not JSON';
    }
    const b = body as { error?: { code?: unknown; message?: unknown } | string; errors?: unknown };
    switch (area) {
      case 'api':
        return typeof b.error === 'object' &&
          typeof b.error.code === 'string' &&
          typeof b.error.message === 'string'
          ? null
          : 'not the JSON API error shape';
      case 'helm':
        return typeof b.error === 'string' ? null : "not ChartMuseum's error shape";
      case 'v2': {
        const first = Array.isArray(b.errors) ? (b.errors[0] as { code?: unknown } | undefined) : undefined;
        return typeof first?.code === 'string' ? null : "not the distribution spec's error shape";
      }
    }
  }

  /** Sends every probe, at most 16 at a time, and lists what went wrong. */
  async function walk(probes: Probe[]): Promise<string[]> {
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < probes.length) {
        const probe = probes[next++]!;
        const answer = await send(probe);
        const wrong = problem(probe, answer);
        if (wrong !== null) {
          failures.push(
            `${probe.token ? 'admin' : 'anonymous'} ${probe.method} ${probe.path.slice(0, 140)} → ` +
              `${answer.status} ${answer.text.slice(0, 160)} (${wrong})`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return failures;
  }

  const report = (failures: string[], total: number): string =>
    `${failures.length} of ${total} probes failed, e.g.:\n${failures.slice(0, 30).join('\n')}`;

  /** A valid value for each path parameter, so the hostile one is the only thing wrong. */
  function validValue(param: string, url: string): string {
    const helm = url.startsWith('/helm/');
    const values: Record<string, string> = {
      t: 'acme',
      name: helm ? 'demo' : 'hosted',
      chart: 'demo',
      version: '1.0.0',
      file: 'demo-1.0.0.tgz',
    };
    return values[param] ?? 'x';
  }

  /**
   * Concrete paths of a route, each as a list of segments, with the indexes a hostile value may take.
   * Wildcards get realistic paths: every endpoint form of `/v2/*`, a single segment elsewhere.
   */
  function shapes(route: RouteRecord): Array<{ segments: string[]; slots: number[]; query: string[] }> {
    const template = route.url.split('/');
    if (route.url === '/v2/*') {
      // Each endpoint form, the positions to vary (the name in a few forms only: its check is the
      // same in all) and the query keys the form reads.
      const forms = [
        { path: ['acme', 'demo', 'tags', 'list'], vary: [0, 1], query: ['n', 'last'] },
        { path: ['acme', 'demo', 'manifests', '1.0.0'], vary: [0, 1, 3], query: [] },
        { path: ['acme', 'demo', 'manifests', digest], vary: [3], query: [] },
        { path: ['acme', 'demo', 'blobs', digest], vary: [0, 3], query: [] },
        { path: ['acme', 'demo', 'blobs', 'uploads', ''], vary: [1], query: ['digest', 'mount', 'from'] },
        { path: ['acme', 'demo', 'blobs', 'uploads', uploadId], vary: [4], query: ['digest'] },
      ];
      return forms.map((form) => ({
        segments: ['', 'v2', ...form.path],
        slots: form.vary.map((i) => i + 2),
        query: form.query,
      }));
    }
    const segments = template.map((s) =>
      s.startsWith(':') ? validValue(s.slice(1), route.url) : s === '*' ? 'x' : s,
    );
    const slots = template.flatMap((s, i) => (s.startsWith(':') || s === '*' ? [i] : []));
    const query = new Set(route.query);
    for (const [pattern, keys] of PROTOCOL_QUERY_KEYS)
      if (pattern.test(route.url)) keys.forEach((k) => query.add(k));
    return [{ segments, slots, query: [...query] }];
  }

  function routesToWalk(): RouteRecord[] {
    const routes = registeredRoutes(server.app.http).filter((r) => !r.methods.includes('OPTIONS'));
    // The not-found handlers answer every other path of each area.
    const notFound = ['/api/v1/*', '/helm/*', '/helm/acme/*', '/*'].map((url) => ({
      methods: ['GET', 'POST'],
      url,
      query: [],
    }));
    return [...routes, ...notFound];
  }

  /** Non-DELETE probes first: a DELETE that succeeds must not change what the others see. */
  const deletesLast = (probes: Probe[]): Probe[] => [
    ...probes.filter((p) => p.method !== 'DELETE'),
    ...probes.filter((p) => p.method === 'DELETE'),
  ];

  it('walks every registered route with hostile path parameters: no 5xx, the area error shape', async () => {
    const routes = routesToWalk();
    assert.ok(
      routes.some(
        (r) => r.url === '/api/v1/tenants/:t/registries/helm/:name/charts/:chart/versions/:version',
      ),
    );
    assert.ok(routes.some((r) => r.url === '/helm/:t/api/charts/:name/:version'));
    assert.ok(routes.some((r) => r.url === '/v2/*'));
    const probes: Probe[] = [];
    for (const route of routes) {
      for (const { segments, slots } of shapes(route)) {
        for (const slot of slots) {
          for (const value of HOSTILE_PATH_VALUES) {
            const path = segments.map((s, i) => (i === slot ? value : s)).join('/');
            for (const method of route.methods) {
              for (const token of [server.adminToken, null]) probes.push({ method, path, token });
            }
          }
        }
      }
    }
    const failures = await walk(deletesLast(probes));
    assert.equal(failures.length, 0, report(failures, probes.length));
  });

  it('walks every query parameter a route reads with hostile values: no 5xx, the area error shape', async () => {
    const probes: Probe[] = [];
    for (const route of routesToWalk()) {
      for (const { segments, query: keys } of shapes(route)) {
        const path = segments.join('/');
        for (const key of keys) {
          const values = [...HOSTILE_QUERY_VALUES.map((v) => `${key}=${v}`), `${key}=a&${key}=b`];
          for (const query of values) {
            // A DELETE with valid parameters would remove the fixtures: only routes that declare their
            // query (and then refuse a bad one before acting) are probed with it.
            const methods =
              route.query.length > 0 ? route.methods : route.methods.filter((m) => m !== 'DELETE');
            for (const method of methods) {
              for (const token of [server.adminToken, null])
                probes.push({ method, path: `${path}?${query}`, token });
            }
          }
        }
      }
    }
    const failures = await walk(deletesLast(probes));
    assert.equal(failures.length, 0, report(failures, probes.length));
  });

  it('answers the precise cases in each protocol area', async () => {
    const helm = await send({ method: 'GET', path: '/helm/acme%00/index.yaml', token: null });
    assert.equal(helm.status, 404, helm.text);
    assert.equal(typeof (JSON.parse(helm.text) as { error: unknown }).error, 'string');

    const oci = await send({ method: 'GET', path: '/v2/acme%00/x/tags/list', token: server.adminToken });
    assert.equal(oci.status, 400, oci.text);
    assert.equal(
      (JSON.parse(oci.text) as { errors: Array<{ code: string }> }).errors[0]?.code,
      'NAME_INVALID',
    );

    const api = await send({
      method: 'GET',
      path: '/api/v1/tenants/acme%00/registries/helm',
      token: server.adminToken,
    });
    assert.equal(api.status, 404, api.text);
    assert.equal((JSON.parse(api.text) as { error: { code: string } }).error.code, 'not_found');

    // The same answer as for a tenant that could exist but does not: tenants cannot be told apart.
    const unknown = await send({
      method: 'GET',
      path: '/api/v1/tenants/nope/registries/helm',
      token: server.adminToken,
    });
    assert.equal(unknown.status, 404);

    const cursor = await send({
      method: 'GET',
      path: '/api/v1/tenants?cursor=a%00',
      token: server.adminToken,
    });
    assert.equal(cursor.status, 400, cursor.text);
    const q = await send({
      method: 'GET',
      path: '/api/v1/tenants/acme/charts?q=a%00',
      token: server.adminToken,
    });
    assert.equal(q.status, 400, q.text);

    const ociTag = await send({
      method: 'GET',
      path: '/v2/acme/demo/manifests/1.0%00',
      token: server.adminToken,
    });
    assert.equal(ociTag.status, 400, ociTag.text);
    assert.equal(
      (JSON.parse(ociTag.text) as { errors: Array<{ code: string }> }).errors[0]?.code,
      'TAG_INVALID',
    );
    const ociDigest = await send({
      method: 'GET',
      path: '/v2/acme/demo/blobs/sha256:%00',
      token: server.adminToken,
    });
    assert.equal(
      (JSON.parse(ociDigest.text) as { errors: Array<{ code: string }> }).errors[0]?.code,
      'DIGEST_INVALID',
    );
    const ociUpload = await send({
      method: 'GET',
      path: '/v2/acme/demo/blobs/uploads/x%00',
      token: server.adminToken,
    });
    assert.equal(ociUpload.status, 404, ociUpload.text);
    assert.equal(
      (JSON.parse(ociUpload.text) as { errors: Array<{ code: string }> }).errors[0]?.code,
      'BLOB_UPLOAD_UNKNOWN',
    );
  });

  it('never looks up a NUL that arrives in a token scope, a form or credentials', async () => {
    const scope = await send({
      method: 'GET',
      path: '/v2/token?scope=repository:acme%00/demo:pull',
      token: server.adminToken,
    });
    assert.equal(scope.status, 400, scope.text);
    assert.equal(
      (JSON.parse(scope.text) as { errors: Array<{ code: string }> }).errors[0]?.code,
      'UNSUPPORTED',
    );

    // The OAuth2 form is a body, which the edge does not read: the slug and the username are
    // checked where they are used.
    const form = await fetch(`${server.url}/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: 'acme-admin',
        password: 'acme-admin-password',
        scope: 'repository:acme\u0000/demo:pull',
      }),
    });
    assert.equal(form.status, 200, await form.text());
    const nulUser = await fetch(`${server.url}/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'a\u0000', password: 'x' }),
    });
    assert.equal(nulUser.status, 401, await nulUser.text());

    const login = await server.api('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'admin\u0000', password: 'x' },
    });
    assert.equal(login.status, 401, JSON.stringify(login.body));
    const helm = await fetch(`${server.url}/helm/acme/index.yaml`, {
      headers: { authorization: `Basic ${Buffer.from('acme\u0000:x').toString('base64')}` },
    });
    assert.equal(helm.status, 401, await helm.text());
  });

  it('logged no unexpected error while walking', () => {
    const unexpected = server.logLines.filter(
      (l) => l.includes('unexpected error') || l.includes('"level":50'),
    );
    assert.deepEqual(unexpected.slice(0, 5), []);
  });
});
