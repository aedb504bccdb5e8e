import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { TEST_DB } from './server.js';

export interface FreshStorage {
  storage: Storage;
  /** Another connection (pool) to the same database, as another server process would have. */
  open: (maxConnections?: number) => Storage;
}

/**
 * Fresh databases for storage tests, each a SQLite file in a temp folder or a new PostgreSQL database
 * (TEST_DB), and what is needed to remove them all after the file.
 */
export function freshStorages(prefix: string): {
  fresh: (options?: { migrate?: boolean }) => Promise<FreshStorage>;
  removeAll: () => Promise<void>;
} {
  const dataDirs: string[] = [];
  const databases: TestDatabase[] = [];
  const opened: Storage[] = [];
  return {
    async fresh({ migrate = true } = {}) {
      const dataDir = await mkdtemp(path.join(tmpdir(), `charthouse-${prefix}-`));
      dataDirs.push(dataDir);
      let url: string | null = null;
      if (TEST_DB === 'postgres') {
        const pg = await createTestDatabase();
        databases.push(pg);
        url = pg.url;
      }
      const open = (maxConnections?: number): Storage => {
        const s = openStorage({ databaseUrl: url, dataDir, maxConnections });
        opened.push(s);
        return s;
      };
      const storage = open();
      if (migrate) await migrateToLatest(storage);
      return { storage, open };
    },
    async removeAll() {
      await Promise.all(opened.map((s) => s.close()));
      for (const pg of databases) await pg.drop();
      for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
    },
  };
}
