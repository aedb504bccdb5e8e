import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, PayloadTooLargeError } from '../shared/errors.js';

/**
 * Content-addressed storage of chart archives and OCI blobs: every blob is named by the sha256 of its
 * bytes ("sha256:<64 hex>"), so a blob is written once whatever pushes it, and what is read back is
 * what was verified on the way in. The interface is narrow and streaming, so a 10 MiB archive or a
 * chunked OCI upload never has to sit in memory whole. Two implementations: the filesystem under the
 * data folder (fs-blob-store.ts) and PostgreSQL (pg-blob-store.ts), chosen with the database
 * (blob-stores.ts), so servers sharing a PostgreSQL database share their blobs too.
 */
export interface BlobStore {
  /**
   * Stream `body` in, hashing and counting as it goes. Fails with {@link BlobTooLargeError} as soon as
   * more than `maxBytes` arrive (the rest is not read), and with {@link BlobDigestMismatchError} when
   * `expectedDigest` is given and differs; either way nothing is stored. Storing a blob that exists
   * already succeeds and leaves it as it was.
   */
  put(
    body: AsyncIterable<Uint8Array>,
    options: { maxBytes: number; expectedDigest?: string },
  ): Promise<BlobInfo>;
  /** The blob's size, or null when there is no such blob. */
  stat(digest: string): Promise<BlobInfo | null>;
  /**
   * The blob's bytes (`range` inclusive, as in HTTP), or null when there is no such blob. `size`: the
   * blob's size when the caller holds it from its own records (an OCI registry's link to the blob); a
   * store whose lookup is a database round trip then skips it.
   */
  get(digest: string, range?: ByteRange, size?: number): Promise<Readable | null>;
  /** Whether a blob was deleted. */
  delete(digest: string): Promise<boolean>;
  /**
   * Removes what unfinished puts left behind (a crash, a killed process) that began before
   * `before`; returns how many. Run now and then by the hosted registry's janitor.
   */
  sweepUnfinished(before: Date): Promise<number>;
}

export interface BlobInfo {
  digest: string;
  size: number;
}

/** Inclusive byte offsets, as an HTTP Range header gives them. */
export interface ByteRange {
  start: number;
  end: number;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Whether `digest` names a blob this store can hold (sha256, lowercase hex). */
export function isBlobDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

/** 413: a blob larger than its limit. */
export class BlobTooLargeError extends PayloadTooLargeError {
  constructor(maxBytes: number) {
    super(`The upload is larger than the limit of ${maxBytes} bytes.`);
  }
}

/** 400: the bytes do not hash to the digest the client named. */
export class BlobDigestMismatchError extends AppError {
  readonly status = 400;
  constructor(expected: string, actual: string) {
    super(
      'digest_invalid',
      `The content's digest is ${actual}, not ${expected} as given: the upload was corrupted or the digest is wrong.`,
    );
  }
}

/** 400: a digest that is not "sha256:" and 64 lowercase hex digits. */
export class BlobDigestInvalidError extends AppError {
  readonly status = 400;
  constructor(digest: string) {
    super(
      'digest_invalid',
      `"${digest.slice(0, 100)}" is not a sha256 digest ("sha256:" and 64 hex digits).`,
    );
  }
}

/**
 * Reads `body` to its end, handing each chunk to `sink` (awaited, so a slow sink slows the reader
 * rather than buffering), while hashing and counting; throws {@link BlobTooLargeError} as soon as the
 * count passes `maxBytes`. The stores' common half of `put`.
 */
export async function hashAndCount(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  sink: (chunk: Buffer) => Promise<unknown>,
): Promise<BlobInfo> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const piece of body) {
    const chunk = Buffer.isBuffer(piece)
      ? piece
      : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    size += chunk.length;
    if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
    hash.update(chunk);
    await sink(chunk);
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Refuses an expected digest that is not one, before any byte is read. */
export function checkExpectedDigest(expected: string | undefined): void {
  if (expected !== undefined && !isBlobDigest(expected)) throw new BlobDigestInvalidError(expected);
}
