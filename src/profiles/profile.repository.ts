import type { Kysely, Selectable } from 'kysely';
import type { ClusterProfilesTable, Database, ProfileVersionsTable } from '../storage/schema.js';

export type ProfileRow = Selectable<ClusterProfilesTable>;
export type ProfileVersionRow = Selectable<ProfileVersionsTable>;

/**
 * Storage of cluster profiles and their versions: one aggregate, so one writer for both tables. Every
 * method takes the tenant, so one tenant never reads another's profiles. Writes to a version are
 * conditional on its status and revision: of two racing writers exactly one changes the row, and the
 * other learns it from the returned count.
 */
export class ProfileRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(tenantId: string, name: string): Promise<ProfileRow | undefined> {
    return this.db
      .selectFrom('cluster_profiles')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async findById(id: string): Promise<ProfileRow | undefined> {
    return this.db.selectFrom('cluster_profiles').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(tenantId: string, limit: number, afterName?: string): Promise<ProfileRow[]> {
    let q = this.db.selectFrom('cluster_profiles').selectAll().where('tenant_id', '=', tenantId);
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    return q.orderBy('name').limit(limit).execute();
  }

  /** The versions of several profiles, newest first per profile. */
  async versionsOf(profileIds: readonly string[]): Promise<ProfileVersionRow[]> {
    if (profileIds.length === 0) return [];
    return this.db
      .selectFrom('profile_versions')
      .selectAll()
      .where('profile_id', 'in', profileIds)
      .orderBy('profile_id')
      .orderBy('sort_key', 'desc')
      .execute();
  }

  async version(profileId: string, version: string): Promise<ProfileVersionRow | undefined> {
    return this.db
      .selectFrom('profile_versions')
      .selectAll()
      .where('profile_id', '=', profileId)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  /** The newest published version of a profile (by SemVer), if any. */
  async latestPublished(profileId: string): Promise<ProfileVersionRow | undefined> {
    return this.db
      .selectFrom('profile_versions')
      .selectAll()
      .where('profile_id', '=', profileId)
      .where('status', '=', 'published')
      .orderBy('sort_key', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** A profile and its first version, together or not at all. Throws the unique violation of a taken name. */
  async insertProfile(profile: ProfileRow, first: ProfileVersionRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('cluster_profiles').values(profile).execute();
      await trx.insertInto('profile_versions').values(first).execute();
    });
  }

  /** Throws the unique violation of a version number the profile has already. */
  async insertVersion(row: ProfileVersionRow): Promise<void> {
    await this.db.insertInto('profile_versions').values(row).execute();
    await this.touch(row.profile_id, row.created_at);
  }

  /** Replaces a draft's content; false when it is no longer the draft at `revision` (published, edited or gone). */
  async updateDraft(
    row: Pick<ProfileVersionRow, 'id' | 'profile_id' | 'revision'>,
    changes: Pick<ProfileVersionRow, 'spec' | 'description' | 'updated_at'>,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('profile_versions')
      .set({ ...changes, revision: row.revision + 1 })
      .where('id', '=', row.id)
      .where('status', '=', 'draft')
      .where('revision', '=', row.revision)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return false;
    await this.touch(row.profile_id, changes.updated_at);
    return true;
  }

  /** Freezes a draft with its lock; false when another writer got there first (see updateDraft). */
  async publish(
    row: Pick<ProfileVersionRow, 'id' | 'profile_id' | 'revision'>,
    changes: { lock: string; published_at: string; published_by: string },
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('profile_versions')
      .set({ ...changes, status: 'published', updated_at: changes.published_at, revision: row.revision + 1 })
      .where('id', '=', row.id)
      .where('status', '=', 'draft')
      .where('revision', '=', row.revision)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return false;
    await this.touch(row.profile_id, changes.published_at);
    return true;
  }

  /** Deletes a draft; false when it is not a draft (any more). */
  async deleteDraft(id: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('profile_versions')
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  /** Deletes a profile and its versions. */
  async deleteProfile(tenantId: string, id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('profile_versions').where('profile_id', '=', id).execute();
      const res = await trx
        .deleteFrom('cluster_profiles')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(res.numDeletedRows) === 1;
    });
  }

  private async touch(profileId: string, at: string): Promise<void> {
    await this.db
      .updateTable('cluster_profiles')
      .set({ updated_at: at })
      .where('id', '=', profileId)
      .execute();
  }
}
