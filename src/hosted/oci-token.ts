import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatScope, parseScopes, type ResourceScope } from '../protocol/oci/token-scope.js';
import type { Principal } from '../shared/context.js';
import { AuthenticationError } from '../shared/errors.js';

/** What an OCI bearer token from `/v2/token` says. */
export interface OciTokenClaims {
  /** Who asked; null for an anonymous token (public read). */
  principal: Principal | null;
  /** Seconds since the epoch. */
  expires: number;
  /**
   * The scopes granted when it was issued: what was asked for, intersected with what the user could
   * do then. The user's rights are still checked on every request; the token only narrows them.
   */
  access: ResourceScope[];
}

const OCI_TOKEN = /^cho_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

/** Whether a bearer value is one of our OCI tokens (and not a Charthouse API or session token). */
export const isOciToken = (value: string): boolean => OCI_TOKEN.test(value);

/** The claims as they travel: short keys, scopes in their text form (`repository:acme/x:pull,push`). */
interface WireClaims {
  u: string | null;
  n: string | null;
  a: 0 | 1;
  e: number;
  s: string[];
}

/**
 * OCI bearer tokens: `cho_<base64url JSON claims>.<HMAC-SHA256>`, stateless, signed with a key derived
 * from the server's secret key, so any server process verifies what another issued. Not a JWT: no
 * client reads them (they are opaque in the token flow), so there is no header, algorithm choice or
 * key id to get wrong.
 */
export class OciTokenSigner {
  private readonly key: Buffer;

  constructor(secretKey: Buffer) {
    // v2: tokens carry their access. A v1 token (identity only) no longer verifies, so a client
    // holding one simply asks for a new token, which it does on any 401.
    this.key = createHmac('sha256', secretKey).update('charthouse/oci-token/v2').digest();
  }

  sign(claims: OciTokenClaims): string {
    const wire: WireClaims = {
      u: claims.principal?.userId ?? null,
      n: claims.principal?.username ?? null,
      a: claims.principal?.isSystemAdmin ? 1 : 0,
      e: claims.expires,
      s: claims.access.map(formatScope),
    };
    const payload = Buffer.from(JSON.stringify(wire)).toString('base64url');
    return `cho_${payload}.${this.mac(payload)}`;
  }

  /** The claims of a token this server signed that has not expired; otherwise 401. */
  verify(token: string, now = Date.now()): OciTokenClaims {
    const [, payload = '', signature = ''] = OCI_TOKEN.exec(token) ?? [];
    const expected = Buffer.from(this.mac(payload), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    if (payload === '' || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AuthenticationError('The registry token is not valid: log in again.', 'invalid_token');
    }
    const wire = readWire(payload);
    if (wire.e * 1000 <= now) {
      throw new AuthenticationError('The registry token has expired: ask for a new one.', 'invalid_token');
    }
    return {
      principal:
        wire.u === null || wire.n === null
          ? null
          : { userId: wire.u, username: wire.n, isSystemAdmin: wire.a === 1 },
      expires: wire.e,
      access: parseScopes(wire.s),
    };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/** Signed by us, so well formed; checked all the same, so a mistake here is a 401 and not a 500. */
function readWire(payload: string): WireClaims {
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    wire = null;
  }
  const w = wire as Partial<WireClaims> | null;
  const text = (v: unknown): v is string | null => v === null || typeof v === 'string';
  if (
    w === null ||
    typeof w !== 'object' ||
    !text(w.u) ||
    !text(w.n) ||
    typeof w.e !== 'number' ||
    !Array.isArray(w.s) ||
    !w.s.every((s) => typeof s === 'string')
  ) {
    throw new AuthenticationError('The registry token is not valid: log in again.', 'invalid_token');
  }
  return { u: w.u, n: w.n, a: w.a === 1 ? 1 : 0, e: w.e, s: w.s };
}
