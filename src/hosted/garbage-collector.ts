import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import { readHelmManifest } from '../protocol/oci/helm-artifact.js';
import type { HostedRepository } from './hosted.repository.js';
import type { OciRepository } from './oci.repository.js';

/**
 * Frees what nothing references any more, as `registry garbage-collect` does for distribution: a blob
 * a registry holds but that none of its manifests or chart versions names (a deleted or overwritten
 * chart's archive, a layer whose manifest was deleted, a blob pushed and never used) is let go once it
 * has been unreferenced past the grace period, and its bytes leave the store when no registry holds
 * them. The grace period keeps blobs pushed ahead of their manifest: every push refreshes the link.
 *
 * Decisions:
 * - Untagged manifests are kept (they stay reachable by digest, as in distribution without
 *   --delete-untagged; helm >= 3.18 pushes by digest before tagging).
 * - Bytes are deleted only when no registry holds the digest and no open upload uses it. A push of the
 *   same bytes landing in the moment between that check and the delete would lose them; the window is
 *   milliseconds once an hour per blob, and the push's own digest check would fail, not serve wrong
 *   bytes.
 */
export class HostedGarbageCollector {
  constructor(
    private readonly repo: HostedRepository,
    private readonly oci: OciRepository,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
  ) {}

  async collectAll(unreferencedBefore: Date): Promise<{ released: number; freed: number }> {
    const total = { released: 0, freed: 0 };
    for (const id of await this.repo.registryIds()) {
      const one = await this.collect(id, unreferencedBefore);
      total.released += one.released;
      total.freed += one.freed;
    }
    return total;
  }

  /** One registry: returns how many blobs it let go, and how many left the store. */
  async collect(registryId: string, unreferencedBefore: Date): Promise<{ released: number; freed: number }> {
    const candidates = await this.oci.blobsLinkedBefore(registryId, unreferencedBefore.toISOString());
    if (candidates.length === 0) return { released: 0, freed: 0 };
    const referenced = new Set(await this.repo.chartBlobDigests(registryId));
    for (const manifest of await this.oci.manifestContents(registryId)) {
      try {
        for (const ref of readHelmManifest(manifest.content, manifest.media_type).references) {
          referenced.add(ref.digest);
        }
      } catch (err) {
        // Stored manifests were checked on the way in; one that no longer reads keeps everything.
        this.logger.warn(
          { err, registryId },
          'a stored manifest could not be read; garbage collection skipped',
        );
        return { released: 0, freed: 0 };
      }
    }
    let released = 0;
    let freed = 0;
    for (const digest of candidates) {
      if (referenced.has(digest)) continue;
      if (!(await this.oci.unlinkBlob(registryId, digest))) continue;
      released += 1;
      if (!(await this.oci.blobInUse(digest)) && (await this.blobs.delete(digest))) freed += 1;
    }
    return { released, freed };
  }
}
