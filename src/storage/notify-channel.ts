import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

/** Messages between the server processes that share one PostgreSQL database. */
export interface NotifyChannel {
  /** Sends `payload` (at most a few kB) to every process listening, this one included. */
  publish(payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface NotifyChannelOptions {
  db: Kysely<Database>;
  databaseUrl: string;
  /** A PostgreSQL identifier: lowercase letters, digits and `_`. */
  channel: string;
  onMessage: (payload: string) => void;
  /**
   * Called after every (re)connection of the listening connection: messages sent while it was away
   * are lost, so whatever they would have invalidated must be dropped now.
   */
  onConnected: () => void;
  onError: (err: unknown) => void;
}

const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

/**
 * LISTEN/NOTIFY over a connection of its own (a pooled one would be handed to queries and stop
 * listening). The connection reconnects by itself with backoff after any failure — a terminated
 * backend, a restarted server — and never ends the process; sending goes through the pool.
 */
export function openPgNotifyChannel(o: NotifyChannelOptions): NotifyChannel {
  if (!/^[a-z_][a-z0-9_]*$/.test(o.channel)) throw new Error(`invalid channel name "${o.channel}"`);
  let client: pg.Client | null = null;
  let closed = false;
  let retryMs = MIN_RETRY_MS;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: o.databaseUrl, connectionTimeoutMillis: 5_000 });
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      if (client === next) client = null;
      next.removeAllListeners('notification');
      // Keep an 'error' listener for good: a late error on a dropped client must not be unhandled.
      next.end().catch(() => undefined);
      if (!closed) o.onError(err);
      schedule();
    };
    next.on('error', fail);
    next.on('end', () => fail(new Error('the notification connection ended')));
    next.on('notification', (message) => {
      if (message.channel === o.channel && message.payload !== undefined) o.onMessage(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${o.channel}`);
    } catch (err) {
      fail(err);
      return;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    retryMs = MIN_RETRY_MS;
    o.onConnected();
  };

  void connect();

  return {
    async publish(payload) {
      await sql`select pg_notify(${o.channel}, ${payload})`.execute(o.db);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}
