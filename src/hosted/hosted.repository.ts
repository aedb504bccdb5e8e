import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  Database,
  HostedChartsTable,
  HostedManifestsTable,
  HostedUploadsTable,
} from '../storage/schema.js';

export type HostedChartRow = Selectable<HostedChartsTable>;
export type HostedManifestRow = Selectable<HostedManifestsTable>;
export type HostedUploadRow = Selectable<HostedUploadsTable>;

/** What a request to a hosted registry needs of its row, read on every request (primary key). */
export interface HostedRegistryState {
  id: string;
  scope: string;
  name: string;
  publicRead: boolean;
  revision: number;
  /** When the store last changed: index.yaml's `generated`, the same on every server. */
  lastWrite: string | null;
}

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Storage of hosted registries: which blobs each holds, OCI manifests and tags, chart versions and open
 * uploads. Every method takes the registry id, so one tenant's store is never read through another's.
 */
export class HostedRepository {
  constructor(readonly db: Kysely<Database>) {}

  async findRegistry(scope: string): Promise<HostedRegistryState | undefined> {
    const row = await this.db
      .selectFrom('helm_registries')
      .select(['id', 'scope', 'name', 'hosted_public_read', 'hosted_revision', 'last_synced_at'])
      .where('scope', '=', scope)
      .where('kind', '=', 'hosted')
      .executeTakeFirst();
    return row && toState(row);
  }

  async registryState(id: string): Promise<HostedRegistryState | undefined> {
    const row = await this.db
      .selectFrom('helm_registries')
      .select(['id', 'scope', 'name', 'hosted_public_read', 'hosted_revision', 'last_synced_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toState(row);
  }

  async setPublicRead(id: string, publicRead: boolean): Promise<void> {
    await this.db
      .updateTable('helm_registries')
      .set({ hosted_public_read: publicRead ? 1 : 0 })
      .where('id', '=', id)
      .execute();
  }

  /** Marks a write: the revision moves (index.yaml caches), and the catalog's stamp with the counts. */
  async touch(trx: Db, id: string, now: string): Promise<void> {
    const counts = await trx
      .selectFrom('chart_versions')
      .select((eb) => [
        eb.fn.count<number | string | bigint>('chart_name').distinct().as('charts'),
        eb.fn.countAll<number | string | bigint>().as('versions'),
      ])
      .where('registry_id', '=', id)
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('helm_registries')
      .set((eb) => ({
        hosted_revision: eb('hosted_revision', '+', 1),
        chart_count: Number(counts.charts),
        version_count: Number(counts.versions),
        last_synced_at: now,
        updated_at: now,
      }))
      .where('id', '=', id)
      .execute();
  }

  // Blobs ---------------------------------------------------------------------------------------

  async linkBlob(trx: Db, registryId: string, digest: string, size: number, now: string): Promise<void> {
    await trx
      .insertInto('hosted_blobs')
      .values({ registry_id: registryId, digest, size, created_at: now })
      .onConflict((oc) => oc.columns(['registry_id', 'digest']).doNothing())
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

  async missingBlobs(registryId: string, digests: string[]): Promise<string[]> {
    if (digests.length === 0) return [];
    const rows = await this.db
      .selectFrom('hosted_blobs')
      .select('digest')
      .where('registry_id', '=', registryId)
      .where('digest', 'in', digests)
      .execute();
    const held = new Set(rows.map((r) => r.digest));
    return digests.filter((d) => !held.has(d));
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
  ): Promise<HostedManifestRow | undefined> {
    return this.db
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

  // Chart versions ------------------------------------------------------------------------------

  async chart(
    trx: Db,
    registryId: string,
    name: string,
    version: string,
  ): Promise<HostedChartRow | undefined> {
    return trx
      .selectFrom('hosted_charts')
      .selectAll()
      .where('registry_id', '=', registryId)
      .where('chart_name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  async chartByFile(registryId: string, fileName: string): Promise<HostedChartRow | undefined> {
    return this.db
      .selectFrom('hosted_charts')
      .selectAll()
      .where('registry_id', '=', registryId)
      .where('file_name', '=', fileName)
      .executeTakeFirst();
  }

  async chartByManifest(
    trx: Db,
    registryId: string,
    manifestDigest: string,
  ): Promise<HostedChartRow | undefined> {
    return trx
      .selectFrom('hosted_charts')
      .selectAll()
      .where('registry_id', '=', registryId)
      .where('manifest_digest', '=', manifestDigest)
      .executeTakeFirst();
  }

  /**
   * Records a chart version. A new one is a plain insert, so of two pushes racing for one version the
   * primary key lets exactly one in (the other fails with a unique violation); `replace` overwrites an
   * existing one (force, or a re-push adding provenance).
   */
  async saveChart(trx: Db, row: HostedChartRow, replace: boolean): Promise<void> {
    if (!replace) {
      await trx.insertInto('hosted_charts').values(row).execute();
      return;
    }
    const { registry_id: _r, chart_name: _n, version: _v, created_at: _c, ...changes } = row;
    await trx
      .updateTable('hosted_charts')
      .set(changes)
      .where('registry_id', '=', row.registry_id)
      .where('chart_name', '=', row.chart_name)
      .where('version', '=', row.version)
      .execute();
  }

  async deleteChart(trx: Db, registryId: string, name: string, version: string): Promise<void> {
    await trx
      .deleteFrom('hosted_charts')
      .where('registry_id', '=', registryId)
      .where('chart_name', '=', name)
      .where('version', '=', version)
      .execute();
    await trx
      .deleteFrom('chart_versions')
      .where('registry_id', '=', registryId)
      .where('chart_name', '=', name)
      .where('version', '=', version)
      .execute();
  }

  /** Every chart version with its catalog row, for index.yaml and the ChartMuseum listing. */
  async chartEntries(registryId: string): Promise<{ chart: HostedChartRow; catalog: CatalogColumns }[]> {
    const rows = await this.db
      .selectFrom('hosted_charts as h')
      .innerJoin('chart_versions as v', (j) =>
        j
          .onRef('v.registry_id', '=', 'h.registry_id')
          .onRef('v.chart_name', '=', 'h.chart_name')
          .onRef('v.version', '=', 'h.version'),
      )
      .selectAll('h')
      .select([
        'v.sort_key',
        'v.app_version',
        'v.api_version',
        'v.type',
        'v.description',
        'v.icon',
        'v.home',
        'v.sources',
        'v.keywords',
        'v.maintainers',
        'v.kube_version',
        'v.deprecated',
        'v.dependencies',
        'v.annotations',
        'v.created',
      ])
      .where('h.registry_id', '=', registryId)
      .execute();
    return rows.map((r) => {
      const {
        sort_key,
        app_version,
        api_version,
        type,
        description,
        icon,
        home,
        sources,
        keywords,
        ...rest
      } = r;
      const { maintainers, kube_version, deprecated, dependencies, annotations, created, ...chart } = rest;
      return {
        chart,
        catalog: {
          sort_key,
          app_version,
          api_version,
          type,
          description,
          icon,
          home,
          sources,
          keywords,
          maintainers,
          kube_version,
          deprecated,
          dependencies,
          annotations,
          created,
        },
      };
    });
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

export interface CatalogColumns {
  sort_key: string;
  app_version: string | null;
  api_version: string | null;
  type: string | null;
  description: string | null;
  icon: string | null;
  home: string | null;
  sources: string;
  keywords: string;
  maintainers: string;
  kube_version: string | null;
  deprecated: number;
  dependencies: string;
  annotations: string;
  created: string | null;
}

function toState(row: {
  id: string;
  scope: string;
  name: string;
  hosted_public_read?: number;
  hosted_revision?: number;
  last_synced_at: string | null;
}): HostedRegistryState {
  return {
    id: row.id,
    scope: row.scope,
    name: row.name,
    publicRead: row.hosted_public_read === 1,
    revision: Number(row.hosted_revision ?? 0),
    lastWrite: row.last_synced_at,
  };
}
