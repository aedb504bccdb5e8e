import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { startFixtureServer } from '../support/fixture-servers.js';
import { basic, chartTgz } from '../support/hosted.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

/*
 * Graceful drain (what SIGTERM runs): the server stops taking connections, lets the requests and syncs
 * under way finish, ends each connection after its response, and only cuts what outlives its budget.
 */

/** An upload to acme's hosted registry whose body is sent in two steps, on a socket of its own. */
async function startUpload(
  server: TestServer,
  archive: Buffer,
): Promise<{ socket: Socket; finish: () => void; response: Promise<string> }> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  const half = archive.length >> 1;
  socket.write(
    `POST /helm/acme/api/charts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic('acme-member')}\r\n` +
      `Content-Type: application/gzip\r\nContent-Length: ${archive.length}\r\nConnection: keep-alive\r\n\r\n`,
  );
  socket.write(archive.subarray(0, half));
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  const response = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  return { socket, finish: () => socket.write(archive.subarray(half)), response };
}

const drainedLine = (server: TestServer): Record<string, unknown> | undefined =>
  server.logLines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('drained'));

describe(`graceful drain (${TEST_DB})`, () => {
  it('finishes the request and the sync under way, then closes their connection; nothing is cut', async () => {
    // The upstream answers at once (the probe when the registry is added), then, once `hang` is set,
    // sends half an index and waits for `release`.
    const upstreamState: { hang: boolean; release: () => void } = { hang: false, release: () => undefined };
    let fetched: () => void = () => undefined;
    const inSync = new Promise<void>((r) => (fetched = r));
    const index = `apiVersion: v1\nentries:\n  tiny:\n  - {apiVersion: v2, name: tiny, version: 1.0.0, digest: ${'a'.repeat(64)}, urls: [tiny-1.0.0.tgz]}\n`;
    const upstream = await startFixtureServer({
      '/repo/index.yaml': (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/yaml' });
        if (!upstreamState.hang) return void res.end(index);
        res.write(index.slice(0, 14));
        upstreamState.release = () => void res.end(index.slice(14));
        fetched();
      },
    });
    const server = await startTestServer();
    try {
      await createTenant(server, 'acme');
      const add = await server.api('POST', '/api/v1/system/registries/helm', {
        body: { name: 'tiny', endpoint: `${upstream.url}/repo` },
      });
      assert.equal(add.status, 201, JSON.stringify(add.body));
      upstreamState.hang = true;
      const sync = await server.api('POST', '/api/v1/system/registries/helm/tiny/sync');
      assert.equal(sync.status, 202, JSON.stringify(sync.body));
      await inSync;
      const upload = await startUpload(server, chartTgz('drained', '1.0.0'));

      const closed = server.app.close();
      // No new connections from now on.
      await waitFor(
        () =>
          fetch(`${server.url}/healthz`).then(
            () => false,
            () => true,
          ),
        { what: 'the listener closed' },
      );
      upload.finish();
      upstreamState.release();
      await closed;
      const response = await upload.response;
      assert.match(response, /^HTTP\/1\.1 201 /);
      assert.match(response, /\r\nconnection: close\r\n/i);
      const finished = server.logLines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['msg'] === 'sync finished');
      assert.equal(finished?.['status'], 'succeeded', 'the sync ended by itself, not interrupted');
      assert.deepEqual(drainedLine(server)?.['cut'], { requests: 0 });
    } finally {
      await server.close().catch(() => undefined);
      await upstream.close();
    }
  });
});
