import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { AppError, InvalidRequestError, UpstreamError } from '../shared/errors.js';
import type { UpstreamFailure } from '../shared/errors.js';
import {
  endlessBody,
  endlessEmptyGzip,
  gzipBomb,
  lyingContentLength,
  redirectTo,
  sendBody,
  serveFile,
  slowBody,
  fixtureServerPool,
  startFixtureServer,
  withBasicAuth,
} from '../../test/support/fixture-servers.js';
import type { FixtureServer } from '../../test/support/fixture-servers.js';
import { getTlsFixtures, serverTlsOptions } from '../../test/support/tls-fixtures.js';
import {
  closeUpstreamDispatchers,
  createUpstreamPolicy,
  failForStatus,
  openUpstream,
  upstreamFetch,
} from './http-client.js';
import type { UpstreamPolicy, UpstreamRequestOptions } from './http-client.js';

// The corpus sits beside the repository (../shared), wherever the clone lives.
const KONG_INDEX = new URL('../../../shared/corpus/index/kong-charts-index.yaml', import.meta.url).pathname;
const MiB = 1024 * 1024;
const PASSWORD = 's3cr3t-Pa55word';
const allowing: UpstreamPolicy = createUpstreamPolicy({
  userAgent: 'Charthouse/test',
  allowPrivateEndpoints: true,
  timeoutMs: 5000,
  idleTimeoutMs: 2000,
});
const strict: UpstreamPolicy = { ...allowing, allowPrivateEndpoints: false };

function options(overrides: Partial<UpstreamRequestOptions> = {}): UpstreamRequestOptions {
  return {
    credentialOrigin: 'http://127.0.0.1:1',
    passCredentials: false,
    tls: { insecureSkipVerify: false },
    policy: allowing,
    maxBytes: MiB,
    ...overrides,
  };
}

async function assertUpstreamError(
  promise: Promise<unknown>,
  failure: UpstreamFailure,
  pattern: RegExp = /./,
): Promise<UpstreamError> {
  let caught: unknown;
  await promise.catch((error: unknown) => {
    caught = error;
  });
  assert.ok(caught instanceof UpstreamError, `expected UpstreamError(${failure}), got ${String(caught)}`);
  assert.equal(caught.failure, failure, caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

const { serve, closeAll } = fixtureServerPool();

after(async () => {
  await closeAll();
  await closeUpstreamDispatchers();
});

describe('upstreamFetch basics', () => {
  it('fetches a corpus index and sends our User-Agent', async () => {
    const server = await serve({ '/index.yaml': serveFile(KONG_INDEX) });
    const response = await upstreamFetch(new URL(`${server.url}/index.yaml`), options());
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, readFileSync(KONG_INDEX));
    assert.equal(response.finalUrl.href, `${server.url}/index.yaml`);
    assert.equal(server.requests[0]?.headers['user-agent'], 'Charthouse/test');
  });

  it('returns non-2xx statuses to the caller, and HEAD without a body', async () => {
    const server = await serve({ '/gone': sendBody('nope', { status: 410 }) });
    assert.equal((await upstreamFetch(new URL(`${server.url}/gone`), options())).status, 410);
    const head = await upstreamFetch(new URL(`${server.url}/gone`), options({ method: 'HEAD' }));
    assert.equal(head.body.length, 0);
    assert.equal(server.requests[1]?.method, 'HEAD');
  });

  it('decodes gzip and can hand back raw bytes instead', async () => {
    const raw = readFileSync(KONG_INDEX);
    const gzipped = gzipSync(raw);
    const server = await serve({
      '/index.yaml': sendBody(gzipped, { headers: { 'content-encoding': 'gzip' } }),
    });
    const decoded = await upstreamFetch(new URL(`${server.url}/index.yaml`), options());
    assert.deepEqual(decoded.body, raw);
    assert.match(String(server.requests[0]?.headers['accept-encoding']), /gzip/);
    const asServed = await upstreamFetch(
      new URL(`${server.url}/index.yaml`),
      options({ decodeContentEncoding: false }),
    );
    assert.deepEqual(asServed.body, gzipped);
  });

  it('streams the body with openUpstream', async () => {
    const server = await serve({ '/x': sendBody('hello') });
    const opened = await openUpstream(new URL(`${server.url}/x`), options());
    const chunks: Buffer[] = [];
    for await (const chunk of opened.body) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'hello');
  });

  it('lets go of the connection at once when the caller destroys an unread body', async () => {
    // A 404 whose body never ends: only the client closing the connection ends the exchange.
    let closed!: Promise<void>;
    const server = await serve({
      '/missing': (_req, res) => {
        closed = new Promise((resolve) => res.once('close', () => resolve()));
        res.writeHead(404);
        res.write('not here');
      },
    });
    // The deadline is long: before the fix, the socket and the deadline timer lived until it fired.
    const opened = await openUpstream(
      new URL(`${server.url}/missing`),
      options({ policy: { ...allowing, timeoutMs: 600_000, idleTimeoutMs: 600_000 } }),
    );
    assert.equal(opened.status, 404);
    opened.body.destroy();
    await closed;
    // A complete but unread body: destroying it is no error for anyone (undici would emit one).
    const complete = await serve({ '/gone': sendBody('gone', { status: 404 }) });
    const gone = await openUpstream(new URL(`${complete.url}/gone`), options());
    gone.body.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('throws the caller abort reason as is', async () => {
    const server = await serve({ '/slow': slowBody(50) });
    const controller = new AbortController();
    const reason = new Error('sync cancelled');
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(
      upstreamFetch(new URL(`${server.url}/slow`), options({ signal: controller.signal })),
      reason,
    );
  });
});

describe('credentials', () => {
  const basic = `Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`;

  it('sends Basic credentials to the registry origin', async () => {
    const server = await serve({ '/index.yaml': withBasicAuth('user', PASSWORD, sendBody('ok')) });
    const response = await upstreamFetch(
      new URL(`${server.url}/index.yaml`),
      options({ credentials: { username: 'user', password: PASSWORD }, credentialOrigin: server.url }),
    );
    assert.equal(response.status, 200);
    assert.equal(server.requests[0]?.headers.authorization, basic);
  });

  it('does not send them to another origin, nor let extra headers smuggle them', async () => {
    const server = await serve({ '/x': sendBody('ok') });
    await upstreamFetch(
      new URL(`${server.url}/x`),
      options({
        credentials: { username: 'user', password: PASSWORD },
        headers: { Authorization: basic, Cookie: 'a=b' },
        credentialOrigin: 'http://127.0.0.1:1',
      }),
    );
    assert.equal(server.requests[0]?.headers.authorization, undefined);
    assert.equal(server.requests[0]?.headers.cookie, undefined);
  });

  it('drops them on a redirect to another origin (the other server receives none)', async () => {
    const other = await serve({ '/charts/index.yaml': sendBody('ok') });
    const registry = await serve({ '/index.yaml': redirectTo(`${other.url}/charts/index.yaml`) });
    const creds = { username: 'user', password: PASSWORD };
    const response = await upstreamFetch(
      new URL(`${registry.url}/index.yaml`),
      options({ credentials: creds, credentialOrigin: registry.url }),
    );
    assert.equal(response.status, 200);
    assert.equal(response.finalUrl.href, `${other.url}/charts/index.yaml`);
    assert.equal(registry.requests[0]?.headers.authorization, basic);
    assert.equal(other.requests[0]?.headers.authorization, undefined);

    await upstreamFetch(
      new URL(`${registry.url}/index.yaml`),
      options({ bearerToken: 'tok', credentialOrigin: registry.url }),
    );
    assert.equal(registry.requests[1]?.headers.authorization, 'Bearer tok');
    assert.equal(other.requests[1]?.headers.authorization, undefined);
  });

  it('carries them across origins with passCredentials', async () => {
    const other = await serve({ '/x': sendBody('ok') });
    const registry = await serve({ '/index.yaml': redirectTo(`${other.url}/x`) });
    await upstreamFetch(
      new URL(`${registry.url}/index.yaml`),
      options({
        credentials: { username: 'user', password: PASSWORD },
        credentialOrigin: registry.url,
        passCredentials: true,
      }),
    );
    assert.equal(other.requests[0]?.headers.authorization, basic);
  });

  it('keeps them on a relative same-origin redirect', async () => {
    const registry = await serve({
      '/old/index.yaml': redirectTo('../new/index.yaml', 301),
      '/new/index.yaml': sendBody('ok'),
    });
    const response = await upstreamFetch(
      new URL(`${registry.url}/old/index.yaml`),
      options({
        credentials: { username: 'user', password: PASSWORD },
        credentialOrigin: `${registry.url}/`,
      }),
    );
    assert.equal(response.finalUrl.pathname, '/new/index.yaml');
    assert.equal(registry.requests[1]?.headers.authorization, basic);
  });
});

describe('redirects', () => {
  const hops = (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const n = Number(url.pathname.split('/')[2]);
    return `/hop/${n + 1}?to=${url.searchParams.get('to')}`;
  };

  it(`follows at most maxRedirects (5)`, async () => {
    const server = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const n = Number(url.pathname.split('/')[2]);
      if (n < Number(url.searchParams.get('to'))) return redirectTo(hops)(req, res);
      res.end('arrived');
    });
    const five = await upstreamFetch(new URL(`${server.url}/hop/0?to=5`), options());
    assert.equal(five.body.toString(), 'arrived');
    await assertUpstreamError(
      upstreamFetch(new URL(`${server.url}/hop/0?to=6`), options()),
      'redirect',
      /more than 5 times/,
    );
  });

  it('refuses an https → http downgrade', async () => {
    const plain = await serve({ '/index.yaml': sendBody('ok') });
    const secure = await serve(
      { '/index.yaml': redirectTo(`${plain.url}/index.yaml`) },
      { tls: serverTlsOptions() },
    );
    const tls = { caCert: getTlsFixtures().caCertPem, insecureSkipVerify: false };
    await assertUpstreamError(
      upstreamFetch(new URL(`${secure.url}/index.yaml`), options({ tls })),
      'redirect',
      /https to plain http/,
    );
    assert.equal(plain.requests.length, 0);
  });

  it('re-checks the address policy on every hop', async () => {
    const server = await serve({ '/x': redirectTo('http://169.254.169.254/latest/meta-data/') });
    await assertUpstreamError(
      upstreamFetch(new URL(`${server.url}/x`), options()),
      'endpoint_not_allowed',
      /metadata/,
    );
  });
});

describe('SSRF policy', () => {
  let server: FixtureServer;
  before(async () => {
    server = await serve({ '/': sendBody('secret internal page') });
  });

  it('refuses loopback in every spelling, and localhost through the DNS lookup', async () => {
    const port = server.port;
    const urls = [
      `http://127.0.0.1:${port}/`,
      `http://0x7f000001:${port}/`,
      `http://2130706433:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://localhost:${port}/`,
    ];
    for (const url of urls) {
      const error = await assertUpstreamError(
        upstreamFetch(new URL(url), options({ policy: strict })),
        'endpoint_not_allowed',
        /^(?=.*loopback address)(?=.*CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS=true)(?=.*mark the registry Protected)/s,
      );
      if (url.includes('localhost')) assert.match(error.message, /The host localhost resolves to/);
    }
    assert.equal(server.requests.length, 0);
  });

  it('refuses metadata addresses and names even when private endpoints are allowed', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/computeMetadata/v1/',
    ]) {
      await assertUpstreamError(upstreamFetch(new URL(url), options()), 'endpoint_not_allowed', /metadata/);
    }
  });

  it('connects to loopback when allowed', async () => {
    const response = await upstreamFetch(new URL(`http://localhost:${server.port}/`), options());
    assert.equal(response.status, 200);
  });
});

describe('limits', () => {
  it('stops an endless body at maxBytes, quickly', { timeout: 10_000 }, async () => {
    const server = await serve({ '/index.yaml': endlessBody() });
    const started = Date.now();
    await assertUpstreamError(
      upstreamFetch(new URL(`${server.url}/index.yaml`), options()),
      'too_large',
      /1048576 bytes/,
    );
    assert.ok(Date.now() - started < 2000);
  });

  it('fails at once on a Content-Length over the limit', { timeout: 10_000 }, async () => {
    const server = await serve({
      '/big': sendBody(Buffer.alloc(MiB + 1)),
      '/lying': lyingContentLength(MiB + 1),
    });
    const started = Date.now();
    await assertUpstreamError(upstreamFetch(new URL(`${server.url}/lying`), options()), 'too_large');
    assert.ok(Date.now() - started < 1000);
    await assertUpstreamError(upstreamFetch(new URL(`${server.url}/big`), options()), 'too_large');
    const ok = await upstreamFetch(new URL(`${server.url}/big`), options({ maxBytes: MiB + 1 }));
    assert.equal(ok.body.length, MiB + 1);
  });

  it('stops a gzip bomb on its decompressed size', { timeout: 10_000 }, async () => {
    const server = await serve({ '/index.yaml': gzipBomb(64) });
    const started = Date.now();
    await assertUpstreamError(upstreamFetch(new URL(`${server.url}/index.yaml`), options()), 'too_large');
    assert.ok(Date.now() - started < 2000);
  });

  it(
    'counts compressed bytes too: an endless stream of empty gzip members',
    { timeout: 10_000 },
    async () => {
      const server = await serve({ '/index.yaml': endlessEmptyGzip() });
      await assertUpstreamError(upstreamFetch(new URL(`${server.url}/index.yaml`), options()), 'too_large');
    },
  );

  it('fails a 1-byte-per-second body at the total deadline', { timeout: 10_000 }, async () => {
    const server = await serve({ '/index.yaml': slowBody(1000) });
    const policy = { ...allowing, timeoutMs: 1500, idleTimeoutMs: 15_000 };
    const started = Date.now();
    await assertUpstreamError(
      upstreamFetch(new URL(`${server.url}/index.yaml`), options({ policy })),
      'timeout',
      /within 1500 ms/,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1400 && elapsed < 3000, `took ${elapsed} ms`);
  });

  it('fails when headers never come, at the idle timeout', { timeout: 10_000 }, async () => {
    const server = await serve(() => undefined);
    const policy = { ...allowing, idleTimeoutMs: 300 };
    await assertUpstreamError(
      upstreamFetch(new URL(`${server.url}/`), options({ policy })),
      'timeout',
      /did not answer within 300 ms/,
    );
  });
});

describe('connection failures', () => {
  it('maps a refused connection', async () => {
    const server = await startFixtureServer(sendBody('x'));
    await server.close();
    await assertUpstreamError(
      upstreamFetch(new URL(`${server.url}/`), options()),
      'refused',
      /refused the connection/,
    );
  });

  it('maps an unknown host', async () => {
    await assertUpstreamError(
      upstreamFetch(new URL('http://no-such-host.invalid/index.yaml'), options()),
      'dns',
      /could not resolve host no-such-host\.invalid/i,
    );
  });

  it('keeps query strings and credentials out of messages', async () => {
    const error = await assertUpstreamError(
      upstreamFetch(
        new URL('http://no-such-host.invalid/index.yaml?token=qs-secret'),
        options({
          credentials: { username: 'user', password: PASSWORD },
          credentialOrigin: 'http://no-such-host.invalid',
        }),
      ),
      'dns',
    );
    assert.doesNotMatch(
      JSON.stringify({ ...error, message: error.message, stack: error.stack }),
      /qs-secret|s3cr3t/,
    );
  });
});

describe('TLS', () => {
  let server: FixtureServer;
  before(async () => {
    server = await serve({ '/index.yaml': serveFile(KONG_INDEX) }, { tls: serverTlsOptions() });
  });
  const url = () => new URL(`${server.url}/index.yaml`);

  it('fails on a private CA without caCert, pointing at the options', async () => {
    await assertUpstreamError(upstreamFetch(url(), options()), 'tls', /tls\.caCert.*insecureSkipVerify/s);
  });

  it('passes with the CA certificate, then still fails without it (no leak between registries)', async () => {
    const withCa = await upstreamFetch(
      url(),
      options({ tls: { caCert: getTlsFixtures().caCertPem, insecureSkipVerify: false } }),
    );
    assert.equal(withCa.status, 200);
    await assertUpstreamError(upstreamFetch(url(), options()), 'tls');
    await assertUpstreamError(
      upstreamFetch(
        url(),
        options({ tls: { caCert: getTlsFixtures().otherCaCertPem, insecureSkipVerify: false } }),
      ),
      'tls',
    );
  });

  it('passes with insecureSkipVerify', async () => {
    const response = await upstreamFetch(url(), options({ tls: { insecureSkipVerify: true } }));
    assert.equal(response.status, 200);
  });

  it('rejects a CA that is not PEM, on field tls.caCert', async () => {
    for (const caCert of [
      'not a certificate',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
    ]) {
      await assert.rejects(
        upstreamFetch(url(), options({ tls: { caCert, insecureSkipVerify: false } })),
        (error: unknown) => {
          assert.ok(error instanceof InvalidRequestError);
          assert.equal(error.details?.[0]?.field, 'tls.caCert');
          return true;
        },
      );
    }
  });
});

describe('failForStatus', () => {
  const url = new URL('https://h.example/r/index.yaml?sig=secret');
  const cases: [number, UpstreamFailure, RegExp][] = [
    [401, 'unauthorized', /credentials were rejected/],
    [403, 'forbidden', /403/],
    [404, 'not_found', /404/],
    [500, 'bad_status', /HTTP 500/],
  ];
  for (const [status, failure, pattern] of cases) {
    it(`${status} → ${failure}`, () => {
      assert.throws(
        () => failForStatus(status, url, 'the repository index'),
        (error: unknown) => {
          assert.ok(error instanceof AppError && error instanceof UpstreamError);
          assert.equal(error.failure, failure);
          assert.match(error.message, pattern);
          assert.match(error.message, /https:\/\/h\.example\/r\/index\.yaml/);
          assert.doesNotMatch(error.message, /secret/);
          return true;
        },
      );
    });
  }
});
