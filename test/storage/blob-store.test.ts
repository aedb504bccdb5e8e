import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  BlobDigestInvalidError,
  BlobDigestMismatchError,
  BlobTooLargeError,
  type BlobStore,
} from '../../src/blobs/blob-store.js';
import { openBlobStore } from '../../src/blobs/blob-stores.js';
import { FsBlobStore } from '../../src/blobs/fs-blob-store.js';
import { BLOB_CHUNK_BYTES, PgBlobStore } from '../../src/blobs/pg-blob-store.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TEST_DB } from '../support/server.js';
import { waitFor } from '../support/wait.js';

const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** `bytes` in uneven pieces, as a network stream delivers them. */
async function* pieces(bytes: Buffer, size = 65_537): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(stream: Readable | null): Promise<Buffer> {
  assert.ok(stream, 'expected a blob');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The behaviour both stores owe their callers. */
function blobStoreContract(name: string, store: () => BlobStore, stored: () => Promise<number>): void {
  describe(name, () => {
    // More than two database pieces, not a multiple of the piece size.
    const big = randomBytes(2 * BLOB_CHUNK_BYTES + 12_345);

    it('stores a blob under its sha256 and reads it back whole and by range', async () => {
      const info = await store().put(pieces(big), { maxBytes: 10 << 20 });
      assert.deepEqual(info, { digest: digestOf(big), size: big.length });
      assert.deepEqual(await store().stat(info.digest), info);
      assert.ok((await read(await store().get(info.digest))).equals(big));
      // Ranges inside a piece, across pieces, and the last byte.
      for (const [start, end] of [
        [10, 20],
        [BLOB_CHUNK_BYTES - 5, BLOB_CHUNK_BYTES + 5],
        [0, 2 * BLOB_CHUNK_BYTES],
        [big.length - 1, big.length - 1],
      ] as const) {
        const part = await read(await store().get(info.digest, { start, end }));
        assert.ok(part.equals(big.subarray(start, end + 1)), `range ${start}-${end}`);
      }
      // A range past the end stops at the last byte, as a file read does.
      const tail = await read(
        await store().get(info.digest, { start: big.length - 3, end: big.length + 100 }),
      );
      assert.ok(tail.equals(big.subarray(big.length - 3)));
      // Read with the size the caller already holds (an OCI registry's link): the same bytes.
      assert.ok((await read(await store().get(info.digest, undefined, big.length))).equals(big));
      const known = await read(await store().get(info.digest, { start: 10, end: 20 }, big.length));
      assert.ok(known.equals(big.subarray(10, 21)));
      assert.equal(await store().get('sha256:../../etc/passwd', undefined, 10), null);
    });

    it('stores the same content once, also when it arrives twice at the same time', async () => {
      const bytes = randomBytes(300_000);
      const before = await stored();
      const [a, b] = await Promise.all([
        store().put(pieces(bytes), { maxBytes: 1 << 20 }),
        store().put(pieces(bytes), { maxBytes: 1 << 20 }),
      ]);
      assert.deepEqual(a, b);
      const again = await store().put(pieces(bytes), { maxBytes: 1 << 20, expectedDigest: a.digest });
      assert.deepEqual(again, a);
      assert.equal(await stored(), before + 1);
      assert.ok((await read(await store().get(a.digest))).equals(bytes));
    });

    it('keeps an empty blob', async () => {
      const info = await store().put(pieces(Buffer.alloc(0)), { maxBytes: 10 });
      assert.equal(info.size, 0);
      assert.equal((await read(await store().get(info.digest))).length, 0);
    });

    it('refuses a body over its limit as soon as it passes it, and stores nothing', async () => {
      const before = await stored();
      let produced = 0;
      async function* endless(): AsyncGenerator<Buffer> {
        for (;;) {
          produced += 1;
          yield Buffer.alloc(64 * 1024, 1);
        }
      }
      await assert.rejects(store().put(endless(), { maxBytes: 1 << 20 }), BlobTooLargeError);
      // Read up to the limit and one piece more, not on to the end of an endless body.
      assert.equal(produced, 17);
      assert.equal(await stored(), before);
    });

    it('sweeps what an unfinished put left behind, and only what began before the cut-off', async () => {
      const before = await stored();
      let stall!: (err: Error) => void;
      const stalled = new Promise<never>((_resolve, reject) => (stall = reject));
      async function* crashing(): AsyncGenerator<Buffer> {
        // Past one database piece, so something is on disk or in the table when it stalls.
        yield randomBytes(BLOB_CHUNK_BYTES + 1000);
        yield randomBytes(1000);
        await stalled;
      }
      const put = store().put(crashing(), { maxBytes: 10 << 20 });
      put.catch(() => undefined);
      await waitFor(async () => (await stored()) > before, {
        what: 'the unfinished put wrote its first piece',
      });
      assert.ok((await stored()) > before, 'the unfinished put left something behind');
      assert.equal(await store().sweepUnfinished(new Date(Date.now() - 60_000)), 0, 'too recent to sweep');
      assert.ok((await store().sweepUnfinished(new Date(Date.now() + 1000))) > 0);
      assert.equal(await stored(), before);
      stall(new Error('client went away'));
      await assert.rejects(put);
      assert.equal(await stored(), before);
    });

    it('refuses bytes that do not hash to the digest given, and stores nothing', async () => {
      const before = await stored();
      const bytes = randomBytes(1000);
      const wrong = digestOf(Buffer.from('something else'));
      await assert.rejects(
        store().put(pieces(bytes), { maxBytes: 1 << 20, expectedDigest: wrong }),
        (err) => {
          assert.ok(err instanceof BlobDigestMismatchError);
          assert.match(err.message, new RegExp(digestOf(bytes)));
          return true;
        },
      );
      await assert.rejects(
        store().put(pieces(bytes), { maxBytes: 1 << 20, expectedDigest: 'md5:abc' }),
        BlobDigestInvalidError,
      );
      assert.equal(await stored(), before);
      assert.equal(await store().stat(digestOf(bytes)), null);
    });

    it('answers null for unknown and malformed digests, and deletes', async () => {
      assert.equal(await store().get(digestOf(Buffer.from('never stored'))), null);
      assert.equal(await store().stat('sha256:../../etc/passwd'), null);
      assert.equal(await store().get('sha256:../../etc/passwd'), null);
      const info = await store().put(pieces(Buffer.from('to delete')), { maxBytes: 100 });
      assert.equal(await store().delete(info.digest), true);
      assert.equal(await store().delete(info.digest), false);
      assert.equal(await store().get(info.digest), null);
    });
  });
}

describe(`blob stores (${TEST_DB})`, () => {
  let dataDir: string;
  let pg: TestDatabase | undefined;
  let storage: Storage;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'charthouse-blobs-'));
    if (TEST_DB === 'postgres') pg = await createTestDatabase();
    storage = openStorage({ databaseUrl: pg?.url ?? null, dataDir });
    await migrateToLatest(storage);
  });
  after(async () => {
    await storage?.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const countFiles = async (dir: string): Promise<number> => {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isFile()).length;
  };

  blobStoreContract(
    'filesystem',
    () => new FsBlobStore(path.join(dataDir, 'fs-blobs')),
    // Every file, uploads included: a failed upload leaves no temporary file behind either.
    () => countFiles(path.join(dataDir, 'fs-blobs')),
  );

  blobStoreContract(
    'database',
    () => new PgBlobStore(storage.db),
    async () => {
      const blobs = await storage.db
        .selectFrom('blobs')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      const uploads = await storage.db
        .selectFrom('blob_chunks')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('blob_key', 'like', 'upload:%')
        .executeTakeFirstOrThrow();
      // Pieces of failed or finished uploads must not linger under their upload key.
      return Number(blobs.n) + Number(uploads.n);
    },
  );

  it('database: keeps one-piece blobs read by a known size in memory, bounded, and forgets a deleted one', async () => {
    const store = new PgBlobStore(storage.db, 1_500);
    const [a, b, c] = [randomBytes(1_000), randomBytes(1_000), randomBytes(1_000)];
    const [ia, ib, ic] = [
      await store.put(pieces(a), { maxBytes: 10_000 }),
      await store.put(pieces(b), { maxBytes: 10_000 }),
      await store.put(pieces(c), { maxBytes: 10_000 }),
    ];
    for (const [info, bytes] of [
      [ia, a],
      [ib, b],
      [ic, c],
    ] as const) {
      assert.ok((await read(await store.get(info.digest, undefined, info.size))).equals(bytes));
    }
    // Their rows gone behind the store's back: the last one read still comes, from memory; the
    // others did not fit in its 1,500 bytes.
    await storage.db.deleteFrom('blob_chunks').where('blob_key', 'in', [ia.digest, ib.digest]).execute();
    const range = await read(await store.get(ic.digest, { start: 1, end: 3 }, ic.size));
    assert.ok(range.equals(c.subarray(1, 4)));
    await assert.rejects(() => store.get(ib.digest, undefined, ib.size), /missing its piece/);
    // Deleted through the store: forgotten at once.
    await store.delete(ic.digest);
    await assert.rejects(() => store.get(ic.digest, undefined, ic.size), /missing its piece/);
  });

  it('goes with the database: files beside SQLite, the database on PostgreSQL', () => {
    const store = openBlobStore(storage, dataDir);
    assert.ok(TEST_DB === 'postgres' ? store instanceof PgBlobStore : store instanceof FsBlobStore);
  });
});
