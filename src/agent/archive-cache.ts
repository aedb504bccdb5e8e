import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The agent's verified chart archives on disk, by content: `<work-dir>/charts/sha256-<hex>.tgz`, with
 * the `.prov` it came with beside it (`sha256-<hex>.tgz.prov`). Only archives that passed every check
 * are put here (layer-pull.ts), so a plan that pins a digest already held needs no network at all.
 *
 * - Files are written to a temporary name in the same folder and renamed: a crash or a second agent
 *   never leaves a half-written archive under its digest's name (rename is atomic on one file system).
 *   The `.prov` is renamed in before the archive, so whoever sees the archive also sees its `.prov`.
 * - The folder is 0700 and files 0600: charts of a protected registry are not for other local users.
 * - A cached file is still read and checked again on use (cheap), so a tampered file fails its layer.
 */
export class ArchiveCache {
  private constructor(readonly folder: string) {}

  /** Opens (creating it, 0700) `<workDir>/charts`. */
  static async open(workDir: string): Promise<ArchiveCache> {
    const folder = join(workDir, 'charts');
    await mkdir(folder, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode alone, and the umask may have narrowed a new one.
    await chmod(folder, 0o700);
    return new ArchiveCache(folder);
  }

  /** Where the archive with this digest (`sha256:<hex>` or bare hex) is, or would be. */
  path(digest: string): string {
    return join(this.folder, `sha256-${hexOf(digest)}.tgz`);
  }

  provenancePath(digest: string): string {
    return `${this.path(digest)}.prov`;
  }

  async has(digest: string): Promise<boolean> {
    if (!isDigest(digest)) return false;
    try {
      return (await stat(this.path(digest))).isFile();
    } catch {
      return false;
    }
  }

  /** The archive's bytes, or null when it is not held. */
  read(digest: string): Promise<Buffer | null> {
    return readOrNull(this.path(digest));
  }

  /** The `.prov` stored with the archive, or null when it came without one. */
  readProvenance(digest: string): Promise<Buffer | null> {
    return readOrNull(this.provenancePath(digest));
  }

  /** Stores an archive (and its `.prov`, or records that it had none); returns its digest `sha256:<hex>`. */
  async put(archive: Uint8Array, provenance: Uint8Array | null = null): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
    if (provenance === null) await rm(this.provenancePath(digest), { force: true });
    else await this.writeAtomically(this.provenancePath(digest), provenance);
    await this.writeAtomically(this.path(digest), archive);
    return digest;
  }

  private async writeAtomically(target: string, bytes: Uint8Array): Promise<void> {
    const temporary = join(this.folder, `.partial-${randomBytes(8).toString('hex')}`);
    try {
      await writeFile(temporary, bytes, { mode: 0o600, flag: 'wx', flush: true });
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

const DIGEST = /^(?:sha256:)?[0-9a-f]{64}$/;

function isDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

function hexOf(digest: string): string {
  // The digest names a file: anything but sha256 hex could name another path.
  if (!isDigest(digest)) throw new Error(`Not a sha256 digest: ${JSON.stringify(digest.slice(0, 80))}`);
  return digest.replace(/^sha256:/, '');
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
