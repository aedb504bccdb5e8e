import type { Kysely } from 'kysely';

// Migrations are frozen in time: they take Kysely<unknown-schema> and never import the app's types,
// and use only SQL that SQLite and PostgreSQL share.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text')
    .addColumn('is_system_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(63)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(200)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('memberships')
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['tenant_id', 'user_id'])
    .execute();
  await db.schema.createIndex('memberships_user_idx').on('memberships').column('user_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('last_used_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_tokens_user_idx').on('api_tokens').column('user_id').execute();

  await db.schema
    .createTable('helm_registries')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('scope', 'varchar(36)', (c) => c.notNull())
    .addColumn('name', 'varchar(63)', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('endpoint', 'varchar(2048)', (c) => c.notNull())
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('auth_type', 'varchar(16)', (c) => c.notNull().defaultTo('none'))
    .addColumn('username', 'varchar(256)')
    .addColumn('password_enc', 'text')
    .addColumn('pass_credentials', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tls_ca_cert', 'text')
    .addColumn('tls_insecure_skip_verify', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('plain_http', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('oci_repositories', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('sync_interval_minutes', 'integer', (c) => c.notNull().defaultTo(60))
    .addColumn('sync_status', 'varchar(16)', (c) => c.notNull())
    .addColumn('last_synced_at', 'varchar(32)')
    .addColumn('last_error', 'text')
    .addColumn('chart_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('version_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('helm_registries_scope_name_uq', ['scope', 'name'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of ['helm_registries', 'api_tokens', 'memberships', 'tenants', 'users']) {
    await db.schema.dropTable(t).execute();
  }
}
