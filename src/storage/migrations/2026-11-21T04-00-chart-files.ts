import type { Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Files read from chart archives (values.yaml, README.md, values.schema.json), keyed by the archive's
 * sha256: content-addressed, so one row serves every registry and version with the same archive, and it
 * never goes stale. No foreign key to chart_versions for the same reason.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('chart_files')
    .addColumn('digest', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('values_yaml', 'text')
    .addColumn('readme', 'text')
    .addColumn('values_schema', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('chart_files').execute();
}
