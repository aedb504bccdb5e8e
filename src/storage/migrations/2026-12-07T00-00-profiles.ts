import type { Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Cluster profiles (profiles/): a profile per tenant and name, and its numbered versions. A version's
 * layers and variables are one JSON document (`spec`): they are always read and written whole, never
 * queried by field, and a published version is frozen as it is. `lock` is what publishing resolved
 * (exact versions, digests, pull references); null while the version is a draft. `revision` counts
 * writes, so a publish and an edit racing each other cannot both win (conditional updates).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('cluster_profiles')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'varchar(63)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('cluster_profiles_tenant_name_uq', ['tenant_id', 'name'])
    .execute();
  await db.schema
    .createTable('profile_versions')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('profile_id', 'varchar(36)', (c) =>
      c.notNull().references('cluster_profiles.id').onDelete('cascade'),
    )
    .addColumn('version', 'varchar(256)', (c) => c.notNull())
    .addColumn('sort_key', 'varchar(600)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('lock', 'text')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('published_by', 'varchar(64)')
    .addColumn('published_at', 'varchar(32)')
    .addUniqueConstraint('profile_versions_profile_version_uq', ['profile_id', 'version'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('profile_versions').execute();
  await db.schema.dropTable('cluster_profiles').execute();
}
