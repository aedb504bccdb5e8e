/** A change to who may do what, which every cache of credentials or roles must hear at once. */
export type AccessChange =
  /** Tokens ended (sign-out, revocation): forget them, and whatever was let in with them. */
  | { kind: 'tokens-revoked'; userId: string; tokenHashes: string[] }
  /** A membership was removed or its role changed. */
  | { kind: 'membership-changed'; userId: string; tenantId: string };

type Listener = (change: AccessChange) => void;

/**
 * The few caches that keep access decisions for seconds (AuthService's tokens, TenantService's scopes,
 * HostedAccess's Basic credentials) subscribe here; the services that revoke access publish. So a
 * signed-out token or a removed member is refused at once instead of when a cache entry expires, and no
 * service needs to know which other one keeps a cache.
 */
export class AccessChanges {
  private readonly listeners: Listener[] = [];

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  publish(change: AccessChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
