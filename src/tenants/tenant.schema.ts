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

export const MemberView = Type.Object({
  username: Type.String(),
  role: Type.String(),
  createdAt: Type.String(),
});
export type MemberView = Static<typeof MemberView>;

export const MemberList = Type.Object({ items: Type.Array(MemberView) });
export type MemberList = Static<typeof MemberList>;
