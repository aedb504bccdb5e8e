import { SYSTEM_SCOPE_KEY } from '../shared/context.js';
import type { RegistryRepository, RegistryRow } from './registry.repository.js';

/** What tells the cache that registry rows changed since it read them (Storage.registryRows). */
export interface RowsStamp {
  /** Equal stamps: no registry row changed in between. Null: nothing may be reused now. */
  stamp(): number | null;
}

/** One scope's registries, frozen: shared by every request until a registry changes. */
export interface ScopeRegistries {
  readonly rows: readonly RegistryRow[];
  readonly byName: ReadonlyMap<string, RegistryRow>;
}

interface Entry {
  stamp: number;
  rows: Promise<ScopeRegistries>;
}

/** Scopes kept at most (least recently used out): a tenant's registries are a few rows. */
export const MAX_CACHED_SCOPES = 1_000;

/**
 * The registries of each scope as this server last read them, reused while the database's stamp holds
 * (any write to `helm_registries`, by any server or thread, moves it), so an authenticated request or a
 * search needs no query to resolve registries. Bounded by scope count; with no stamp it reads each time.
 */
export class VisibleRegistries {
  private readonly scopes = new Map<string, Entry>();

  constructor(
    private readonly repository: RegistryRepository,
    private readonly watch: RowsStamp,
    private readonly maxScopes = MAX_CACHED_SCOPES,
  ) {}

  inScope(scope: string): Promise<ScopeRegistries> {
    // Taken before the read: a change landing during it moves the stamp, and the entry is not reused.
    const stamp = this.watch.stamp();
    if (stamp === null) return this.read(scope);
    const hit = this.scopes.get(scope);
    if (hit && hit.stamp === stamp) {
      this.scopes.delete(scope);
      this.scopes.set(scope, hit);
      return hit.rows;
    }
    const rows = this.read(scope);
    const entry = { stamp, rows };
    this.scopes.delete(scope);
    this.scopes.set(scope, entry);
    if (this.scopes.size > this.maxScopes) this.scopes.delete(this.scopes.keys().next().value!);
    rows.catch(() => {
      if (this.scopes.get(scope) === entry) this.scopes.delete(scope);
    });
    return rows;
  }

  /**
   * The registries a tenant's catalog search covers (the system's and its own), or the system's alone
   * for a null tenant. A system registry whose name the tenant also uses is left out, as findVisible
   * resolves that name to the tenant's own.
   */
  async forCatalog(tenantScope: string | null): Promise<RegistryRow[]> {
    const system = await this.inScope(SYSTEM_SCOPE_KEY);
    if (tenantScope === null) return [...system.rows];
    const own = await this.inScope(tenantScope);
    return [...system.rows.filter((r) => !own.byName.has(r.name)), ...own.rows];
  }

  private async read(scope: string): Promise<ScopeRegistries> {
    const rows = (await this.repository.inScope(scope)).map((r) => Object.freeze(r));
    return { rows, byName: new Map(rows.map((r) => [r.name, r])) };
  }
}
