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
    /** Days until it expires; left out: 90; `null`: never (said explicitly). */
    expiresInDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()])),
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

export const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});
export type TokenView = Static<typeof TokenView>;

export const TokenList = Type.Object({ items: Type.Array(TokenView) });
export type TokenList = Static<typeof TokenList>;
