import type { Kysely, Selectable } from 'kysely';
import type { ChartFilesTable, Database } from '../storage/schema.js';

export type ChartFilesRow = Selectable<ChartFilesTable>;

/** Files read from chart archives, by the archive's sha256 (64 lowercase hex). Rows are never updated. */
export class ChartFilesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(digest: string): Promise<ChartFilesRow | undefined> {
    return this.db.selectFrom('chart_files').selectAll().where('digest', '=', digest).executeTakeFirst();
  }

  /**
   * Stores a digest's files once. Content-addressed, so a row written meanwhile by another process holds
   * the same files: a conflict is simply ignored.
   */
  async save(row: ChartFilesRow): Promise<void> {
    await this.db
      .insertInto('chart_files')
      .values(row)
      .onConflict((oc) => oc.column('digest').doNothing())
      .execute();
  }
}
