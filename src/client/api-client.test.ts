import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiClient, ApiError } from './api-client.js';

const TOKEN = 'chs_secret-token-that-must-never-show';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

describe('ApiClient', () => {
  let server: Server;
  let baseUrl: string;
  const seen: Seen[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = () => {};

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          body,
        });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const json = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };

  it('sends the bearer token, but not on login', async () => {
    seen.length = 0;
    handler = (_req, res) => json(res, 200, { token: 't', expiresAt: '2026-11-22T00:00:00Z' });
    const client = new ApiClient({ baseUrl, token: TOKEN });
    await client.login('admin', 'pw');
    handler = (_req, res) => json(res, 200, { id: '1', username: 'admin', systemRole: 'admin', tenants: [] });
    await client.me();
    assert.equal(seen[0]?.url, '/api/v1/auth/login');
    assert.equal(seen[0]?.authorization, undefined);
    assert.deepEqual(JSON.parse(seen[0]!.body), { username: 'admin', password: 'pw' });
    assert.equal(seen[1]?.authorization, `Bearer ${TOKEN}`);
  });

  it('builds scoped registry paths with encoded segments and handles 204', async () => {
    seen.length = 0;
    handler = (_req, res) => res.writeHead(204).end();
    const client = new ApiClient({ baseUrl, token: TOKEN });
    assert.equal(await client.registries.remove({ tenant: 'acme' }, 'my.charts'), undefined);
    await client.registries.remove('system', 'a/b');
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      [
        'DELETE /api/v1/tenants/acme/registries/helm/my.charts',
        'DELETE /api/v1/system/registries/helm/a%2Fb',
      ],
    );
  });

  it('follows nextCursor in listAll until the last page', async () => {
    seen.length = 0;
    handler = (req, res) => {
      const cursor = new URL(req.url ?? '/', 'http://x').searchParams.get('cursor');
      if (!cursor) json(res, 200, { items: [{ name: 'a' }], nextCursor: 'c1' });
      else if (cursor === 'c1') json(res, 200, { items: [{ name: 'b' }], nextCursor: 'c2' });
      else json(res, 200, { items: [{ name: 'c' }] });
    };
    const items = await new ApiClient({ baseUrl, token: TOKEN }).tenants.listAll();
    assert.deepEqual(
      items.map((t) => t.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/api/v1/tenants', '/api/v1/tenants?cursor=c1', '/api/v1/tenants?cursor=c2'],
    );
  });

  it('turns the SPEC error body into an ApiError', async () => {
    handler = (_req, res) =>
      json(res, 409, {
        error: {
          code: 'registry_name_taken',
          message: 'A registry named "x" already exists here: choose another name.',
          details: [{ field: 'name', message: 'taken' }],
        },
      });
    const err = await new ApiClient({ baseUrl, token: TOKEN }).registries
      .create({ tenant: 'acme' }, { name: 'x', endpoint: 'https://e.example' })
      .then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 409);
    assert.equal(err.code, 'registry_name_taken');
    assert.deepEqual(err.details, [{ field: 'name', message: 'taken' }]);
  });

  it('pushes, downloads and reads the index of a hosted registry, with its { error } answers', async () => {
    seen.length = 0;
    const types: Array<string | undefined> = [];
    const archive = new Uint8Array([0x1f, 0x8b, 0, 1, 2, 255]);
    handler = (req, res) => {
      types.push(req.headers['content-type']);
      if (req.method === 'POST') json(res, 201, { saved: true });
      else if (req.url?.endsWith('.tgz')) res.writeHead(200).end(Buffer.from(archive));
      else res.writeHead(200, { 'content-type': 'application/x-yaml' }).end('apiVersion: v1\nentries: {}\n');
    };
    const client = new ApiClient({ baseUrl, token: TOKEN });
    await client.hosted.push({ tenant: 'acme' }, archive);
    await client.hosted.push('system', archive, { force: true });
    assert.deepEqual(await client.hosted.download({ tenant: 'acme' }, 'demo', '1.0.0+b.1'), archive);
    assert.equal(await client.hosted.index({ tenant: 'acme' }), 'apiVersion: v1\nentries: {}\n');
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      [
        'POST /helm/acme/api/charts',
        'POST /helm/system/api/charts?force',
        'GET /helm/acme/charts/demo-1.0.0%2Bb.1.tgz',
        'GET /helm/acme/index.yaml',
      ],
    );
    assert.deepEqual(types.slice(0, 2), ['application/gzip', 'application/gzip']);
    assert.equal(seen[0]?.body, Buffer.from(archive).toString('utf8'));
    assert.ok(seen.every((s) => s.authorization === `Bearer ${TOKEN}`));

    handler = (_req, res) => json(res, 409, { error: 'demo 1.0.0 exists already with other content' });
    const err = await client.hosted.push({ tenant: 'acme' }, archive).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 409);
    assert.equal(err.message, 'demo 1.0.0 exists already with other content');
  });

  it("reads and changes a hosted registry's settings and deletes a version", async () => {
    seen.length = 0;
    handler = (req, res) => {
      if (req.method === 'DELETE') json(res, 200, { deleted: true });
      else json(res, 200, { tenant: 'acme', publicRead: req.method === 'PATCH' });
    };
    const client = new ApiClient({ baseUrl, token: TOKEN });
    assert.equal((await client.hosted.view('acme')).publicRead, false);
    assert.equal((await client.hosted.setPublicRead('acme', true)).publicRead, true);
    await client.hosted.deleteVersion({ tenant: 'acme' }, 'demo', '1.0.0+b');
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url} ${s.body}`),
      [
        'GET /api/v1/tenants/acme/hosted ',
        'PATCH /api/v1/tenants/acme/hosted {"publicRead":true}',
        'DELETE /helm/acme/api/charts/demo/1.0.0%2Bb ',
      ],
    );
  });

  it('explains an answer that is not the API error shape (a proxy in front)', async () => {
    handler = (_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    const err = await new ApiClient({ baseUrl, token: TOKEN }).me().catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 502);
    assert.match(err.message, /answered HTTP 502/);
    assert.doesNotMatch(err.message, new RegExp(TOKEN));
  });

  it('says which server cannot be reached, without credentials or token', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await new ApiClient({ baseUrl: `http://127.0.0.1:${port}/`, token: TOKEN })
      .me()
      .catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 0);
    assert.equal(err.code, 'server_unreachable');
    assert.match(
      err.message,
      new RegExp(`Cannot reach the server at http://127\\.0\\.0\\.1:${port}: connection refused`),
    );
    assert.doesNotMatch(err.message, /secret-token/);
  });

  it('refuses a base URL with credentials without repeating them', () => {
    assert.throws(
      () => new ApiClient({ baseUrl: 'http://user:hunter2@127.0.0.1:1/' }),
      (e: unknown) =>
        e instanceof ApiError && e.code === 'invalid_base_url' && !e.message.includes('hunter2'),
    );
  });

  it('gives up after the timeout', async () => {
    handler = () => {
      // never answers
    };
    const err = await new ApiClient({ baseUrl, token: TOKEN, timeoutMs: 100 }).me().catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'timeout');
    assert.match(err.message, /did not answer within 0\.1 s/);
  });
});
