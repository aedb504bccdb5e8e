import { PostgresAdapter, type Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types, shared SQL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Chart icons fetched from the URL a Chart.yaml names (icons/icon.service.ts), one row per URL, keyed
 * by the URL's sha256: public content, shared by every tenant whose charts name the same URL. A row
 * is either the icon (`content`, its sha256 and sniffed type) or a remembered failure (`error_*`),
 * each until `expires_at`. Icons are at most 256 KiB, so the bytes sit in the row.
 */
export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('chart_icons')
    .addColumn('url_digest', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('content_digest', 'varchar(64)')
    .addColumn('media_type', 'varchar(32)')
    .addColumn('content', postgres ? 'bytea' : 'blob')
    .addColumn('error_code', 'varchar(64)')
    .addColumn('error_message', 'text')
    .addColumn('fetched_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('chart_icons_content_digest')
    .on('chart_icons')
    .column('content_digest')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('chart_icons').execute();
}
