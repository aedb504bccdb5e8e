import { newId } from '../shared/ids.js';

/** A change to who may do what, which every cache of credentials or roles must hear at once. */
export type AccessChange =
  /** Tokens ended (sign-out, revocation): forget them, and whatever was let in with them. */
  | { kind: 'tokens-revoked'; userId: string; tokenHashes: string[] }
  /** A membership was removed or its role changed. */
  | { kind: 'membership-changed'; userId: string; tenantId: string }
  /** Changes may have been missed (the link to the other servers was down): forget everything. */
  | { kind: 'everything' };

type Listener = (change: AccessChange) => void;

/** The other servers, as {@link AccessChanges.relay} needs them. */
export interface AccessRelay {
  /** Delivers a message to every server listening (this one too). */
  send(message: string): Promise<void>;
  onSendError(err: unknown): void;
}

/**
 * The few caches that keep access decisions for seconds (AuthService's tokens, TenantService's scopes,
 * HostedAccess's Basic credentials) subscribe here; the services that revoke access publish. So a
 * signed-out token or a removed member is refused at once instead of when a cache entry expires, and no
 * service needs to know which other one keeps a cache. With several servers on one PostgreSQL, changes
 * also travel to the others (`relay`, wired in app.ts over LISTEN/NOTIFY).
 */
export class AccessChanges {
  private readonly listeners: Listener[] = [];
  private readonly origin = newId();
  private relayTo: AccessRelay | null = null;

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** A change made by this server: its own caches at once, then the other servers'. */
  publish(change: AccessChange): void {
    this.deliver(change);
    const relay = this.relayTo;
    if (relay === null) return;
    relay
      .send(JSON.stringify({ origin: this.origin, change }))
      .catch((err: unknown) => relay.onSendError(err));
  }

  /**
   * Sends this server's changes to the others through `relay`; returns what the channel calls with
   * their messages. Malformed or own messages are ignored.
   */
  relay(relay: AccessRelay): (message: string) => void {
    this.relayTo = relay;
    return (message) => {
      const parsed = parseMessage(message);
      if (parsed !== null && parsed.origin !== this.origin) this.deliver(parsed.change);
    };
  }

  /** Tells this server's caches only. */
  deliver(change: AccessChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function parseMessage(message: string): { origin: string; change: AccessChange } | null {
  try {
    const value = JSON.parse(message) as { origin?: unknown; change?: { kind?: unknown } };
    const kind = value.change?.kind;
    if (typeof value.origin !== 'string') return null;
    if (kind !== 'tokens-revoked' && kind !== 'membership-changed' && kind !== 'everything') return null;
    return { origin: value.origin, change: value.change as AccessChange };
  } catch {
    return null;
  }
}
