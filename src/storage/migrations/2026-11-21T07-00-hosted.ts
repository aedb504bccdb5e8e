import { PostgresAdapter, type Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * The hosted registry (src/hosted): one store per tenant and one for the system, served over the
 * classic protocol and OCI. Blob bytes live in the blob store; these tables say which tenant holds
 * which blob, the OCI manifests and tags, open uploads, and the chart versions with their archives.
 * The catalog row of each chart version stays in chart_versions (under the hosted registry's id), so
 * search, detail and profiles see hosted charts like any other.
 */
export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .alterTable('helm_registries')
    .addColumn('hosted_public_read', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Bumped by every write to a hosted registry: index.yaml caches compare it, on every server.
  await db.schema
    .alterTable('helm_registries')
    .addColumn('hosted_revision', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('hosted_blobs')
    .addColumn('registry_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('digest', 'varchar(71)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('hosted_blobs_pk', ['registry_id', 'digest'])
    .execute();

  await db.schema
    .createTable('hosted_manifests')
    .addColumn('registry_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('repository', 'varchar(255)', (c) => c.notNull())
    .addColumn('digest', 'varchar(71)', (c) => c.notNull())
    .addColumn('media_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('content', postgres ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('hosted_manifests_pk', ['registry_id', 'repository', 'digest'])
    .execute();

  await db.schema
    .createTable('hosted_tags')
    .addColumn('registry_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('repository', 'varchar(255)', (c) => c.notNull())
    .addColumn('tag', 'varchar(128)', (c) => c.notNull())
    .addColumn('digest', 'varchar(71)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('hosted_tags_pk', ['registry_id', 'repository', 'tag'])
    .execute();

  await db.schema
    .createTable('hosted_charts')
    .addColumn('registry_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('chart_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('version', 'varchar(256)', (c) => c.notNull())
    // "<name>-<version>.tgz": the download path names the file, not the pair.
    .addColumn('file_name', 'varchar(520)', (c) => c.notNull())
    .addColumn('chart_digest', 'varchar(71)', (c) => c.notNull())
    .addColumn('chart_size', 'bigint', (c) => c.notNull())
    .addColumn('prov_digest', 'varchar(71)')
    .addColumn('prov_size', 'bigint')
    // The OCI manifest the version's tag points at; null for a chart name OCI cannot hold.
    .addColumn('manifest_digest', 'varchar(71)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('hosted_charts_pk', ['registry_id', 'chart_name', 'version'])
    .execute();
  await db.schema
    .createIndex('hosted_charts_file')
    .on('hosted_charts')
    .columns(['registry_id', 'file_name'])
    .unique()
    .execute();

  await db.schema
    .createTable('hosted_uploads')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('registry_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('repository', 'varchar(255)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  // A chunked upload's pieces, each a blob of its own until the upload is closed.
  await db.schema
    .createTable('hosted_upload_parts')
    .addColumn('upload_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('digest', 'varchar(71)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('hosted_upload_parts_pk', ['upload_id', 'seq'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'hosted_upload_parts',
    'hosted_uploads',
    'hosted_charts',
    'hosted_tags',
    'hosted_manifests',
    'hosted_blobs',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('helm_registries').dropColumn('hosted_revision').execute();
  await db.schema.alterTable('helm_registries').dropColumn('hosted_public_read').execute();
}
