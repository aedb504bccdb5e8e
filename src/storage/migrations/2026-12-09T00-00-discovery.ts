import { PostgresAdapter, type Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Brownfield discovery (discovery/). `discovery_runs`: one per discovery of a cluster, like sync runs
 * (trigger, status, times, counts, warnings); an agent cluster's "Discover now" is a `requested` run
 * until its agent posts what it found. `discovered_releases`: the newest revision of each release a
 * run found; a cluster's current releases are those of its newest finished run (older runs' rows are
 * deleted when a run finishes). `release_charts`: the chart stored inside a release, gzipped JSON keyed
 * by its sha256 (many revisions and releases share one), kept while a release row names it, for
 * "Sync discovered charts". `chart_files.fingerprint`: the content fingerprint of a catalog archive
 * (Chart.yaml fields and template hashes), which matching compares with a release's.
 * `clusters.release_values`: whether the values users supplied to releases are kept (sealed) or not;
 * `clusters.discovery_request`: an agent cluster's pending "Discover now" (JSON {run, namespaces}),
 * which the agent learns from its heartbeat's answer (its cluster row is read there anyway).
 */
export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('discovery_runs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
    .addColumn('trigger', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('namespaces', 'text')
    .addColumn('requested_by', 'varchar(64)')
    .addColumn('requested_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)')
    .addColumn('finished_at', 'varchar(32)')
    .addColumn('objects', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('releases', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('helm2', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('matched', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('warnings', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('error', 'text')
    .addColumn('error_code', 'varchar(64)')
    .execute();
  await db.schema
    .createIndex('discovery_runs_cluster_idx')
    .on('discovery_runs')
    .columns(['cluster_id', 'requested_at', 'id'])
    .execute();
  await db.schema
    .createTable('release_charts')
    .addColumn('digest', 'varchar(71)', (c) => c.primaryKey())
    .addColumn('body', postgres ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('discovered_releases')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
    .addColumn('run_id', 'varchar(36)', (c) =>
      c.notNull().references('discovery_runs.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(253)', (c) => c.notNull())
    .addColumn('namespace', 'varchar(63)', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('status', 'varchar(64)', (c) => c.notNull())
    .addColumn('chart_name', 'varchar(253)', (c) => c.notNull())
    .addColumn('chart_version', 'varchar(256)', (c) => c.notNull())
    .addColumn('app_version', 'text')
    .addColumn('first_deployed', 'varchar(64)')
    .addColumn('last_deployed', 'varchar(64)')
    .addColumn('driver', 'varchar(16)', (c) => c.notNull())
    .addColumn('helm_major', 'integer', (c) => c.notNull())
    .addColumn('chart_digest', 'varchar(71)')
    .addColumn('fingerprint', 'varchar(64)')
    .addColumn('dependencies', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('values_enc', 'text')
    .addColumn('values_state', 'varchar(16)', (c) => c.notNull())
    .addColumn('sync_outcome', 'varchar(32)')
    .addColumn('sync_message', 'text')
    .addColumn('synced_at', 'varchar(32)')
    .addUniqueConstraint('discovered_releases_run_release_uq', ['run_id', 'namespace', 'name'])
    .execute();
  await db.schema
    .createIndex('discovered_releases_cluster_idx')
    .on('discovered_releases')
    .columns(['cluster_id', 'namespace', 'name'])
    .execute();
  await db.schema
    .createIndex('discovered_releases_chart_idx')
    .on('discovered_releases')
    .column('chart_digest')
    .execute();
  await db.schema.alterTable('chart_files').addColumn('fingerprint', 'varchar(64)').execute();
  await db.schema
    .alterTable('clusters')
    .addColumn('release_values', 'varchar(16)', (c) => c.notNull().defaultTo('sealed'))
    .execute();
  await db.schema.alterTable('clusters').addColumn('discovery_request', 'text').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('clusters').dropColumn('discovery_request').execute();
  await db.schema.alterTable('clusters').dropColumn('release_values').execute();
  await db.schema.alterTable('chart_files').dropColumn('fingerprint').execute();
  await db.schema.dropTable('discovered_releases').execute();
  await db.schema.dropTable('release_charts').execute();
  await db.schema.dropTable('discovery_runs').execute();
}
