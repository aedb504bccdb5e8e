import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** The columns of helm_registries that were a sync's runtime state, in the order they are copied. */
const MOVED = ['sync_etag', 'sync_last_modified', 'sync_content_digest', 'oci_skipped_tags'] as const;

/**
 * Background jobs (src/jobs/) and a registry's sync state apart from its settings.
 *
 * - `job_workers`: one row per server process, its heartbeat refreshed every few seconds. A lease is
 *   held only while its owner's heartbeat is fresh, so a process killed outright frees its leases
 *   within a minute instead of after a fixed time-to-live.
 * - `job_leases`: at most one holder per job key (`registry-sync:<id>`, `hosted-sweep`, …).
 * - `job_schedule`: when a process-wide periodic job (the hosted sweep) runs next, and its backoff.
 * - `registry_sync_state`: what the sync engine learns about a registry (conditional-GET validators,
 *   OCI tags that are not charts, the failure count behind the backoff, the next due time), moved out of
 *   helm_registries with the lease columns, which job_leases replaces. Copied first: nothing is lost.
 *
 * Frozen: it names tables and columns as they are on this date and imports nothing from the app.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('registry_sync_state')
    .addColumn('registry_id', 'varchar(36)', (c) =>
      c.primaryKey().references('helm_registries.id').onDelete('cascade'),
    )
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('content_digest', 'varchar(64)')
    .addColumn('oci_skipped_tags', 'text')
    .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_sync_at', 'varchar(32)')
    .execute();
  await db.schema
    .createIndex('registry_sync_state_next_sync_idx')
    .on('registry_sync_state')
    .column('next_sync_at')
    .execute();
  await sql`
    insert into registry_sync_state
      (registry_id, etag, last_modified, content_digest, oci_skipped_tags, failure_count, next_sync_at)
    select id, sync_etag, sync_last_modified, sync_content_digest, oci_skipped_tags,
           coalesce(failure_count, 0), next_sync_at
      from helm_registries
     where kind in ('helm', 'oci')`.execute(db);

  await db.schema
    .createTable('job_workers')
    .addColumn('id', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('heartbeat_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('job_leases')
    .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(64)', (c) => c.notNull())
    .addColumn('owner', 'varchar(100)', (c) => c.notNull())
    .addColumn('acquired_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('job_leases_kind_idx').on('job_leases').column('kind').execute();
  await db.schema
    .createTable('job_schedule')
    .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('next_run_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();

  // SQLite refuses to drop an indexed column, so the index goes first.
  await db.schema.dropIndex('helm_registries_next_sync_idx').execute();
  for (const column of [...MOVED, 'failure_count', 'next_sync_at', 'lease_owner', 'lease_expires_at']) {
    await db.schema.alterTable('helm_registries').dropColumn(column).execute();
  }
}

export async function down(db: AnyDb): Promise<void> {
  const columns: Array<[string, string, boolean]> = [
    ['sync_etag', 'text', false],
    ['sync_last_modified', 'text', false],
    ['sync_content_digest', 'varchar(64)', false],
    ['oci_skipped_tags', 'text', false],
    ['failure_count', 'integer', true],
    ['next_sync_at', 'varchar(32)', false],
    ['lease_owner', 'varchar(100)', false],
    ['lease_expires_at', 'varchar(32)', false],
  ];
  for (const [name, type, counter] of columns) {
    await db.schema
      .alterTable('helm_registries')
      .addColumn(name, sql.raw(type), (c) => (counter ? c.notNull().defaultTo(0) : c))
      .execute();
  }
  await sql`
    update helm_registries set
      sync_etag = (select etag from registry_sync_state s where s.registry_id = helm_registries.id),
      sync_last_modified = (select last_modified from registry_sync_state s where s.registry_id = helm_registries.id),
      sync_content_digest = (select content_digest from registry_sync_state s where s.registry_id = helm_registries.id),
      oci_skipped_tags = (select oci_skipped_tags from registry_sync_state s where s.registry_id = helm_registries.id),
      failure_count = coalesce((select failure_count from registry_sync_state s where s.registry_id = helm_registries.id), 0),
      next_sync_at = (select next_sync_at from registry_sync_state s where s.registry_id = helm_registries.id)`.execute(
    db,
  );
  await db.schema
    .createIndex('helm_registries_next_sync_idx')
    .on('helm_registries')
    .column('next_sync_at')
    .execute();
  await db.schema.dropTable('job_schedule').execute();
  await db.schema.dropTable('job_leases').execute();
  await db.schema.dropTable('job_workers').execute();
  await db.schema.dropTable('registry_sync_state').execute();
}
