import type { Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Clusters and their agents (clusters/). A cluster belongs to a tenant; an agent cluster has the
 * SHA-256 of its one agent token (unique, so a token names exactly one cluster), a kubeconfig cluster
 * its kubeconfig sealed. `plan_hash`/`plan_revision`: the content of the cluster's plan as last
 * computed and its number, bumped when the content changes; `delivered_*` is what its agent last
 * fetched. Assignments are rows (a profile in use must be findable by profile); the agent's last word
 * per layer is a row; reports are kept as a short history, stale ones included.
 * `profile_layer_verifications`: the digest an agent saw for a protected layer of a published version,
 * the first verified report wins; the version's lock itself stays frozen.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('clusters')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'varchar(63)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('mode', 'varchar(16)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)')
    .addColumn('token_created_at', 'varchar(32)')
    .addColumn('kubeconfig_enc', 'text')
    .addColumn('server', 'text')
    .addColumn('plan_hash', 'varchar(64)')
    .addColumn('plan_revision', 'integer', (c) => c.notNull())
    .addColumn('delivered_revision', 'integer')
    .addColumn('delivered_at', 'varchar(32)')
    .addColumn('last_heartbeat_at', 'varchar(32)')
    .addColumn('agent_version', 'varchar(64)')
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('clusters_tenant_name_uq', ['tenant_id', 'name'])
    .execute();
  await db.schema
    .createIndex('clusters_token_hash_uq')
    .unique()
    .on('clusters')
    .column('token_hash')
    .execute();
  await db.schema
    .createTable('cluster_assignments')
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('profile_id', 'varchar(36)', (c) => c.notNull().references('cluster_profiles.id'))
    .addColumn('version', 'varchar(256)', (c) => c.notNull())
    .addColumn('variables', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('cluster_assignments_pk', ['cluster_id', 'position'])
    .execute();
  await db.schema
    .createIndex('cluster_assignments_profile_idx')
    .on('cluster_assignments')
    .column('profile_id')
    .execute();
  await db.schema
    .createTable('cluster_layer_states')
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
    .addColumn('profile_name', 'varchar(63)', (c) => c.notNull())
    .addColumn('layer_name', 'varchar(256)', (c) => c.notNull())
    .addColumn('version', 'varchar(256)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('reference', 'text')
    .addColumn('digest', 'varchar(80)')
    .addColumn('provenance', 'text')
    .addColumn('release', 'text')
    .addColumn('plan_revision', 'integer', (c) => c.notNull())
    .addColumn('reported_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('cluster_layer_states_pk', ['cluster_id', 'profile_name', 'layer_name'])
    .execute();
  await db.schema
    .createTable('cluster_reports')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
    .addColumn('plan_revision', 'integer', (c) => c.notNull())
    .addColumn('stale', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('received_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('cluster_reports_cluster_idx')
    .on('cluster_reports')
    .columns(['cluster_id', 'id'])
    .execute();
  await db.schema
    .createTable('profile_layer_verifications')
    .addColumn('version_id', 'varchar(36)', (c) =>
      c.notNull().references('profile_versions.id').onDelete('cascade'),
    )
    .addColumn('layer_name', 'varchar(256)', (c) => c.notNull())
    .addColumn('digest', 'varchar(80)', (c) => c.notNull())
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('verified_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('profile_layer_verifications_pk', ['version_id', 'layer_name'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('profile_layer_verifications').execute();
  await db.schema.dropTable('cluster_reports').execute();
  await db.schema.dropTable('cluster_layer_states').execute();
  await db.schema.dropTable('cluster_assignments').execute();
  await db.schema.dropTable('clusters').execute();
}
