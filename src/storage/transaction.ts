import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Services open
 * their transactions here and hand the transaction to repository methods, so only repositories (and
 * this folder) build queries.
 */
export function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(work);
}
