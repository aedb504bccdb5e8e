import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { newId } from '../shared/ids.js';
import type { Database } from '../storage/schema.js';
import {
  BlobDigestMismatchError,
  checkExpectedDigest,
  hashAndCount,
  isBlobDigest,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
} from './blob-store.js';

/** Bytes per stored row: big enough that a chart is a handful of rows, small enough to stream. */
export const BLOB_CHUNK_BYTES = 1 << 20;

/**
 * Blobs in the database (tables `blobs` and `blob_chunks`), for servers sharing a PostgreSQL database.
 * An upload's pieces are written under a key of its own ("upload:<id>") as they arrive; once the bytes
 * are verified, one transaction files them under their digest and records the blob, or, when the blob
 * exists already (pushed twice, or by two clients at once), drops them. A reader never sees a partial
 * blob. A crash mid-upload leaves "upload:" rows behind for a later clean-up.
 */
export class PgBlobStore implements BlobStore {
  constructor(private readonly db: Kysely<Database>) {}

  async put(
    body: AsyncIterable<Uint8Array>,
    options: { maxBytes: number; expectedDigest?: string },
  ): Promise<BlobInfo> {
    checkExpectedDigest(options.expectedDigest);
    // Time-ordered ids: sweepUnfinished finds abandoned uploads by key alone.
    const key = `upload:${newId()}`;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.db.insertInto('blob_chunks').values({ blob_key: key, seq: seq++, data }).execute();
    };
    try {
      const info = await hashAndCount(body, options.maxBytes, async (chunk) => {
        // Pieces of exactly BLOB_CHUNK_BYTES (the last one shorter): a range read can find its rows by
        // arithmetic.
        let offset = 0;
        while (offset < chunk.length) {
          const take = Math.min(BLOB_CHUNK_BYTES - pendingBytes, chunk.length - offset);
          pending.push(chunk.subarray(offset, offset + take));
          pendingBytes += take;
          offset += take;
          if (pendingBytes === BLOB_CHUNK_BYTES) await flush();
        }
      });
      await flush();
      if (options.expectedDigest !== undefined && options.expectedDigest !== info.digest) {
        throw new BlobDigestMismatchError(options.expectedDigest, info.digest);
      }
      await this.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('blobs')
          .values({ digest: info.digest, size: info.size, created_at: new Date().toISOString() })
          .onConflict((oc) => oc.column('digest').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
          await trx
            .updateTable('blob_chunks')
            .set({ blob_key: info.digest })
            .where('blob_key', '=', key)
            .execute();
        } else {
          await trx.deleteFrom('blob_chunks').where('blob_key', '=', key).execute();
        }
      });
      return info;
    } catch (error) {
      await this.db
        .deleteFrom('blob_chunks')
        .where('blob_key', '=', key)
        .execute()
        .catch(() => undefined);
      throw error;
    }
  }

  async sweepUnfinished(before: Date): Promise<number> {
    const res = await this.db
      .deleteFrom('blob_chunks')
      .where('blob_key', '>=', 'upload:')
      .where('blob_key', '<', `upload:${uuidV7Floor(before)}`)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async stat(digest: string): Promise<BlobInfo | null> {
    if (!isBlobDigest(digest)) return null;
    const row = await this.db
      .selectFrom('blobs')
      .select(['digest', 'size'])
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row ? { digest: row.digest, size: Number(row.size) } : null;
  }

  async get(digest: string, range?: ByteRange, size?: number): Promise<Readable | null> {
    // A pull of a small blob is then one query: the piece itself.
    const info = size === undefined ? await this.stat(digest) : isBlobDigest(digest) ? { size } : null;
    if (info === null) return null;
    // Like a file read: a range running past the end stops at the last byte.
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? info.size - 1, info.size - 1);
    const db = this.db;
    async function* pieces(): AsyncGenerator<Buffer> {
      // One row at a time: memory stays at one piece whatever the blob's size.
      for (let seq = Math.floor(start / BLOB_CHUNK_BYTES); seq * BLOB_CHUNK_BYTES <= end; seq += 1) {
        const row = await db
          .selectFrom('blob_chunks')
          .select('data')
          .where('blob_key', '=', digest)
          .where('seq', '=', seq)
          .executeTakeFirst();
        if (!row) throw new Error(`blob ${digest} is missing its piece ${seq}`);
        const base = seq * BLOB_CHUNK_BYTES;
        yield row.data.subarray(Math.max(0, start - base), Math.min(row.data.length, end - base + 1));
      }
    }
    return start > end ? Readable.from([]) : Readable.from(pieces());
  }

  async delete(digest: string): Promise<boolean> {
    if (!isBlobDigest(digest)) return false;
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('blobs').where('digest', '=', digest).executeTakeFirst();
      await trx.deleteFrom('blob_chunks').where('blob_key', '=', digest).execute();
      return Number(deleted.numDeletedRows) > 0;
    });
  }
}

/** The smallest UUIDv7 of the millisecond `at`: every id made earlier sorts below it. */
function uuidV7Floor(at: Date): string {
  const ms = at.getTime().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7000-8000-000000000000`;
}
