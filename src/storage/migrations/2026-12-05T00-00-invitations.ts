import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Invitations: a tenant administrator asks a user (by username) to join; the user accepts or declines.
 * Keyed by username rather than user id, so inviting says nothing about whether the user exists.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('tenant_invitations')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('username', 'varchar(64)', (c) => c.notNull())
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('invited_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('tenant_invitations_tenant_user_uq', ['tenant_id', 'username'])
    .execute();
  await db.schema
    .createIndex('tenant_invitations_username_idx')
    .on('tenant_invitations')
    .column('username')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('tenant_invitations').execute();
}
