import { TEST_DB } from '../server.js';

/**
 * The cluster suites exist only on PostgreSQL (SQLite is one server by design): scripts/test-all.sh
 * runs test/cluster/ on the PostgreSQL runner alone. Run on SQLite by mistake, they fail loudly
 * rather than skip, so a run that silently proved nothing cannot pass.
 */
export function requirePostgres(): void {
  if (TEST_DB !== 'postgres') {
    throw new Error(
      'test/cluster/ runs several servers on one PostgreSQL database: run it with CHARTHOUSE_TEST_DB=postgres ' +
        'and CHARTHOUSE_TEST_DATABASE_URL (scripts/test-all.sh runs it on its PostgreSQL runner only).',
    );
  }
}
