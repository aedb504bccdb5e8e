import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** OCI tags found not to be charts (digest and reason), so a sync does not fetch them again. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('helm_registries').addColumn('oci_skipped_tags', 'text').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('helm_registries').dropColumn('oci_skipped_tags').execute();
}
