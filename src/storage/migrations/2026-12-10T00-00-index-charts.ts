import type { Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * `registry_sync_state.index_charts`: JSON digests of a classic index's charts as last normalized
 * (sync/index-sync.ts ChartDigests), so a re-sync parses only the charts whose lines changed.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('registry_sync_state').addColumn('index_charts', 'text').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('registry_sync_state').dropColumn('index_charts').execute();
}
