import type SQLite from 'better-sqlite3';
import {
  AliasNode,
  DeleteQueryNode,
  InsertQueryNode,
  TableNode,
  UpdateQueryNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type Kysely,
} from 'kysely';
import { openPgNotifyChannel, type NotifyChannel } from './notify-channel.js';
import type { Database } from './schema.js';

/**
 * Tells a server whether any `helm_registries` row changed, whoever wrote it (see the migration
 * 2026-12-10T01-00-registry-rows-signal): what was read at one stamp holds while the stamp is equal.
 */
export interface RegistryRowsWatch {
  /**
   * The current stamp, or null when changes cannot be seen right now (then nothing may be reused).
   * Read it before reading the rows it will vouch for.
   */
  stamp(): number | null;
  close(): Promise<void>;
}

/**
 * SQLite: the counter the triggers move, read synchronously on the server's one connection (a few
 * microseconds, no Kysely). Inside an open transaction of that connection the counter may hold the
 * transaction's own uncommitted moves, which a rollback takes back and a later commit reuses: no stamp
 * then. Other connections (sync worker threads, the CLI) are seen once they commit.
 */
export function sqliteRegistryRowsWatch(sqlite: SQLite.Database): RegistryRowsWatch {
  let read: SQLite.Statement | undefined;
  return {
    stamp() {
      if (sqlite.inTransaction || !sqlite.open) return null;
      try {
        // Prepared at first use: the table exists only once the migrations ran.
        read ??= sqlite.prepare('select generation from registry_generation where id = 1').pluck();
        const generation: unknown = read.get();
        return typeof generation === 'number' ? generation : null;
      } catch {
        return null;
      }
    },
    close: async () => undefined,
  };
}

/**
 * PostgreSQL: a local generation moved by the trigger's NOTIFY (from any server, at commit) and, so a
 * client sees its own change on the next request at once, by this process's own writes to the table
 * as soon as they ran. While the listening connection is down there is no stamp; on every (re)connect
 * the generation moves, as notifications sent meanwhile are lost. The listener opens on first use, so
 * a process that never asks (the CLI, a migration) never opens it.
 */
export function pgRegistryRowsWatch(db: Kysely<Database>, databaseUrl: string): PgRegistryRowsWatch {
  let generation = 0;
  let connected = false;
  let channel: NotifyChannel | null = null;
  let closed = false;
  const moved = (): void => {
    generation++;
  };
  return {
    stamp() {
      if (!channel && !closed) {
        channel = openPgNotifyChannel({
          db,
          databaseUrl,
          channel: 'charthouse_registries',
          onMessage: moved,
          onConnected: () => {
            connected = true;
            moved();
          },
          onError: () => {
            connected = false;
            moved();
          },
        });
      }
      return connected ? generation : null;
    },
    localWrite: moved,
    async close() {
      closed = true;
      connected = false;
      await channel?.close();
    },
  };
}

export interface PgRegistryRowsWatch extends RegistryRowsWatch {
  /** This process wrote `helm_registries` (the statement ran; its transaction may still be open). */
  localWrite(): void;
}

/**
 * Calls `onWrite` after each insert, update or delete on `table` this Kysely instance runs. A write
 * still uncommitted when a concurrent request re-reads the rows leaves them stale until the trigger's
 * NOTIFY arrives at commit (milliseconds).
 */
export class TableWritesPlugin implements KyselyPlugin {
  private readonly writes = new WeakMap<QueryId, true>();

  constructor(
    private readonly table: string,
    private readonly onWrite: () => void,
  ) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (writesTo(args.node, this.table)) this.writes.set(args.queryId, true);
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.writes.has(args.queryId)) this.onWrite();
    return Promise.resolve(args.result);
  }
}

function writesTo(node: RootOperationNode, table: string): boolean {
  if (InsertQueryNode.is(node)) return names(node.into, table);
  if (UpdateQueryNode.is(node)) return node.table !== undefined && names(node.table, table);
  if (DeleteQueryNode.is(node)) return node.from.froms.some((f) => names(f, table));
  return false;
}

function names(node: OperationNode | undefined, table: string): boolean {
  if (node === undefined) return false;
  if (TableNode.is(node)) return node.table.identifier.name === table;
  if (AliasNode.is(node)) return names(node.node, table);
  return false;
}
