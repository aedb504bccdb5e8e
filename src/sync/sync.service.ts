import type { Logger } from 'pino';
import type { RegistryService } from '../registries/registry.service.js';
import type { RequestContext } from '../shared/context.js';
import { ConflictError, InvalidRequestError } from '../shared/errors.js';
import { ID_PATTERN } from '../shared/ids.js';
import type { SyncEngine } from './sync.engine.js';
import type { SyncRun, SyncRunRepository } from './sync-run.repository.js';
import type { SyncableRegistryRow } from './sync-state.repository.js';
import type { SyncRunList, SyncRunView } from './sync.schema.js';

/** "Sync now" and the sync history, for the registries a caller can see (SPEC §3). */
export class SyncService {
  constructor(
    private readonly registries: RegistryService,
    private readonly runs: SyncRunRepository,
    private readonly engine: SyncEngine,
    private readonly logger: Logger,
  ) {}

  /**
   * Start a sync in the background and answer with its run at once. `force` takes the lease from
   * another process whose sync is stuck; a sync running in this very process is never doubled.
   */
  async syncNow(ctx: RequestContext, name: string, options: { force?: boolean } = {}): Promise<SyncRunView> {
    this.registries.requireAdmin(ctx);
    const row = await this.registries.findOwned(ctx.scope, name);
    if (row.protected === 1) {
      throw new ConflictError(
        'registry_protected',
        `"${name}" is protected: Charthouse never contacts it, so it cannot be synchronized. Type chart names and versions by hand.`,
      );
    }
    // Hosted registries are the catalog's source themselves: there is nothing upstream to read.
    if (row.kind !== 'helm' && row.kind !== 'oci') {
      throw new ConflictError(
        'sync_unavailable',
        `"${name}" is a hosted registry: it is always current (charts appear the moment they are pushed), so there is nothing to synchronize.`,
      );
    }
    const started = await this.engine.begin(row, 'manual', { force: options.force ?? false });
    if (!started)
      throw new ConflictError(
        'sync_in_progress',
        `A sync of "${name}" is already running: wait for it to finish.`,
      );
    void started.done;
    return toView(started.run);
  }

  /**
   * The first sync of a registry just added (SPEC: an unprotected registry is synced at once, not at
   * the scheduler's next look). The same leased path as "Sync now". True when a sync of it is under
   * way: started here, or its lease already taken (the scheduler found it due a moment earlier, here
   * or on another server). Never rejects: a failure to start leaves it due, and the scheduler starts it.
   */
  async startFirst(row: SyncableRegistryRow): Promise<boolean> {
    if (row.protected === 1 || (row.kind !== 'helm' && row.kind !== 'oci')) return false;
    try {
      const started = await this.engine.begin(row, 'manual', { ifDueAt: new Date() });
      if (!started) return true;
      void started.done;
      return true;
    } catch (err) {
      this.logger.warn({ err, registry: row.id }, 'could not start the first sync; the scheduler will');
      return false;
    }
  }

  async list(
    ctx: RequestContext,
    name: string,
    query: { limit?: string; cursor?: string },
  ): Promise<SyncRunList> {
    const row = await this.registries.findVisible(ctx.scope, name);
    const limit = query.limit === undefined ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new InvalidRequestError('limit must be between 1 and 100.', [
        { field: 'limit', message: 'out of range' },
      ]);
    }
    const after = query.cursor === undefined ? undefined : decodeRunCursor(query.cursor);
    const runs = await this.runs.listForRegistry(row.id, limit + 1, after);
    const page = runs.slice(0, limit);
    const last = page[page.length - 1];
    const list: SyncRunList = { items: page.map(toView) };
    if (runs.length > limit && last) {
      list.nextCursor = Buffer.from(JSON.stringify([last.started_at, last.id])).toString('base64url');
    }
    return list;
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

function decodeRunCursor(cursor: string): { startedAt: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Both go into a query: a forged cursor must hold a time and an id as this server writes them.
    if (
      Array.isArray(value) &&
      typeof value[0] === 'string' &&
      ISO_TIME.test(value[0]) &&
      typeof value[1] === 'string' &&
      ID_PATTERN.test(value[1])
    ) {
      return { startedAt: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new InvalidRequestError('cursor is not one this server handed out: start again without it.', [
    { field: 'cursor', message: 'invalid' },
  ]);
}

export function toView(run: SyncRun): SyncRunView {
  return {
    id: run.id,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.started_at,
    finishedAt: run.finished_at,
    added: run.added,
    updated: run.updated,
    removed: run.removed,
    unchanged: run.unchanged,
    warnings: run.warnings,
    error: run.error,
    errorCode: run.error_code,
  };
}
