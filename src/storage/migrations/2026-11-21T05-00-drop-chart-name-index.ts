import type { Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * The chart-name index served a SQL catalog search across registries; search now runs over an
 * in-memory list per registry (catalog.index.ts), every remaining query names the registry first and
 * uses the (registry_id, chart_name, ...) indexes. The index cost a B-tree update per stored version:
 * about 10% of a 20,000-version first sync's write (bench/catalog-write.bench.ts).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('chart_versions_chart_name_idx').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('chart_versions_chart_name_idx')
    .on('chart_versions')
    .column('chart_name')
    .execute();
}
