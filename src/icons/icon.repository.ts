import type { Kysely, Selectable } from 'kysely';
import type { ChartIconsTable, Database } from '../storage/schema.js';

export type ChartIconRow = Selectable<ChartIconsTable>;

/** Fetched chart icons and remembered failures, one row per icon URL (its sha256). The table's only writer. */
export class IconRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(urlDigest: string): Promise<ChartIconRow | undefined> {
    const row = await this.db
      .selectFrom('chart_icons')
      .selectAll()
      .where('url_digest', '=', urlDigest)
      .executeTakeFirst();
    return row && withBuffer(row);
  }

  /** A stored icon by the sha256 of its bytes (any URL that served them). */
  async findContent(contentDigest: string): Promise<ChartIconRow | undefined> {
    const row = await this.db
      .selectFrom('chart_icons')
      .selectAll()
      .where('content_digest', '=', contentDigest)
      .limit(1)
      .executeTakeFirst();
    return row && withBuffer(row);
  }

  /** Writes what the last fetch of a URL found; another process's row for the same URL is replaced. */
  async save(row: ChartIconRow): Promise<void> {
    const { url_digest: _key, ...changes } = row;
    await this.db
      .insertInto('chart_icons')
      .values(row)
      .onConflict((oc) => oc.column('url_digest').doUpdateSet(changes))
      .execute();
  }

  /** Keeps a stored icon past a failed refresh (stale beats broken) until `expiresAt`. */
  async extend(urlDigest: string, expiresAt: string): Promise<void> {
    await this.db
      .updateTable('chart_icons')
      .set({ expires_at: expiresAt })
      .where('url_digest', '=', urlDigest)
      .execute();
  }
}

/** better-sqlite3 returns a Buffer, node-postgres a Buffer too; a Uint8Array is normalised for callers. */
function withBuffer(row: ChartIconRow): ChartIconRow {
  const content = row.content;
  if (content === null || Buffer.isBuffer(content)) return row;
  const bytes = content as Uint8Array;
  return { ...row, content: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}
