import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  ChartVersionsTable,
  Database,
  HelmRegistriesTable,
  HostedChartsTable,
} from '../storage/schema.js';

export type HostedChartRow = Selectable<HostedChartsTable>;

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

export type Db = Kysely<Database> | Transaction<Database>;

/**
 * Storage of hosted registries: the registry's own state and its chart versions (OCI blobs, manifests,
 * tags and uploads are in oci.repository.ts). Every method takes the registry id, so one tenant's
 * store is never read through another's.
 */
export class HostedRepository {
  constructor(private readonly db: Kysely<Database>) {}

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

  /** The whole registry row, for the console's view of a hosted registry. */
  async registryRow(id: string): Promise<Selectable<HelmRegistriesTable> | undefined> {
    return this.db.selectFrom('helm_registries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Every tenant (id and slug): each has a hosted registry. */
  async tenants(): Promise<{ id: string; name: string }[]> {
    return this.db.selectFrom('tenants').select(['id', 'name']).execute();
  }

  /** Every hosted registry's endpoint, by scope. */
  async endpoints(): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('helm_registries')
      .select(['scope', 'endpoint'])
      .where('kind', '=', 'hosted')
      .execute();
    return new Map(rows.map((r) => [r.scope, r.endpoint]));
  }

  /** Re-points a hosted registry at a new endpoint (the public URL changed); a no-op when it is there. */
  async setEndpoint(id: string, endpoint: string): Promise<void> {
    await this.db
      .updateTable('helm_registries')
      .set({ endpoint })
      .where('id', '=', id)
      .where('endpoint', '!=', endpoint)
      .execute();
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

  /** The OCI manifest digest of one chart version (null while it has none, undefined when there is no such version). */
  async manifestDigest(
    registryId: string,
    name: string,
    version: string,
  ): Promise<string | null | undefined> {
    const row = await this.db
      .selectFrom('hosted_charts')
      .select('manifest_digest')
      .where('registry_id', '=', registryId)
      .where('chart_name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    return row?.manifest_digest;
  }

  /** The archive and provenance blobs of every chart version. */
  async chartBlobDigests(registryId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('hosted_charts')
      .select(['chart_digest', 'prov_digest'])
      .where('registry_id', '=', registryId)
      .execute();
    return rows.flatMap((r) => (r.prov_digest === null ? [r.chart_digest] : [r.chart_digest, r.prov_digest]));
  }

  /** Every hosted registry's id (the janitor visits each). */
  async registryIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('helm_registries')
      .select('id')
      .where('kind', '=', 'hosted')
      .execute();
    return rows.map((r) => r.id);
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

  /** The chart version whose manifest is `manifestDigest`, outside any transaction. */
  async chartOfManifest(registryId: string, manifestDigest: string): Promise<HostedChartRow | undefined> {
    return this.chartByManifest(this.db, registryId, manifestDigest);
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
      .select(CATALOG_COLUMNS.map((c) => `v.${c}` as const))
      .where('h.registry_id', '=', registryId)
      .execute();
    // Each row holds both sets of columns (their names do not overlap).
    return rows.map((row) => ({ chart: row, catalog: row }));
  }
}

const CATALOG_COLUMNS = [
  'sort_key',
  'app_version',
  'api_version',
  'type',
  'description',
  'icon',
  'home',
  'sources',
  'keywords',
  'maintainers',
  'kube_version',
  'deprecated',
  'dependencies',
  'annotations',
  'created',
] as const satisfies ReadonlyArray<keyof ChartVersionsTable>;

/** The catalog columns index.yaml and the ChartMuseum API show beside a hosted chart's own row. */
export type CatalogColumns = Pick<ChartVersionsTable, (typeof CATALOG_COLUMNS)[number]>;

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
