import type { Kysely, Selectable } from 'kysely';
import type { ChartFilesTable, Database } from '../storage/schema.js';

export type ChartFilesRow = Selectable<ChartFilesTable>;

/**
 * Files read from chart archives, by the archive's sha256 (64 lowercase hex). Rows are only ever
 * completed: a row stored before content fingerprints existed gets its fingerprint, nothing else changes.
 */
export class ChartFilesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(digest: string): Promise<ChartFilesRow | undefined> {
    return this.db.selectFrom('chart_files').selectAll().where('digest', '=', digest).executeTakeFirst();
  }

  /**
   * Stores a digest's files once. Content-addressed, so a row written meanwhile by another process holds
   * the same files: a conflict keeps it, only filling in its fingerprint when it has none (a row stored
   * before fingerprints existed).
   */
  async save(row: ChartFilesRow): Promise<void> {
    await this.db
      .insertInto('chart_files')
      .values(row)
      .onConflict((oc) =>
        row.fingerprint === null
          ? oc.column('digest').doNothing()
          : oc
              .column('digest')
              .doUpdateSet({ fingerprint: row.fingerprint })
              .where('chart_files.fingerprint', 'is', null),
      )
      .execute();
  }
}
