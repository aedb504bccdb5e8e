import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  BlobDigestMismatchError,
  checkExpectedDigest,
  hashAndCount,
  isBlobDigest,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
} from './blob-store.js';

/** write(2) may write less than asked: go on until the chunk is all written. */
async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length;) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Where a blob's file lives under a store's `root`: `sha256/ab/abcdef…`; null for a digest that is not
 * one. Backups copy the files by this layout.
 */
export function blobFilePath(root: string, digest: string): string | null {
  if (!isBlobDigest(digest)) return null;
  const hex = digest.slice('sha256:'.length);
  return path.join(root, 'sha256', hex.slice(0, 2), hex);
}

/**
 * Blobs as files under `root` (the data folder's `blobs/`): `sha256/ab/abcdef…`, two hex digits of
 * fan-out so no folder grows huge. An upload is written to `uploads/` first, synced, verified and then
 * renamed into place: a reader sees a whole, verified blob or none, and a crash leaves only a temporary
 * file behind.
 */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(digest: string): string | null {
    return blobFilePath(this.root, digest);
  }

  async put(
    body: AsyncIterable<Uint8Array>,
    options: { maxBytes: number; expectedDigest?: string },
  ): Promise<BlobInfo> {
    checkExpectedDigest(options.expectedDigest);
    const uploads = path.join(this.root, 'uploads');
    await mkdir(uploads, { recursive: true });
    const temp = path.join(uploads, randomUUID());
    let file: FileHandle | null = await open(temp, 'wx', 0o600);
    try {
      const handle = file;
      const info = await hashAndCount(body, options.maxBytes, (chunk) => writeAll(handle, chunk));
      await file.sync();
      await file.close();
      file = null;
      if (options.expectedDigest !== undefined && options.expectedDigest !== info.digest) {
        throw new BlobDigestMismatchError(options.expectedDigest, info.digest);
      }
      const target = this.pathOf(info.digest)!;
      await mkdir(path.dirname(target), { recursive: true });
      // Atomic; over an existing blob it swaps identical bytes, and readers keep their open file.
      await rename(temp, target);
      return info;
    } catch (error) {
      await file?.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
  }

  async sweepUnfinished(before: Date): Promise<number> {
    const uploads = path.join(this.root, 'uploads');
    const names = await readdir(uploads).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(uploads, name);
      const info = await lstat(file).catch(() => null);
      if (info !== null && info.mtime < before) {
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  async stat(digest: string): Promise<BlobInfo | null> {
    const file = this.pathOf(digest);
    if (file === null) return null;
    try {
      return { digest, size: (await stat(file)).size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async get(digest: string, range?: ByteRange): Promise<Readable | null> {
    const file = this.pathOf(digest);
    if (file === null || (await this.stat(digest)) === null) return null;
    return createReadStream(file, range ? { start: range.start, end: range.end } : {});
  }

  async delete(digest: string): Promise<boolean> {
    const file = this.pathOf(digest);
    if (file === null) return false;
    try {
      await unlink(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
