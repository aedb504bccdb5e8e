import type { AccessChanges } from '../identity/access-changes.js';
import { normalizeUsername, USERNAME_PATTERN } from '../identity/auth.service.js';
import { requireAcceptablePassword } from '../identity/password-policy.js';
import type { UserRepository } from '../identity/user.repository.js';
import type { Principal, Scope, TenantRole } from '../shared/context.js';
import { ConflictError, InvalidRequestError, NotFoundError, PermissionError } from '../shared/errors.js';
import { newId, nowIso } from '../shared/ids.js';
import { hashPassword } from '../shared/password.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { InvitationRepository, InvitationWithTenant } from './invitation.repository.js';
import type { MembershipChange, TenantRepository } from './tenant.repository.js';

type TenantScope = Scope & { kind: 'tenant' };

export interface MemberView {
  username: string;
  role: TenantRole;
  createdAt: string;
}

export interface InvitationView {
  id: string;
  tenant: string;
  tenantDisplayName: string;
  username: string;
  role: TenantRole;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
}

/** What adding someone did: a system administrator adds at once; a tenant administrator invites. */
export type AddMemberResult =
  { status: 'added'; member: MemberView } | { status: 'invited'; invitation: InvitationView };

/** An invitation waits this long for its answer. */
const INVITATION_DAYS = 14;

const invitationView = (r: InvitationWithTenant): InvitationView => ({
  id: r.id,
  tenant: r.tenant_name,
  tenantDisplayName: r.tenant_display_name,
  username: r.username,
  role: r.role,
  invitedBy: r.invited_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/**
 * A tenant's members and invitations. Who may join whom, decided once (README "Members"):
 * - System administrators create accounts and add any user at once: they run the installation.
 * - Tenant administrators invite by username. The answer is the same whether or not that user exists
 *   (usernames are global, and a tenant must not learn who uses the other tenants), and nobody joins
 *   a tenant without saying yes: the invitee sees the invitation (GET /api/v1/me, the console) and
 *   accepts or declines. A tenant administrator cannot set passwords: an account made with a password
 *   they know would tell them whether the name was free.
 * - A tenant never loses its last administrator (409).
 */
export class MemberService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly invitations: InvitationRepository,
    private readonly users: UserRepository,
    private readonly changes: AccessChanges,
  ) {}

  async add(
    principal: Principal,
    scope: TenantScope,
    input: { username: string; password?: string; role: TenantRole },
  ): Promise<AddMemberResult> {
    requireAdmin(scope, 'add members');
    const username = checkUsername(input.username);
    if (principal.isSystemAdmin)
      return { status: 'added', member: await this.addDirectly(scope, username, input) };
    if (input.password !== undefined) {
      throw new PermissionError(
        'Only system administrators create accounts: leave out the password to invite the user. If they have an account they will see the invitation; if not, a system administrator can create one.',
        'account_creation_forbidden',
      );
    }
    if (await this.tenants.findMember(scope.tenantId, username)) {
      throw new ConflictError(
        'already_member',
        `"${username}" is already a member of ${scope.tenantName}: change their role instead.`,
      );
    }
    const now = new Date();
    const stored = await this.invitations.upsert({
      id: newId(),
      tenant_id: scope.tenantId,
      username,
      role: input.role,
      invited_by: principal.username,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + INVITATION_DAYS * 86_400_000).toISOString(),
    });
    return { status: 'invited', invitation: invitationView(stored) };
  }

  async list(scope: TenantScope): Promise<MemberView[]> {
    const rows = await this.tenants.listMembers(scope.tenantId);
    return rows.map((r) => ({ username: r.username, role: r.role, createdAt: r.created_at }));
  }

  /** Changes a member's role (tenant administrators); the last administrator stays one. */
  async setRole(scope: TenantScope, username: string, role: TenantRole): Promise<MemberView> {
    requireAdmin(scope, "change members' roles");
    const member = await this.member(scope, username);
    await this.apply(scope, member.user_id, member.username, role);
    return { username: member.username, role, createdAt: member.created_at };
  }

  /** Removes a member (tenant administrators, or members leaving); access ends at once everywhere. */
  async remove(principal: Principal, scope: TenantScope, username: string): Promise<void> {
    const member = await this.member(scope, username);
    if (member.user_id !== principal.userId) requireAdmin(scope, 'remove members');
    await this.apply(scope, member.user_id, member.username, null);
  }

  async pendingInvitations(scope: TenantScope): Promise<InvitationView[]> {
    requireAdmin(scope, 'see invitations');
    return (await this.invitations.listForTenant(scope.tenantId, nowIso())).map(invitationView);
  }

  async revokeInvitation(scope: TenantScope, id: string): Promise<void> {
    requireAdmin(scope, 'revoke invitations');
    if (!(await this.invitations.deleteForTenant(scope.tenantId, id)))
      throw new NotFoundError('Invitation', id);
  }

  /** The invitations waiting for the caller's answer. */
  async invitationsFor(principal: Principal): Promise<InvitationView[]> {
    return (await this.invitations.listForUsername(principal.username, nowIso())).map(invitationView);
  }

  /** Joins the tenant an invitation is for, in the role it offers; another user's invitation is "not found". */
  async accept(principal: Principal, id: string): Promise<{ tenant: string; role: TenantRole }> {
    const invitation = await this.invitations.findForUsername(id, principal.username, nowIso());
    if (!invitation) throw new NotFoundError('Invitation', id);
    // Membership first, then the invitation goes: a failure between the two leaves an invitation that
    // accepting again completes (a member already keeps the role they have).
    await this.tenants.addMembership({
      tenant_id: invitation.tenant_id,
      user_id: principal.userId,
      role: invitation.role,
      created_at: nowIso(),
    });
    await this.invitations.deleteForUsername(id, principal.username);
    const member = await this.tenants.findMember(invitation.tenant_id, principal.username);
    return { tenant: invitation.tenant_name, role: member?.role ?? invitation.role };
  }

  async decline(principal: Principal, id: string): Promise<void> {
    if (!(await this.invitations.deleteForUsername(id, principal.username)))
      throw new NotFoundError('Invitation', id);
  }

  /** Forgets expired invitations (start-up housekeeping). */
  pruneExpiredInvitations(): Promise<void> {
    return this.invitations.deleteExpired(nowIso());
  }

  private async addDirectly(
    scope: TenantScope,
    username: string,
    input: { password?: string; role: TenantRole },
  ): Promise<MemberView> {
    let user = await this.users.findByUsername(username);
    if (user && input.password !== undefined) {
      // Nobody resets another user's password by adding them somewhere.
      throw new InvalidRequestError(
        `User "${username}" already exists: leave out the password to add them.`,
        [{ field: 'password', message: 'not allowed for an existing user' }],
      );
    }
    if (!user) {
      if (input.password === undefined) {
        throw new InvalidRequestError(`"${username}" has no account yet: give a password to create one.`, [
          { field: 'password', message: 'required for a new user' },
        ]);
      }
      requireAcceptablePassword(input.password, username);
      user = {
        id: newId(),
        username,
        password_hash: await hashPassword(input.password),
        is_system_admin: 0,
        created_at: nowIso(),
      };
      try {
        await this.users.insert(user);
      } catch (err) {
        if (isUniqueViolation(err))
          throw new ConflictError(
            'user_exists',
            `User "${username}" was just created by another request: try again.`,
          );
        throw err;
      }
    }
    const createdAt = nowIso();
    const added = await this.tenants.addMembership({
      tenant_id: scope.tenantId,
      user_id: user.id,
      role: input.role,
      created_at: createdAt,
    });
    if (added) return { username, role: input.role, createdAt };
    // Already a member: adding again sets the role, under the same last-administrator rule as PATCH.
    const member = await this.member(scope, username);
    await this.apply(scope, user.id, username, input.role);
    return { username, role: input.role, createdAt: member.created_at };
  }

  private async member(scope: TenantScope, username: string) {
    const member = await this.tenants.findMember(scope.tenantId, normalizeUsername(username));
    if (!member) throw new NotFoundError('Member', username);
    return member;
  }

  private async apply(
    scope: TenantScope,
    userId: string,
    username: string,
    role: TenantRole | null,
  ): Promise<void> {
    const outcome: MembershipChange = await this.tenants.changeMembership(scope.tenantId, userId, role);
    if (outcome === 'not_member') throw new NotFoundError('Member', username);
    if (outcome === 'last_admin') {
      throw new ConflictError(
        'last_admin',
        `"${username}" is the last administrator of ${scope.tenantName}: make another member an administrator first, so the tenant is never left without one.`,
      );
    }
    if (outcome === 'changed')
      this.changes.publish({ kind: 'membership-changed', userId, tenantId: scope.tenantId });
  }
}

function requireAdmin(scope: TenantScope, what: string): void {
  if (scope.role !== 'admin') throw new PermissionError(`Only tenant administrators can ${what}.`);
}

function checkUsername(input: string): string {
  const username = normalizeUsername(input);
  if (!USERNAME_PATTERN.test(username)) {
    throw new InvalidRequestError(
      'username may hold letters, digits, ".", "_", "@" and "-" (at most 64), and starts and ends with a letter or digit.',
      [{ field: 'username', message: 'invalid' }],
    );
  }
  return username;
}
