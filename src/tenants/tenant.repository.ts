import type { Kysely, Selectable } from 'kysely';
import type { Database, MembershipsTable, TenantsTable } from '../storage/schema.js';

export type TenantRow = Selectable<TenantsTable>;
export type MembershipRow = Selectable<MembershipsTable>;
export type TenantRole = MembershipRow['role'];

/** How a change to one membership ended. */
export type MembershipChange = 'changed' | 'unchanged' | 'not_member' | 'last_admin';

/** Storage of tenants and their memberships. */
export class TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findByName(name: string): Promise<TenantRow | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
  }

  list(limit: number, afterName?: string): Promise<TenantRow[]> {
    let q = this.db.selectFrom('tenants').selectAll();
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    return q.orderBy('name').limit(limit).execute();
  }

  async findById(id: string): Promise<TenantRow | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insert(row: TenantRow): Promise<void> {
    await this.db.insertInto('tenants').values(row).execute();
  }

  findMembership(tenantId: string, userId: string): Promise<MembershipRow | undefined> {
    return this.db
      .selectFrom('memberships')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  /** A user's tenants with the role held in each, by tenant name. */
  membershipsOf(
    userId: string,
  ): Promise<Array<{ name: string; display_name: string; role: 'admin' | 'member' }>> {
    return this.db
      .selectFrom('memberships')
      .innerJoin('tenants', 'tenants.id', 'memberships.tenant_id')
      .select(['tenants.name', 'tenants.display_name', 'memberships.role'])
      .where('memberships.user_id', '=', userId)
      .orderBy('tenants.name')
      .execute();
  }

  listMembers(
    tenantId: string,
  ): Promise<Array<{ username: string; role: 'admin' | 'member'; created_at: string }>> {
    return this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.username', 'memberships.role', 'memberships.created_at'])
      .where('memberships.tenant_id', '=', tenantId)
      .orderBy('users.username')
      .execute();
  }

  /** A member of the tenant by username, with their role; undefined for anyone else. */
  findMember(
    tenantId: string,
    username: string,
  ): Promise<{ user_id: string; username: string; role: TenantRole; created_at: string } | undefined> {
    return this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['memberships.user_id', 'users.username', 'memberships.role', 'memberships.created_at'])
      .where('memberships.tenant_id', '=', tenantId)
      .where('users.username', '=', username)
      .executeTakeFirst();
  }

  /** Adds a membership unless the user already has one (whose role then stays); true when added. */
  async addMembership(row: MembershipRow): Promise<boolean> {
    const result = await this.db
      .insertInto('memberships')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /**
   * Sets a member's role (`null` removes them), refusing to leave the tenant without an administrator.
   * The tenant row is locked first (a no-op UPDATE holds its row lock on PostgreSQL and the write lock
   * on SQLite until commit), so two administrators demoting each other at once cannot both pass the count.
   */
  changeMembership(tenantId: string, userId: string, role: TenantRole | null): Promise<MembershipChange> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('tenants')
        .set((eb) => ({ name: eb.ref('name') }))
        .where('id', '=', tenantId)
        .execute();
      const member = await trx
        .selectFrom('memberships')
        .select('role')
        .where('tenant_id', '=', tenantId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!member) return 'not_member';
      if (member.role === role) return 'unchanged';
      if (member.role === 'admin') {
        const admins = await trx
          .selectFrom('memberships')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('tenant_id', '=', tenantId)
          .where('role', '=', 'admin')
          .executeTakeFirstOrThrow();
        if (Number(admins.n) <= 1) return 'last_admin';
      }
      const scoped = { tenant_id: tenantId, user_id: userId };
      if (role === null) {
        await trx
          .deleteFrom('memberships')
          .where('tenant_id', '=', scoped.tenant_id)
          .where('user_id', '=', scoped.user_id)
          .execute();
      } else {
        await trx
          .updateTable('memberships')
          .set({ role })
          .where('tenant_id', '=', scoped.tenant_id)
          .where('user_id', '=', scoped.user_id)
          .execute();
      }
      return 'changed';
    });
  }
}
