import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { fixtureServerPool } from '../../test/support/fixture-servers.js';
import { parseRegistryEndpoint } from '../protocol/registry-endpoint.js';
import { closeUpstreamDispatchers, createUpstreamPolicy } from '../upstream/http-client.js';
import { fetchIndex, type IndexValidators } from './index-fetch.js';

const policy = createUpstreamPolicy({ allowPrivateEndpoints: true, userAgent: 'Charthouse/test' });
const none: IndexValidators = { etag: null, lastModified: null, contentDigest: null };
const { serve, closeAll } = fixtureServerPool();
after(async () => {
  await closeAll();
  await closeUpstreamDispatchers();
});

/** A repository whose index can change between requests, answering conditional GETs like a CDN. */
function repository(withValidators: boolean) {
  const state = { body: 'apiVersion: v1\nentries: {}\n', hits: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    state.hits += 1;
    const etag = `"${createHash('sha256').update(state.body).digest('hex').slice(0, 16)}"`;
    if (withValidators && req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/yaml', ...(withValidators ? { etag } : {}) }).end(state.body);
  };
  return { state, handler };
}

describe('fetchIndex', () => {
  it('uses the ETag: an unchanged upstream answers 304 and costs no body', async () => {
    const repo = repository(true);
    const server = await serve({ '/charts/index.yaml': repo.handler });
    const source = {
      endpoint: parseRegistryEndpoint(`${server.url}/charts`),
      passCredentials: false,
      ociRepositories: [],
      tls: { insecureSkipVerify: false },
    };
    const first = await fetchIndex(source, none, policy, 1024 * 1024);
    assert.equal(first.kind, 'changed');
    assert.match(first.validators.etag ?? '', /^"/);
    const second = await fetchIndex(source, first.validators, policy, 1024 * 1024);
    assert.equal(second.kind, 'not_modified');
    assert.equal(server.requests.at(-1)?.headers['if-none-match'], first.validators.etag);
    repo.state.body = 'apiVersion: v1\nentries:\n  a: [{name: a, version: 1.0.0}]\n';
    const third = await fetchIndex(source, first.validators, policy, 1024 * 1024);
    assert.equal(third.kind, 'changed');
    assert.notEqual(third.validators.contentDigest, first.validators.contentDigest);
  });

  it('falls back to the content digest when the server sends no validators', async () => {
    const repo = repository(false);
    const server = await serve({ '/index.yaml': repo.handler });
    const source = {
      endpoint: parseRegistryEndpoint(server.url),
      passCredentials: false,
      ociRepositories: [],
      tls: { insecureSkipVerify: false },
    };
    const first = await fetchIndex(source, none, policy, 1024 * 1024);
    assert.equal(first.kind, 'changed');
    assert.equal(first.validators.etag, null);
    const second = await fetchIndex(source, first.validators, policy, 1024 * 1024);
    assert.equal(second.kind, 'unchanged');
  });

  it('names the cause when the index is gone', async () => {
    const server = await serve({});
    const source = {
      endpoint: parseRegistryEndpoint(server.url),
      passCredentials: false,
      ociRepositories: [],
      tls: { insecureSkipVerify: false },
    };
    await assert.rejects(fetchIndex(source, none, policy, 1024), { code: 'upstream_not_found' });
  });
});
