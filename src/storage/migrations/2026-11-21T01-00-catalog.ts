import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * The chart catalog filled by sync, the record of every sync run, and the per-registry sync state
 * (conditional-GET validators, the cross-process lease, the schedule).
 */
export async function up(db: AnyDb): Promise<void> {
  // The one place the dialects differ: `sort_key` must order byte-wise (the protocol layer builds it so
  // that byte order is SemVer order), and chart names page by byte order on both databases. SQLite's
  // default BINARY collation already is byte order; PostgreSQL's follows the database locale (en_US
  // ignores punctuation, so "1.10" vs "1-1" would sort differently), hence an explicit "C" there. The two
  // have no collation name in common.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const bytewise = (length: number) => sql.raw(`varchar(${length})${postgres ? ' collate "C"' : ''}`);

  await db.schema
    .createTable('chart_versions')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('registry_id', 'varchar(36)', (c) =>
      c.notNull().references('helm_registries.id').onDelete('cascade'),
    )
    // Lengths fit the protocol layer's limits (names 250, versions 256 characters; a sort key of a
    // 256-character version is at most ~650): PostgreSQL enforces them, SQLite does not.
    .addColumn('chart_name', bytewise(255), (c) => c.notNull())
    .addColumn('version', 'varchar(256)', (c) => c.notNull())
    .addColumn('sort_key', bytewise(1024), (c) => c.notNull())
    // Free-form upstream strings are `text`: PostgreSQL enforces varchar lengths and SQLite does not, so a
    // length limit here would fail a sync on one database only.
    .addColumn('app_version', 'text')
    .addColumn('api_version', 'text')
    .addColumn('type', 'text')
    .addColumn('description', 'text')
    .addColumn('icon', 'text')
    .addColumn('home', 'text')
    .addColumn('sources', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('keywords', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('maintainers', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('kube_version', 'text')
    .addColumn('deprecated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'text')
    // An OCI manifest digest with its algorithm ("sha256:" + 64 hex) is 71 characters: no varchar(64).
    .addColumn('digest', 'text')
    .addColumn('urls', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('chart_url', 'text')
    .addColumn('dependencies', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('annotations', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('content_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('republished', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_seen_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('chart_versions_registry_chart_version_uq', ['registry_id', 'chart_name', 'version'])
    .execute();
  // A chart's versions newest first, and the chart names of one registry.
  await db.schema
    .createIndex('chart_versions_registry_chart_sort_idx')
    .on('chart_versions')
    .columns(['registry_id', 'chart_name', 'sort_key'])
    .execute();
  // Name lookups across registries (catalog search); full-text search comes later.
  await db.schema
    .createIndex('chart_versions_chart_name_idx')
    .on('chart_versions')
    .column('chart_name')
    .execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('registry_id', 'varchar(36)', (c) =>
      c.notNull().references('helm_registries.id').onDelete('cascade'),
    )
    .addColumn('trigger', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(32)')
    .addColumn('added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('removed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('warnings', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('error', 'text')
    .addColumn('error_code', 'varchar(64)')
    .execute();
  // `id` last: the tie-breaker of the newest-first keyset listing.
  await db.schema
    .createIndex('sync_runs_registry_started_idx')
    .on('sync_runs')
    .columns(['registry_id', 'started_at', 'id'])
    .execute();

  // SQLite adds one column per ALTER TABLE statement.
  const registryColumns: Array<[string, string, boolean]> = [
    ['sync_etag', 'text', false],
    ['sync_last_modified', 'text', false],
    ['sync_content_digest', 'varchar(64)', false],
    ['lease_owner', 'varchar(100)', false],
    ['lease_expires_at', 'varchar(32)', false],
    ['next_sync_at', 'varchar(32)', false],
    ['failure_count', 'integer', true],
    ['max_index_bytes', 'integer', false],
  ];
  for (const [name, type, counter] of registryColumns) {
    await db.schema
      .alterTable('helm_registries')
      .addColumn(name, sql.raw(type), (c) => (counter ? c.notNull().defaultTo(0) : c))
      .execute();
  }
  await db.schema
    .createIndex('helm_registries_next_sync_idx')
    .on('helm_registries')
    .column('next_sync_at')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  // SQLite refuses to drop an indexed column, so the index goes first.
  await db.schema.dropIndex('helm_registries_next_sync_idx').execute();
  for (const column of [
    'max_index_bytes',
    'failure_count',
    'next_sync_at',
    'lease_expires_at',
    'lease_owner',
    'sync_content_digest',
    'sync_last_modified',
    'sync_etag',
  ]) {
    await db.schema.alterTable('helm_registries').dropColumn(column).execute();
  }
  await db.schema.dropTable('sync_runs').execute();
  await db.schema.dropTable('chart_versions').execute();
}
