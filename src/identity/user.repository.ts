import type { Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, Database, UsersTable } from '../storage/schema.js';

export type UserRow = Selectable<UsersTable>;
export type TokenRow = Selectable<ApiTokensTable>;

/** Storage of users and their tokens (sessions and personal API tokens, by hash only). */
export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insert(user: UserRow): Promise<void> {
    await this.db.insertInto('users').values(user).execute();
  }

  async countSystemAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('is_system_admin', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertToken(token: TokenRow): Promise<void> {
    await this.db.insertInto('api_tokens').values(token).execute();
  }

  /** The token and its user, if the hash is known and not expired at `now`. */
  async findActiveToken(
    tokenHash: string,
    now: string,
  ): Promise<{ token: TokenRow; user: UserRow } | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id as t_id',
        'api_tokens.user_id as t_user_id',
        'api_tokens.name as t_name',
        'api_tokens.kind as t_kind',
        'api_tokens.token_hash as t_hash',
        'api_tokens.expires_at as t_expires_at',
        'api_tokens.last_used_at as t_last_used_at',
        'api_tokens.created_at as t_created_at',
        'users.id',
        'users.username',
        'users.password_hash',
        'users.is_system_admin',
        'users.created_at',
      ])
      .where('api_tokens.token_hash', '=', tokenHash)
      .where((eb) => eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', now)]))
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      token: {
        id: row.t_id,
        user_id: row.t_user_id,
        name: row.t_name,
        kind: row.t_kind,
        token_hash: row.t_hash,
        expires_at: row.t_expires_at,
        last_used_at: row.t_last_used_at,
        created_at: row.t_created_at,
      },
      user: {
        id: row.id,
        username: row.username,
        password_hash: row.password_hash,
        is_system_admin: row.is_system_admin,
        created_at: row.created_at,
      },
    };
  }

  /** A user's personal API tokens not yet expired at `now`, newest first (never the hashes). */
  listPersonalTokens(
    userId: string,
    now: string,
  ): Promise<Array<Pick<TokenRow, 'id' | 'name' | 'created_at' | 'last_used_at' | 'expires_at'>>> {
    return this.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'created_at', 'last_used_at', 'expires_at'])
      .where('user_id', '=', userId)
      .where('kind', '=', 'personal')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
  }

  /** Deletes one of the user's tokens of `kind`; its hash when there was one (another user's is none). */
  async deleteToken(userId: string, id: string, kind: TokenRow['kind']): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .select('token_hash')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (!row) return undefined;
    await this.db.deleteFrom('api_tokens').where('id', '=', id).where('user_id', '=', userId).execute();
    return row.token_hash;
  }

  async deleteTokenByHash(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('api_tokens').where('token_hash', '=', tokenHash).execute();
  }

  async touchToken(id: string, now: string): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  async deleteExpiredTokens(now: string): Promise<void> {
    await this.db
      .deleteFrom('api_tokens')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .execute();
  }
}
