import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';

/** Rows per table, for the manifest: a restore is checked against them. */
export type TableCounts = Record<string, number>;

/** What a backup records about the database it copied. */
export interface DatabaseFacts {
  /** The last migration applied (names sort in the order they ran); null on an empty database. */
  migration: string | null;
  counts: TableCounts;
}

/**
 * The tables whose rows a backup counts: what users made and what the catalog holds. Job, lease and
 * session rows come and go with running servers and are left out of the comparison.
 */
const COUNTED_TABLES = [
  'users',
  'tenants',
  'memberships',
  'helm_registries',
  'chart_versions',
  'sync_runs',
  'chart_files',
  'chart_icons',
  'cluster_profiles',
  'profile_versions',
  'clusters',
  'cluster_assignments',
  'discovered_releases',
  'hosted_charts',
  'hosted_manifests',
  'hosted_tags',
  'hosted_blobs',
  'blobs',
] as const satisfies readonly (keyof Database)[];

type Db = Kysely<Database> | Transaction<Database>;

/** Reads the facts of a backup: run it inside the snapshot that is being copied. */
export async function readDatabaseFacts(db: Db): Promise<DatabaseFacts> {
  const migration = await sql<{ name: string }>`
    select name from charthouse_migrations order by name desc limit 1`
    .execute(db)
    .then((r) => r.rows[0]?.name ?? null);
  const counts: TableCounts = {};
  for (const table of COUNTED_TABLES) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return { migration, counts };
}

/**
 * The blobs a copy of the database needs from the filesystem store: every blob a hosted registry
 * holds (which covers every chart archive, provenance file, OCI config and layer: each is linked to
 * its registry when it is stored), and, apart, the pieces of OCI uploads still open.
 */
export async function referencedBlobDigests(db: Db): Promise<{ required: string[]; optional: string[] }> {
  const linked = await db.selectFrom('hosted_blobs').select('digest').distinct().execute();
  const charts = await db.selectFrom('hosted_charts').select(['chart_digest', 'prov_digest']).execute();
  const required = new Set(linked.map((r) => r.digest));
  for (const c of charts) {
    required.add(c.chart_digest);
    if (c.prov_digest !== null) required.add(c.prov_digest);
  }
  const parts = await db.selectFrom('hosted_upload_parts').select('digest').distinct().execute();
  const optional = parts.map((r) => r.digest).filter((d) => !required.has(d));
  return { required: [...required].sort(), optional: optional.sort() };
}

/** A server process that has heartbeated lately. */
export interface LiveWorker {
  host: string;
  pid: number;
  heartbeatAt: string;
}

/** Server processes whose heartbeat is newer than `since`: a restore must not run under them. */
export async function liveWorkers(db: Db, since: Date): Promise<LiveWorker[]> {
  const hasTable = await tableExists(db, 'job_workers');
  if (!hasTable) return [];
  const rows = await db
    .selectFrom('job_workers')
    .select(['host', 'pid', 'heartbeat_at'])
    .where('heartbeat_at', '>', since.toISOString())
    .execute();
  return rows.map((r) => ({ host: r.host, pid: Number(r.pid), heartbeatAt: r.heartbeat_at }));
}

/** Whether the PostgreSQL database holds any table in its current schema (a restore would replace it). */
export async function postgresHasTables(db: Db): Promise<boolean> {
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from information_schema.tables where table_schema = current_schema()`.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}

async function tableExists(db: Db, table: string): Promise<boolean> {
  try {
    await sql`select 1 from ${sql.table(table)} limit 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `work` inside a REPEATABLE READ transaction whose snapshot is exported (`pg_export_snapshot`),
 * with the facts read in that snapshot: `pg_dump --snapshot` then dumps exactly what the facts
 * describe, however many servers write meanwhile. The transaction stays open until `work` ends.
 */
export async function withExportedSnapshot<T>(
  db: Kysely<Database>,
  work: (snapshotId: string, facts: DatabaseFacts) => Promise<T>,
): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const { rows } = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(trx);
      const id = rows[0]?.id;
      if (!id) throw new Error('PostgreSQL exported no snapshot');
      return work(id, await readDatabaseFacts(trx));
    });
}
