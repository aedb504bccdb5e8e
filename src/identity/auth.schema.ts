import { Type, type Static } from '@sinclair/typebox';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const SessionView = Type.Object({ token: Type.String(), expiresAt: Type.String() });
export type SessionView = Static<typeof SessionView>;

export const TokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);
export type TokenBody = Static<typeof TokenBody>;

export const IssuedTokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  token: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});
export type IssuedTokenView = Static<typeof IssuedTokenView>;

const Membership = Type.Object({
  name: Type.String(),
  displayName: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('member')]),
});

export const MeView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  systemRole: Type.Union([Type.Literal('admin'), Type.Null()]),
  tenants: Type.Array(Membership),
});
export type MeView = Static<typeof MeView>;
