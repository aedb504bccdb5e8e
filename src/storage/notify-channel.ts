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
  /** How often the listening connection is checked (default {@link PROBE_INTERVAL_MS}). */
  probeMs?: number;
}

const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;
/**
 * A listening connection only receives, so one a partition silently cut looks alive for as long as
 * TCP keeps it (hours when idle): no message comes, and what the messages would have invalidated is
 * trusted. A round trip every 10 s, answered within 5 s, finds it dead within 15 s; it is then
 * dropped and reconnected like any failed one.
 */
export const PROBE_INTERVAL_MS = 10_000;
const PROBE_TIMEOUT_MS = 5_000;

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
    const probe: { timer?: NodeJS.Timeout } = {};
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      clearInterval(probe.timer);
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
    // pg's read timeout rejects the probe of a connection that no longer answers (not in pg's types).
    const ping: pg.QueryConfig & { query_timeout: number } = {
      text: 'select 1',
      query_timeout: PROBE_TIMEOUT_MS,
    };
    probe.timer = setInterval(() => {
      next.query(ping).catch(fail);
    }, o.probeMs ?? PROBE_INTERVAL_MS).unref();
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
      // A connection a partition cut never answers the end either: do not wait on it for ever.
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        current?.end().catch(() => undefined),
        new Promise<void>((resolve) => (timeout = setTimeout(resolve, PROBE_TIMEOUT_MS).unref())),
      ]);
      clearTimeout(timeout);
    },
  };
}
