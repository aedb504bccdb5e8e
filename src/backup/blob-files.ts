import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { blobFilePath } from '../blobs/fs-blob-store.js';
import { BackupIncompleteError } from './backup-errors.js';

/**
 * Copies the blob `digest` from the filesystem store under `fromRoot` to the one under `toRoot`
 * (same layout), hashing on the way: the copy is complete, synced and named by what its bytes hash
 * to, or absent. Null when the source has no such blob (deleted meanwhile). A source file whose bytes
 * do not match its name is a damaged store, reported rather than copied.
 */
export async function copyBlobFile(
  fromRoot: string,
  toRoot: string,
  digest: string,
): Promise<{ size: number } | null> {
  const source = blobFilePath(fromRoot, digest);
  const target = blobFilePath(toRoot, digest);
  if (source === null || target === null) {
    throw new BackupIncompleteError(
      `the database names a blob "${digest.slice(0, 80)}" that is not a digest.`,
    );
  }
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const temp = `${target}.partial`;
  const out = await open(temp, 'w', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  try {
    try {
      for await (const chunk of createReadStream(source) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
        for (let offset = 0; offset < chunk.length;) {
          offset += (await out.write(chunk, offset, chunk.length - offset)).bytesWritten;
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await out.close();
        await rm(temp, { force: true });
        return null;
      }
      throw err;
    }
    await out.sync();
    await out.close();
  } catch (err) {
    await out.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  if (`sha256:${hash.digest('hex')}` !== digest) {
    await rm(temp, { force: true });
    throw new BackupIncompleteError(
      `the blob file ${source} does not hash to its name: the blob store is damaged there.`,
    );
  }
  await rename(temp, target);
  return { size };
}

/** Whether the blob file under `root` exists with `size` bytes hashing to `digest`. */
export async function blobFileIntact(root: string, digest: string, size: number): Promise<boolean> {
  const file = blobFilePath(root, digest);
  if (file === null) return false;
  const hash = createHash('sha256');
  let seen = 0;
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      seen += chunk.length;
    }
  } catch {
    return false;
  }
  return seen === size && `sha256:${hash.digest('hex')}` === digest;
}
