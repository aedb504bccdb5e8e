import type { Kysely, Selectable } from 'kysely';
import type { Database, TenantInvitationsTable } from '../storage/schema.js';

export type InvitationRow = Selectable<TenantInvitationsTable>;

/** An invitation with the name of the tenant it is for, as both sides see it. */
export type InvitationWithTenant = InvitationRow & { tenant_name: string; tenant_display_name: string };

/** Storage of pending invitations to join a tenant (the only writer of `tenant_invitations`). */
export class InvitationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Invites `username` to the tenant, replacing a pending invitation of theirs (new role, new expiry). */
  async upsert(row: InvitationRow): Promise<InvitationWithTenant> {
    await this.db
      .insertInto('tenant_invitations')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'username']).doUpdateSet({
          role: row.role,
          invited_by: row.invited_by,
          created_at: row.created_at,
          expires_at: row.expires_at,
        }),
      )
      .execute();
    // On conflict the row keeps its first id: read back what is stored.
    return this.withTenant()
      .where('tenant_invitations.tenant_id', '=', row.tenant_id)
      .where('tenant_invitations.username', '=', row.username)
      .executeTakeFirstOrThrow();
  }

  /** A tenant's invitations not expired at `now`, by username. */
  listForTenant(tenantId: string, now: string): Promise<InvitationWithTenant[]> {
    return this.withTenant()
      .where('tenant_invitations.tenant_id', '=', tenantId)
      .where('tenant_invitations.expires_at', '>', now)
      .orderBy('tenant_invitations.username')
      .execute();
  }

  /** The invitations addressed to `username` not expired at `now`, by tenant name. */
  listForUsername(username: string, now: string): Promise<InvitationWithTenant[]> {
    return this.withTenant()
      .where('tenant_invitations.username', '=', username)
      .where('tenant_invitations.expires_at', '>', now)
      .orderBy('tenants.name')
      .execute();
  }

  /** One invitation, when it is addressed to `username` and not expired. */
  findForUsername(id: string, username: string, now: string): Promise<InvitationWithTenant | undefined> {
    return this.withTenant()
      .where('tenant_invitations.id', '=', id)
      .where('tenant_invitations.username', '=', username)
      .where('tenant_invitations.expires_at', '>', now)
      .executeTakeFirst();
  }

  /** Deletes one invitation of the tenant; false when it had none by that id. */
  async deleteForTenant(tenantId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('tenant_invitations')
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes one invitation addressed to `username`; false when there was none. */
  async deleteForUsername(id: string, username: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('tenant_invitations')
      .where('id', '=', id)
      .where('username', '=', username)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Forgets invitations past their expiry; run at start-up so the table does not only grow. */
  async deleteExpired(now: string): Promise<void> {
    await this.db.deleteFrom('tenant_invitations').where('expires_at', '<=', now).execute();
  }

  private withTenant() {
    return this.db
      .selectFrom('tenant_invitations')
      .innerJoin('tenants', 'tenants.id', 'tenant_invitations.tenant_id')
      .selectAll('tenant_invitations')
      .select(['tenants.name as tenant_name', 'tenants.display_name as tenant_display_name']);
  }
}
