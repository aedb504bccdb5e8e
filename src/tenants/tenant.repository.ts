import type { Kysely, Selectable } from 'kysely';
import type { Database, MembershipsTable, TenantsTable } from '../storage/schema.js';

export type TenantRow = Selectable<TenantsTable>;
export type MembershipRow = Selectable<MembershipsTable>;

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

  async upsertMembership(row: MembershipRow): Promise<void> {
    await this.db
      .insertInto('memberships')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet({ role: row.role }))
      .execute();
  }
}
