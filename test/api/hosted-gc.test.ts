import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openBlobStore } from '../../src/blobs/blob-stores.js';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import { basic, chartTgz, uploadChart } from '../support/hosted.js';
import { createTenant, startTestServer, TEST_DB, type TestServer } from '../support/server.js';

const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const TWO_HOURS = 2 * 60 * 60 * 1000;

describe(`hosted registry: garbage collection (${TEST_DB})`, () => {
  let server: TestServer;
  let store: BlobStore;
  const admin = basic('acme-admin');
  const globexAdmin = basic('globex-admin');

  before(async () => {
    server = await startTestServer();
    await createTenant(server, 'acme');
    await createTenant(server, 'globex');
    store = openBlobStore(server.app.storage, server.dataDir);
  });
  after(() => server.close());

  const stored = async (bytes: Buffer): Promise<boolean> => (await store.stat(digestOf(bytes))) !== null;
  const download = (tenant: string, file: string, authorization: string) =>
    fetch(`${server.url}/helm/${tenant}/charts/${file}`, { headers: { authorization } });

  /** A blob pushed over OCI that no manifest ever names. */
  async function pushLoneBlob(bytes: Buffer): Promise<void> {
    const res = await fetch(`${server.url}/v2/acme/lone/blobs/uploads/?digest=${digestOf(bytes)}`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    assert.equal(res.status, 201);
  }

  it('frees what deleted and overwritten charts and unused uploads left, and keeps what is still named', async () => {
    const kept = chartTgz('kept', '1.0.0');
    const first = chartTgz('overwritten', '1.0.0');
    const second = chartTgz('overwritten', '1.0.0', { path: 'overwritten/README.md', content: 'v2\n' });
    const gone = chartTgz('gone', '1.0.0');
    const shared = chartTgz('shared', '1.0.0');
    const lone = randomBytes(4096);
    for (const tgz of [kept, first, gone, shared])
      assert.equal((await uploadChart(server.url, 'acme', tgz, admin)).status, 201);
    assert.equal((await uploadChart(server.url, 'globex', shared, globexAdmin)).status, 201);
    assert.equal((await uploadChart(server.url, 'acme', second, admin, '?force')).status, 201);
    for (const path of ['gone/1.0.0', 'shared/1.0.0']) {
      const res = await fetch(`${server.url}/helm/acme/api/charts/${path}`, {
        method: 'DELETE',
        headers: { authorization: admin },
      });
      assert.equal(res.status, 200);
    }
    await pushLoneBlob(lone);
    for (const bytes of [kept, first, second, gone, shared, lone]) assert.ok(await stored(bytes));

    // Within the grace period nothing goes: a blob may be pushed ahead of its manifest.
    await server.app.sweep();
    assert.ok(await stored(first));
    assert.ok(await stored(lone));

    await server.app.sweep(Date.now() + TWO_HOURS);
    assert.equal(await stored(first), false, 'the overwritten archive');
    assert.equal(await stored(gone), false, 'the deleted chart');
    assert.equal(await stored(lone), false, 'the blob no manifest named');
    assert.ok(await stored(kept));
    assert.ok(await stored(second));
    assert.ok(await stored(shared), 'another tenant still holds it');

    // What is left still serves, over both protocols.
    assert.equal((await download('acme', 'kept-1.0.0.tgz', admin)).status, 200);
    const again = await download('acme', 'overwritten-1.0.0.tgz', admin);
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(second));
    assert.equal((await download('globex', 'shared-1.0.0.tgz', globexAdmin)).status, 200);
    const manifest = await fetch(`${server.url}/v2/acme/kept/manifests/1.0.0`, {
      headers: { authorization: admin },
    });
    const doc = (await manifest.json()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    for (const digest of [doc.config.digest, ...doc.layers.map((l) => l.digest)]) {
      const blob = await fetch(`${server.url}/v2/acme/kept/blobs/${digest}`, {
        headers: { authorization: admin },
      });
      assert.equal(blob.status, 200, digest);
    }
    const lost = await fetch(`${server.url}/v2/acme/lone/blobs/${digestOf(lone)}`, {
      method: 'HEAD',
      headers: { authorization: admin },
    });
    assert.equal(lost.status, 404);
  });
});
