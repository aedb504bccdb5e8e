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
/** Memory kept for the bytes of recently read one-piece blobs (charts, manifests' configs). */
export const BLOB_CACHE_BYTES = 32 << 20;

/**
 * Blobs in the database (tables `blobs` and `blob_chunks`), for servers sharing a PostgreSQL database.
 * An upload's pieces are written under a key of its own ("upload:<id>") as they arrive; once the bytes
 * are verified, one transaction files them under their digest and records the blob, or, when the blob
 * exists already (pushed twice, or by two clients at once), drops them. A reader never sees a partial
 * blob. A crash mid-upload leaves "upload:" rows behind for a later clean-up.
 */
export class PgBlobStore implements BlobStore {
  /**
   * The bytes of one-piece blobs read lately, by digest, least recently used first out. A blob's bytes
   * never change (its name is their hash), so no other server can make an entry wrong; whether the
   * blob may be read, or still exists, is always asked of the database first (the caller's link, or
   * {@link stat}), so a blob deleted elsewhere is not served from here.
   */
  private readonly recent = new Map<string, Buffer>();
  private recentBytes = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cacheBytes = BLOB_CACHE_BYTES,
  ) {}

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
    if (start > end) return Readable.from([]);
    if (info.size <= BLOB_CHUNK_BYTES) {
      const cached = this.recent.get(digest);
      if (cached !== undefined) this.remember(digest, cached);
      const whole = cached ?? (await this.readWhole(digest));
      return Readable.from([whole.subarray(start, end + 1)]);
    }
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
    return Readable.from(pieces());
  }

  /** A one-piece blob's bytes, from the database, kept in {@link recent}. */
  private async readWhole(digest: string): Promise<Buffer> {
    const row = await this.db
      .selectFrom('blob_chunks')
      .select('data')
      .where('blob_key', '=', digest)
      .where('seq', '=', 0)
      .executeTakeFirst();
    if (!row) throw new Error(`blob ${digest} is missing its piece 0`);
    this.remember(digest, row.data);
    return row.data;
  }

  private remember(digest: string, data: Buffer): void {
    this.forget(digest);
    if (data.length > this.cacheBytes) return;
    this.recent.set(digest, data);
    this.recentBytes += data.length;
    for (const [oldest, bytes] of this.recent) {
      if (this.recentBytes <= this.cacheBytes) break;
      this.recent.delete(oldest);
      this.recentBytes -= bytes.length;
    }
  }

  private forget(digest: string): void {
    const held = this.recent.get(digest);
    if (held === undefined) return;
    this.recent.delete(digest);
    this.recentBytes -= held.length;
  }

  async delete(digest: string): Promise<boolean> {
    if (!isBlobDigest(digest)) return false;
    this.forget(digest);
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
