import type { Kysely, Selectable } from 'kysely';
import { SYSTEM_SCOPE_KEY } from '../shared/context.js';
import type { Database, HelmRegistriesTable } from '../storage/schema.js';

export type RegistryRow = Selectable<HelmRegistriesTable>;

/** A registry as catalog search reads it: identity, kind and the stamp of its catalog. */
export type CatalogRegistryRow = Pick<
  RegistryRow,
  'id' | 'scope' | 'name' | 'kind' | 'protected' | 'last_synced_at' | 'version_count' | 'chart_count'
>;
export type NewRegistryRow = HelmRegistriesTable;
export type RegistryChanges = Partial<Omit<HelmRegistriesTable, 'id' | 'scope' | 'created_at'>>;

/** Keyset position in a listing: system registries first, then the tenant's, each by name. */
export interface ListPosition {
  system: boolean;
  name: string;
}

/** Storage of Helm registries. Every method takes the scope key, so one tenant never reads another's. */
export class RegistryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Registries by id, whatever their scope: callers hold ids a tenant-checked lock recorded. */
  async findByIds(ids: readonly string[]): Promise<RegistryRow[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('helm_registries').selectAll().where('id', 'in', ids).execute();
  }

  async findByName(scope: string, name: string): Promise<RegistryRow | undefined> {
    return this.db
      .selectFrom('helm_registries')
      .selectAll()
      .where('scope', '=', scope)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /**
   * The registries visible to a caller in system-first, then name order, starting after `after`:
   * the system's, then those of `tenantScope` (if any).
   */
  async list(tenantScope: string | null, limit: number, after?: ListPosition): Promise<RegistryRow[]> {
    const rows: RegistryRow[] = [];
    if (!after || after.system) {
      rows.push(...(await this.page(SYSTEM_SCOPE_KEY, limit, after?.name)));
    }
    if (tenantScope && rows.length < limit) {
      const afterName = after && !after.system ? after.name : undefined;
      rows.push(...(await this.page(tenantScope, limit - rows.length, afterName)));
    }
    return rows;
  }

  private page(scope: string, limit: number, afterName?: string): Promise<RegistryRow[]> {
    let q = this.db.selectFrom('helm_registries').selectAll().where('scope', '=', scope);
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    return q.orderBy('name').limit(limit).execute();
  }

  async insert(row: NewRegistryRow): Promise<void> {
    await this.db.insertInto('helm_registries').values(row).execute();
  }

  async update(scope: string, id: string, changes: RegistryChanges): Promise<void> {
    await this.db
      .updateTable('helm_registries')
      .set(changes)
      .where('scope', '=', scope)
      .where('id', '=', id)
      .execute();
  }

  async delete(scope: string, id: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('helm_registries')
      .where('scope', '=', scope)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async deleteAllInScope(scope: string): Promise<void> {
    await this.db.deleteFrom('helm_registries').where('scope', '=', scope).execute();
  }

  /**
   * The stamp of each registry's catalog (its last commit and size), by id: every catalog commit moves
   * it, so what was derived from a catalog holds while its stamp does. A deleted registry has none.
   */
  async catalogStamps(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('helm_registries')
      .select(['id', 'last_synced_at', 'version_count'])
      .where('id', 'in', ids)
      .execute();
    return new Map(rows.map((r) => [r.id, `${r.last_synced_at ?? ''}|${r.version_count}`]));
  }

  /** Every registry of one scope, whole rows (VisibleRegistries keeps them per scope). */
  async inScope(scope: string): Promise<RegistryRow[]> {
    return this.db.selectFrom('helm_registries').selectAll().where('scope', '=', scope).execute();
  }
}
