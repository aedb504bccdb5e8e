import type { Kysely, Selectable } from 'kysely';
import type { Database, HostedManifestsTable, HostedUploadsTable } from '../storage/schema.js';
import type { Db } from './hosted.repository.js';

export type HostedManifestRow = Selectable<HostedManifestsTable>;
export type HostedUploadRow = Selectable<HostedUploadsTable>;

/**
 * Storage of the OCI side of hosted registries: which blobs each registry holds (their bytes are in the
 * blob store), manifests and tags, open uploads and their parts. Every method takes the registry id.
 */
export class OciRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // Blobs ---------------------------------------------------------------------------------------

  /**
   * The registry holds the blob. `created_at` is refreshed on every link, so a blob pushed again just
   * before its manifest is never taken by the garbage collector's grace rule.
   */
  async linkBlob(trx: Db, registryId: string, digest: string, size: number, now: string): Promise<void> {
    await trx
      .insertInto('hosted_blobs')
      .values({ registry_id: registryId, digest, size, created_at: now })
      .onConflict((oc) => oc.columns(['registry_id', 'digest']).doUpdateSet({ created_at: now }))
      .execute();
  }

  /** {@link linkBlob} on its own, outside any other write (a blob pushed or uploaded). */
  async linkBlobNow(registryId: string, digest: string, size: number, now: string): Promise<void> {
    await this.linkBlob(this.db, registryId, digest, size, now);
  }

  /** Blobs the registry has held since before `before` (candidates for garbage collection). */
  async blobsLinkedBefore(registryId: string, before: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('hosted_blobs')
      .select('digest')
      .where('registry_id', '=', registryId)
      .where('created_at', '<', before)
      .execute();
    return rows.map((r) => r.digest);
  }

  /** Every manifest of the registry, for the blobs they reference. */
  async manifestContents(registryId: string): Promise<{ media_type: string; content: Buffer }[]> {
    return this.db
      .selectFrom('hosted_manifests')
      .select(['media_type', 'content'])
      .where('registry_id', '=', registryId)
      .execute();
  }

  async blobSize(registryId: string, digest: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('hosted_blobs')
      .select('size')
      .where('registry_id', '=', registryId)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.size);
  }

  /** The sizes of those of `digests` the registry holds (a manifest's blobs, checked in one query). */
  async blobSizes(registryId: string, digests: string[]): Promise<Map<string, number>> {
    if (digests.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('hosted_blobs')
      .select(['digest', 'size'])
      .where('registry_id', '=', registryId)
      .where('digest', 'in', digests)
      .execute();
    return new Map(rows.map((r) => [r.digest, Number(r.size)]));
  }

  async unlinkBlob(registryId: string, digest: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('hosted_blobs')
      .where('registry_id', '=', registryId)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Whether any hosted registry or open upload still needs the blob's bytes. */
  async blobInUse(digest: string): Promise<boolean> {
    const linked = await this.db
      .selectFrom('hosted_blobs')
      .select('digest')
      .where('digest', '=', digest)
      .limit(1)
      .executeTakeFirst();
    if (linked) return true;
    const part = await this.db
      .selectFrom('hosted_upload_parts')
      .select('digest')
      .where('digest', '=', digest)
      .limit(1)
      .executeTakeFirst();
    return part !== undefined;
  }

  // Manifests and tags --------------------------------------------------------------------------

  async manifest(
    registryId: string,
    repository: string,
    digest: string,
    trx: Db = this.db,
  ): Promise<HostedManifestRow | undefined> {
    return trx
      .selectFrom('hosted_manifests')
      .selectAll()
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
  }

  /** The manifest a tag points at, in one query. */
  async manifestByTag(
    registryId: string,
    repository: string,
    tag: string,
  ): Promise<HostedManifestRow | undefined> {
    return this.db
      .selectFrom('hosted_tags as t')
      .innerJoin('hosted_manifests as m', (j) =>
        j
          .onRef('m.registry_id', '=', 't.registry_id')
          .onRef('m.repository', '=', 't.repository')
          .onRef('m.digest', '=', 't.digest'),
      )
      .selectAll('m')
      .where('t.registry_id', '=', registryId)
      .where('t.repository', '=', repository)
      .where('t.tag', '=', tag)
      .executeTakeFirst();
  }

  async saveManifest(trx: Db, row: HostedManifestRow): Promise<void> {
    await trx
      .insertInto('hosted_manifests')
      .values(row)
      .onConflict((oc) => oc.columns(['registry_id', 'repository', 'digest']).doNothing())
      .execute();
  }

  /**
   * Stores a manifest pushed over OCI and, given a tag, points the tag at it, in one transaction. A tag
   * that names a chart version's manifest only moves with that version (through the publisher): then
   * nothing is written and the answer is `chart_version_tag`.
   */
  async saveOciManifest(row: HostedManifestRow, tag: string | null): Promise<'saved' | 'chart_version_tag'> {
    const refused = new Error('the tag names a chart version');
    try {
      await this.db.transaction().execute(async (trx) => {
        await this.saveManifest(trx, row);
        if (tag === null) return;
        const held = await this.tag(trx, row.registry_id, row.repository, tag);
        if (held !== undefined && held !== row.digest) {
          const chart = await trx
            .selectFrom('hosted_charts')
            .select('version')
            .where('registry_id', '=', row.registry_id)
            .where('manifest_digest', '=', held)
            .executeTakeFirst();
          // Thrown to roll the manifest back.
          if (chart) throw refused;
        }
        await this.setTag(trx, row.registry_id, row.repository, tag, row.digest, row.created_at);
      });
    } catch (err) {
      if (err === refused) return 'chart_version_tag';
      throw err;
    }
    return 'saved';
  }

  async setTag(
    trx: Db,
    registryId: string,
    repository: string,
    tag: string,
    digest: string,
    now: string,
  ): Promise<void> {
    await trx
      .insertInto('hosted_tags')
      .values({ registry_id: registryId, repository, tag, digest, updated_at: now })
      .onConflict((oc) =>
        oc.columns(['registry_id', 'repository', 'tag']).doUpdateSet({ digest, updated_at: now }),
      )
      .execute();
  }

  async tag(trx: Db, registryId: string, repository: string, tag: string): Promise<string | undefined> {
    const row = await trx
      .selectFrom('hosted_tags')
      .select('digest')
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .where('tag', '=', tag)
      .executeTakeFirst();
    return row?.digest;
  }

  async tags(registryId: string, repository: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('hosted_tags')
      .select('tag')
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .execute();
    return rows.map((r) => r.tag);
  }

  async repositoryExists(registryId: string, repository: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('hosted_manifests')
      .select('digest')
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async repositories(registryId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('hosted_manifests')
      .select('repository')
      .distinct()
      .where('registry_id', '=', registryId)
      .execute();
    return rows.map((r) => r.repository);
  }

  /** The repository's manifests that no tag names (a chart version's re-pushes are kept so). */
  async untaggedManifests(
    trx: Db,
    registryId: string,
    repository: string,
  ): Promise<Pick<HostedManifestRow, 'digest' | 'media_type' | 'content'>[]> {
    return trx
      .selectFrom('hosted_manifests as m')
      .leftJoin('hosted_tags as t', (j) =>
        j
          .onRef('t.registry_id', '=', 'm.registry_id')
          .onRef('t.repository', '=', 'm.repository')
          .onRef('t.digest', '=', 'm.digest'),
      )
      .select(['m.digest', 'm.media_type', 'm.content'])
      .where('m.registry_id', '=', registryId)
      .where('m.repository', '=', repository)
      .where('t.tag', 'is', null)
      .execute();
  }

  async tagsOf(trx: Db, registryId: string, repository: string, digest: string): Promise<string[]> {
    const rows = await trx
      .selectFrom('hosted_tags')
      .select('tag')
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .execute();
    return rows.map((r) => r.tag);
  }

  async deleteTag(trx: Db, registryId: string, repository: string, tag: string): Promise<boolean> {
    const res = await trx
      .deleteFrom('hosted_tags')
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .where('tag', '=', tag)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async deleteManifest(trx: Db, registryId: string, repository: string, digest: string): Promise<boolean> {
    await trx
      .deleteFrom('hosted_tags')
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .execute();
    const res = await trx
      .deleteFrom('hosted_manifests')
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Deletes a manifest and its tags (DELETE by digest), in one transaction. */
  async removeManifest(registryId: string, repository: string, digest: string): Promise<boolean> {
    return this.db.transaction().execute((trx) => this.deleteManifest(trx, registryId, repository, digest));
  }

  /** Deletes one tag (DELETE by tag); its manifest stays, reachable by digest. */
  async removeTag(registryId: string, repository: string, tag: string): Promise<boolean> {
    return this.deleteTag(this.db, registryId, repository, tag);
  }

  // Uploads -------------------------------------------------------------------------------------

  async createUpload(row: HostedUploadRow): Promise<void> {
    await this.db.insertInto('hosted_uploads').values(row).execute();
  }

  async upload(registryId: string, repository: string, id: string): Promise<HostedUploadRow | undefined> {
    return this.db
      .selectFrom('hosted_uploads')
      .selectAll()
      .where('id', '=', id)
      .where('registry_id', '=', registryId)
      .where('repository', '=', repository)
      .executeTakeFirst();
  }

  async uploadParts(uploadId: string): Promise<{ seq: number; digest: string; size: number }[]> {
    const rows = await this.db
      .selectFrom('hosted_upload_parts')
      .select(['seq', 'digest', 'size'])
      .where('upload_id', '=', uploadId)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({ seq: r.seq, digest: r.digest, size: Number(r.size) }));
  }

  /**
   * Appends a part if the upload is still `expectedSize` long: two PATCHes racing for one offset
   * cannot both land (the loser is told the range is wrong).
   */
  async appendPart(
    uploadId: string,
    expectedSize: number,
    part: { digest: string; size: number },
    now: string,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('hosted_uploads')
        .set({ size: expectedSize + part.size, updated_at: now })
        .where('id', '=', uploadId)
        .where('size', '=', expectedSize)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      const last = await trx
        .selectFrom('hosted_upload_parts')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('upload_id', '=', uploadId)
        .executeTakeFirst();
      await trx
        .insertInto('hosted_upload_parts')
        .values({
          upload_id: uploadId,
          seq: Number(last?.seq ?? -1) + 1,
          digest: part.digest,
          size: part.size,
        })
        .execute();
      return true;
    });
  }

  /** Closes an upload; returns its parts' digests so the caller can free the ones nothing else needs. */
  async deleteUpload(uploadId: string): Promise<string[]> {
    return this.db.transaction().execute(async (trx) => {
      const parts = await trx
        .selectFrom('hosted_upload_parts')
        .select('digest')
        .where('upload_id', '=', uploadId)
        .execute();
      await trx.deleteFrom('hosted_upload_parts').where('upload_id', '=', uploadId).execute();
      await trx.deleteFrom('hosted_uploads').where('id', '=', uploadId).execute();
      return parts.map((p) => p.digest);
    });
  }

  /** Uploads untouched since `before`: abandoned by their clients. */
  async staleUploads(before: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('hosted_uploads')
      .select('id')
      .where('updated_at', '<', before)
      .limit(500)
      .execute();
    return rows.map((r) => r.id);
  }
}
