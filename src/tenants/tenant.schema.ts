import { Type, type Static } from '@sinclair/typebox';
import { Page } from '../http/api-shapes.js';

/** A tenant's slug (SPEC §1): in URLs, the tenant API and the hosted registry's paths. */
export const TENANT_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const TenantView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  displayName: Type.String(),
  createdAt: Type.String(),
});
export type TenantView = Static<typeof TenantView>;

export const TenantList = Page(TenantView);
export type TenantList = Static<typeof TenantList>;

export const TenantBody = Type.Object(
  {
    name: Type.String({ pattern: TENANT_NAME_PATTERN.source, minLength: 1, maxLength: 63 }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type TenantBody = Static<typeof TenantBody>;

export const MemberBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    role: Type.Union([Type.Literal('admin'), Type.Literal('member')]),
  },
  { additionalProperties: false },
);
export type MemberBody = Static<typeof MemberBody>;

const Role = Type.Union([Type.Literal('admin'), Type.Literal('member')]);

export const MemberView = Type.Object({
  username: Type.String(),
  role: Role,
  createdAt: Type.String(),
});
export type MemberView = Static<typeof MemberView>;

export const MemberList = Type.Object({ items: Type.Array(MemberView) });
export type MemberList = Static<typeof MemberList>;

export const RoleBody = Type.Object({ role: Role }, { additionalProperties: false });
export type RoleBody = Static<typeof RoleBody>;

export const InvitationView = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  tenantDisplayName: Type.String(),
  username: Type.String(),
  role: Role,
  invitedBy: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
});
export type InvitationView = Static<typeof InvitationView>;

export const InvitationList = Type.Object({ items: Type.Array(InvitationView) });
export type InvitationList = Static<typeof InvitationList>;

/** What accepting an invitation gives: the tenant joined, in the role held there now. */
export const JoinedView = Type.Object({ tenant: Type.String(), role: Role });
export type JoinedView = Static<typeof JoinedView>;

const Membership = Type.Object({
  name: Type.String(),
  displayName: Type.String(),
  role: Role,
});

export const MeView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  systemRole: Type.Union([Type.Literal('admin'), Type.Null()]),
  tenants: Type.Array(Membership),
  /** Invitations to other tenants waiting for an answer (POST /api/v1/invitations/{id}/accept). */
  invitations: Type.Array(InvitationView),
});
export type MeView = Static<typeof MeView>;
