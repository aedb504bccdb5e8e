import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time like every migration: Kysely<unknown-schema>, no app types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * A signal that `helm_registries` changed, raised by the database itself so that every writer counts
 * (API, hosted pushes, sync worker threads on their own connections, tenant deletion, the CLI): servers
 * keep the registry rows a request needs in memory and must learn when they go stale.
 *
 * SQLite: `registry_generation`, one row whose counter every insert, update or delete of a registry
 * moves in the writer's own transaction; the one server reads it (microseconds, no Kysely) per request.
 * PostgreSQL: a statement trigger sends NOTIFY `charthouse_registries` at commit to every server that
 * listens. The dialects differ here because what is cheap differs: a PostgreSQL read is a round trip.
 */
export async function up(db: AnyDb): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create function charthouse_registries_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('charthouse_registries', '');
        return null;
      end $$`.execute(db);
    await sql`create trigger helm_registries_changed
      after insert or update or delete or truncate on helm_registries
      for each statement execute procedure charthouse_registries_changed()`.execute(db);
    return;
  }
  await db.schema
    .createTable('registry_generation')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .execute();
  await sql`insert into registry_generation (id, generation) values (1, 0)`.execute(db);
  for (const event of ['insert', 'update', 'delete']) {
    await sql
      .raw(
        `create trigger helm_registries_${event} after ${event} on helm_registries begin
           update registry_generation set generation = generation + 1 where id = 1;
         end`,
      )
      .execute(db);
  }
}

export async function down(db: AnyDb): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop trigger helm_registries_changed on helm_registries`.execute(db);
    await sql`drop function charthouse_registries_changed()`.execute(db);
    return;
  }
  for (const event of ['insert', 'update', 'delete']) {
    await sql.raw(`drop trigger helm_registries_${event}`).execute(db);
  }
  await db.schema.dropTable('registry_generation').execute();
}
