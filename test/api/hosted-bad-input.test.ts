import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { createTar, createTgz, type TarEntry } from '../support/chart-archive.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

const member = basic('acme-member');

/** Chart.yaml plus the given entries, under `demo/`. */
const withEntries = (...extra: TarEntry[]): Buffer =>
  createTgz([{ path: 'demo/Chart.yaml', content: 'apiVersion: v2\nname: demo\nversion: 1.0.0\n' }, ...extra]);

describe(`hosted registry: hostile uploads are refused and store nothing (${TEST_DB})`, () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await createTenant(server, 'acme');
  });
  after(() => server.close());

  async function charts(): Promise<string[]> {
    const res = await fetch(`${server.url}/helm/acme/index.yaml`, { headers: { authorization: member } });
    const doc = yaml.load(await res.text()) as { entries: Record<string, unknown> };
    return Object.keys(doc.entries);
  }

  async function refused(tgz: Buffer, pattern: RegExp, status = 400): Promise<void> {
    const res = await uploadChart(server.url, 'acme', tgz, member);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.match((res.body as { error: string }).error, pattern);
    assert.deepEqual(await charts(), [], 'nothing was stored');
  }

  it('refuses archives that break the layout rules', async () => {
    await refused(withEntries({ path: 'demo/../../etc/passwd', content: 'x' }), /"\.\."/);
    await refused(withEntries({ path: '/etc/passwd', content: 'x' }), /absolute path/);
    await refused(withEntries({ path: 'demo/link', type: 'symlink', linkname: '/etc/passwd' }), /symlink/);
    await refused(withEntries({ path: 'demo/hard', type: 'hardlink', linkname: 'demo/Chart.yaml' }), /link/);
    await refused(
      withEntries({ path: 'other/values.yaml', content: 'a: 1\n' }),
      /more than one top-level folder/,
    );
    await refused(createTgz([{ path: 'demo/values.yaml', content: 'a: 1\n' }]), /Chart\.yaml is missing/);
    await refused(Buffer.from('not a gzip file at all'), /not a readable gzip/);
    await refused(
      gzipSync(Buffer.from('not a tar archive, just text that is long enough to matter '.repeat(20))),
      /tar/,
    );
  });

  it('refuses Chart.yaml files without a valid name or a SemVer 2 version', async () => {
    await refused(
      createTgz([{ path: 'demo/Chart.yaml', content: 'apiVersion: v2\nname: demo\nversion: v1.0\n' }]),
      /SemVer/,
    );
    await refused(
      createTgz([{ path: 'demo/Chart.yaml', content: 'apiVersion: v2\nname: demo\n' }]),
      /version/,
    );
    await refused(
      createTgz([
        { path: 'demo/Chart.yaml', content: 'apiVersion: v2\nname: "bad name!"\nversion: 1.0.0\n' },
      ]),
      /name/,
    );
    await refused(createTgz([{ path: 'demo/Chart.yaml', content: 'a: &a [*a]\n' }]), /Chart\.yaml/);
  });

  it('stops a gzip bomb at the expanded-size limit', async () => {
    // 200 MiB of zeros in a single tar entry header-less stream compresses to about 200 KB.
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < 1024 * 1024);
    await refused(bomb, /expands to more than|larger than the limit|tar/);
  });

  it('stops a tar bomb of 100,000 entries at the entry limit', async () => {
    const entries: TarEntry[] = [
      { path: 'demo/Chart.yaml', content: 'apiVersion: v2\nname: demo\nversion: 1.0.0\n' },
    ];
    for (let i = 0; i < 100_000; i++) entries.push({ path: `demo/templates/f${i}.yaml`, content: '' });
    const tgz = gzipSync(createTar(entries), { level: 9 });
    await refused(tgz, /more than 1000 entries/);
  });

  it('refuses a file over 5 MiB inside the archive', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 'a');
    await refused(withEntries({ path: 'demo/big.txt', content: big }), /limit of 5242880 bytes per file/);
  });

  it('refuses a body declared as 2 GB at once, without reading it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/helm/acme/api/charts`,
        {
          method: 'POST',
          headers: {
            authorization: member,
            'content-type': 'application/gzip',
            'content-length': String(2 * 1024 * 1024 * 1024),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.write(Buffer.alloc(64 * 1024));
    });
    assert.equal(status, 413);
  });

  it('refuses a chunked body once it passes the limit, without reading the rest', async () => {
    let sent = 0;
    const total = 2 * 1024 * 1024 * 1024;
    const chunk = new Uint8Array(1024 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${server.url}/helm/acme/api/charts`, {
      method: 'POST',
      headers: { authorization: member, 'content-type': 'application/gzip' },
      body,
      duplex: 'half',
    } as RequestInit).catch((err: unknown) => err as Error);
    if (res instanceof Error) {
      // The server may close the socket before fetch reads the 413; either way it stopped reading.
      assert.ok(sent < 100 * 1024 * 1024, `the server read ${sent} bytes`);
    } else {
      assert.equal(res.status, 413);
      assert.ok(sent < 100 * 1024 * 1024, `the server read ${sent} bytes`);
    }
    assert.deepEqual(await charts(), []);
  });

  it('lets exactly one of several concurrent pushes of one version win', async () => {
    const variants = Array.from({ length: 8 }, (_, i) =>
      chartTgz('race', '1.0.0', { path: 'race/README.md', content: `variant ${i}\n` }),
    );
    const results = await Promise.all(variants.map((tgz) => uploadChart(server.url, 'acme', tgz, member)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    assert.deepEqual(await charts(), ['race']);
  });
});

describe(`hosted registry: failed Basic sign-ins are limited like logins (${TEST_DB})`, () => {
  let server: TestServer;
  let memberToken: string;
  before(async () => {
    server = await startTestServer({ CHARTHOUSE_LOGIN_RATE_LIMIT: '3' });
    memberToken = (await createTenant(server, 'acme')).memberToken;
  });
  after(() => server.close());

  it('answers 429 with Retry-After once a client has failed too often, on /helm and /v2 alike', async () => {
    const wrong = basic('acme-member', 'not-the-password');
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/helm/acme/index.yaml`, { headers: { authorization: wrong } });
      assert.equal(res.status, 401);
    }
    const limited = await fetch(`${server.url}/v2/`, { headers: { authorization: member } });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(
      ((await limited.json()) as { errors: Array<{ code: string }> }).errors[0]?.code,
      'TOOMANYREQUESTS',
    );
    // Bearer tokens are not password checks: the console and CLI keep working.
    const bearer = await fetch(`${server.url}/helm/acme/index.yaml`, {
      headers: { authorization: `Bearer ${memberToken}` },
    });
    assert.equal(bearer.status, 200);
  });
});

describe(`hosted registry: OCI blobs past the limit are refused without buffering (${TEST_DB})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await createTenant(server, 'acme');
  });
  after(() => server.close());

  /** Sends headers and a first piece of a body that would be `declared` bytes long; resolves on the answer. */
  function declared(method: string, path: string, bytes: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${server.url}${path}`,
        {
          method,
          headers: {
            authorization: member,
            'content-type': 'application/octet-stream',
            'content-length': String(bytes),
          },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString('utf8')));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body });
            req.destroy();
          });
        },
      );
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.write(Buffer.alloc(64 * 1024));
    });
  }

  it('answers a 2 GB monolithic blob upload with 413 SIZE_INVALID before reading it', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const res = await declared('POST', `/v2/acme/big/blobs/uploads/?digest=${digest}`, 2 * 1024 ** 3);
    assert.equal(res.status, 413);
    assert.equal(
      (JSON.parse(res.body) as { errors: Array<{ code: string }> }).errors[0]?.code,
      'SIZE_INVALID',
    );
    const head = await fetch(`${server.url}/v2/acme/big/blobs/${digest}`, {
      method: 'HEAD',
      headers: { authorization: member },
    });
    assert.equal(head.status, 404);
  });

  it('stops a chunked upload that grows past the limit', async () => {
    const start = await fetch(`${server.url}/v2/acme/big/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: member },
    });
    assert.equal(start.status, 202);
    const location = start.headers.get('location')!;
    const res = await declared('PATCH', location, 2 * 1024 ** 3);
    assert.equal(res.status, 413);
    const status = await fetch(`${server.url}${location}`, { headers: { authorization: member } });
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-0', 'nothing was appended');
  });
});
