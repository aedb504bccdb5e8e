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

/**
 * The database and a transaction as services hold them: handles to pass to repository methods and to
 * {@link inTransaction}, named here so that only repositories and this folder import the table types.
 */
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
