import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { fixtureServerPool } from '../../test/support/fixture-servers.js';
import { parseRegistryEndpoint } from '../protocol/registry-endpoint.js';
import { UpstreamError } from '../shared/errors.js';
import { closeUpstreamDispatchers, createUpstreamPolicy } from './http-client.js';
import { OciSession, parseLinkNext, retryAfterMs } from './oci-session.js';

const policy = createUpstreamPolicy({
  userAgent: 'Charthouse/test',
  allowPrivateEndpoints: true,
  timeoutMs: 5000,
  idleTimeoutMs: 2000,
});
const fastRetry = { maxRetries: 2, maxWaitMs: 1000, defaultWaitMs: 10 };
const { serve, closeAll } = fixtureServerPool();
after(async () => {
  await closeAll();
  await closeUpstreamDispatchers();
});

function session(url: string): OciSession {
  const endpoint = parseRegistryEndpoint(`oci://${new URL(url).host}`, { ociPlainHttp: true });
  return new OciSession(
    { endpoint, passCredentials: false, tls: { insecureSkipVerify: false }, ociRepositories: [] },
    policy,
    fastRetry,
  );
}

describe('parseLinkNext', () => {
  const page = new URL('http://reg.example/v2/a/tags/list?n=2');
  it('resolves a relative next link against the page', () => {
    const next = parseLinkNext('</v2/a/tags/list?n=2&last=b>; rel="next"', page);
    assert.equal(next?.href, 'http://reg.example/v2/a/tags/list?n=2&last=b');
  });
  it('accepts an unquoted rel, other links and parameters around it', () => {
    const header =
      '<https://cdn.example/x>; rel="prev", <https://reg.example/v2/_catalog?last=c&n=5>; type="x"; rel=next';
    assert.equal(parseLinkNext(header, page)?.href, 'https://reg.example/v2/_catalog?last=c&n=5');
  });
  it('gives nothing without a next link', () => {
    assert.equal(parseLinkNext(undefined, page), undefined);
    assert.equal(parseLinkNext('</v2/a>; rel="prev"', page), undefined);
    assert.equal(parseLinkNext('garbage', page), undefined);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(' 0 '), 0);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  });
  it('ignores what it cannot read', () => {
    assert.equal(retryAfterMs(undefined), undefined);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs('-1'), undefined);
  });
});

describe('OciSession against a fixture registry', () => {
  it('follows Link pages of tags/list', async () => {
    const server = await serve({
      'GET /v2/charts/app/tags/list': (req: IncomingMessage, res: ServerResponse) => {
        const last = new URL(req.url ?? '/', 'http://x').searchParams.get('last');
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (last === null) headers['link'] = '</v2/charts/app/tags/list?n=2&last=1.1.0>; rel="next"';
        const tags = last === null ? ['1.0.0', '1.1.0'] : ['2.0.0_build.1'];
        res.writeHead(200, headers).end(JSON.stringify({ name: 'charts/app', tags }));
      },
    });
    const listing = await session(server.url).listTags('charts/app', 1024 * 1024, 10, 2);
    assert.deepEqual(listing, { items: ['1.0.0', '1.1.0', '2.0.0_build.1'], complete: true });
    assert.equal(server.requests.length, 2);
  });

  it('honours 429 with Retry-After, then succeeds', async () => {
    let calls = 0;
    const server = await serve({
      'GET /v2/_catalog': (_req: IncomingMessage, res: ServerResponse) => {
        calls += 1;
        if (calls < 3) res.writeHead(calls === 1 ? 429 : 503, { 'retry-after': '0' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"repositories":["a"]}');
      },
    });
    const listing = await session(server.url).listCatalog('', 1024 * 1024, 10);
    assert.deepEqual(listing.items, ['a']);
    assert.equal(calls, 3);
  });

  it('fails clearly when the registry keeps refusing or asks for too long a wait', async () => {
    const always = await serve({ '/v2/_catalog': (_req, res) => void res.writeHead(429).end() });
    await assert.rejects(session(always.url).listCatalog('', 1024, 10), (err: unknown) => {
      assert.ok(err instanceof UpstreamError);
      assert.match(err.message, /rate-limiting .* after 2 retries/);
      return true;
    });
    assert.equal(always.requests.length, 3);
    const patient = await serve({
      '/v2/_catalog': (_req, res) => void res.writeHead(429, { 'retry-after': '3600' }).end(),
    });
    await assert.rejects(session(patient.url).listCatalog('', 1024, 10), /asks to wait 3600 s/);
    assert.equal(patient.requests.length, 1);
  });

  it('verifies blob digests and manifest digests', async () => {
    const blob = Buffer.from('{"name":"app","version":"1.0.0"}');
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const server = await serve({
      [`GET /v2/charts/app/blobs/${digest}`]: (_req, res) => void res.writeHead(200).end(blob),
      '/v2/charts/app/manifests/1.0.0': (_req, res) =>
        void res
          .writeHead(200, {
            'content-type': 'application/vnd.oci.image.manifest.v1+json',
            'docker-content-digest': digest,
          })
          .end('{"schemaVersion":2}'),
    });
    const s = session(server.url);
    assert.deepEqual(await s.getBlob('charts/app', digest, 1024), blob);
    await assert.rejects(s.getBlob('charts/app', `sha256:${'0'.repeat(64)}`, 1024), /404|hash/);
    await assert.rejects(s.getManifest('charts/app', '1.0.0', 1024), /bytes hash to/);
    const head = await s.headManifest('charts/app', '1.0.0');
    assert.deepEqual(head, { digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  });
});
