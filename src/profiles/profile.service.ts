import type { CatalogRepository } from '../catalog/catalog.repository.js';
import { requireTenantAdmin, type Principal, type Scope } from '../shared/context.js';
import { ConflictError, InvalidRequestError, NotFoundError, type ErrorDetail } from '../shared/errors.js';
import { newId, nowIso } from '../shared/ids.js';
import { namePage, nextNameCursor } from '../shared/name-pages.js';
import type { SecretBox } from '../shared/secret-box.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { CheckedLayer, LayerChecker, ValuesMemo } from './layer-check.js';
import { layerFormProblems } from './layer-rules.js';
import { diffVersions } from './profile-diff.js';
import { checkVersionNumber, newVersionRow } from './profile-rows.js';
import { ProfileInvalidError, publishedVersionError, versionChangedError } from './profile-errors.js';
import { lockLayer, type HostedManifestLookup, type ProfileLock } from './profile-lock.js';
import type { PlanRequest, ProfilePlanner, RenderedPlan } from './profile-plan.js';
import { ProfileViews, toProfileView } from './profile-view.js';
import type { ProfileRepository, ProfileRow, ProfileVersionRow } from './profile.repository.js';
import type {
  ProfileCreateBody,
  ProfileDiff,
  ProfileList,
  ProfileListQuery,
  ProfileVersionView,
  ProfileView,
  VersionCreateBody,
  VersionSpecBody,
} from './profile.schema.js';
import {
  cloneVariables,
  EMPTY_SPEC,
  layerFromInput,
  parseSpec,
  variablesForRendering,
  variablesFromInput,
  type VersionSpec,
} from './profile-spec.js';
import { checkVariableDeclarations } from './values/values-template.js';

/** A call on a tenant's profiles: who, and in which tenant (profiles exist per tenant only). */
export interface TenantContext {
  principal: Principal;
  scope: Scope & { kind: 'tenant' };
}

/**
 * What uses a profile (clusters, from the next issue on): a profile in use cannot be deleted. Names of
 * the users, for the message; empty when nothing does.
 */
export type ProfileUsage = (tenantId: string, profileId: string) => Promise<string[]>;

export interface ProfileServiceDeps {
  profiles: ProfileRepository;
  checker: LayerChecker;
  catalog: CatalogRepository;
  secrets: SecretBox;
  hostedManifest: HostedManifestLookup;
  planner: ProfilePlanner;
}

const DEFAULT_FIRST_VERSION = '1.0.0';
const MAX_CACHED_VERSIONS = 1_000;

/**
 * Cluster profiles (SPEC §2 "Cluster profiles"): versioned stacks of chart layers, drafts until
 * published, a lock once published. Members read; tenant administrators write, because a published
 * version is what clusters install: who may change a cluster's software is who may change its registries.
 * Every write of a version checks it whole (form, registries, catalog, values against the chart's
 * schema) and saves nothing when anything fails, every problem named in one 422.
 */
export class ProfileService {
  /** What uses a profile; clusters set it (issue 14). */
  usage: ProfileUsage = async () => [];

  private readonly views: ProfileViews;
  private readonly published = new Map<string, ProfileVersionRow>();
  private readonly byId = new Map<string, ProfileRow>();

  constructor(private readonly d: ProfileServiceDeps) {
    this.views = new ProfileViews(d.checker, d.catalog);
  }

  // Profiles ------------------------------------------------------------------------------------

  async list(ctx: TenantContext, query: ProfileListQuery): Promise<ProfileList> {
    const { limit, after } = namePage(query);
    const rows = await this.d.profiles.list(ctx.scope.tenantId, limit + 1, after);
    const page = rows.slice(0, limit);
    const versions = await this.d.profiles.versionsOf(page.map((p) => p.id));
    const result: ProfileList = {
      items: page.map((p) =>
        toProfileView(
          p,
          versions.filter((v) => v.profile_id === p.id),
        ),
      ),
    };
    const next = nextNameCursor(rows, limit);
    if (next !== undefined) result.nextCursor = next;
    return result;
  }

  /** One profile with its versions, each with its count of layers that have an update available. */
  async get(ctx: TenantContext, name: string): Promise<ProfileView> {
    const profile = await this.find(ctx, name);
    const versions = await this.d.profiles.versionsOf([profile.id]);
    const view = toProfileView(profile, versions);
    // One set of catalog reads for all versions: they mostly name the same charts.
    const reads = this.views.reads(ctx.scope);
    const counts = await Promise.all(
      versions.map(async (row) => (await this.views.version(profile, row, reads)).updatesAvailable),
    );
    view.versions.forEach((v, i) => (v.updatesAvailable = counts[i]!));
    return view;
  }

  async create(ctx: TenantContext, body: ProfileCreateBody): Promise<ProfileVersionView> {
    requireTenantAdmin(ctx.scope, 'create cluster profiles');
    const version = checkVersionNumber(body.version ?? DEFAULT_FIRST_VERSION);
    const now = nowIso();
    const profile: ProfileRow = {
      id: newId(),
      tenant_id: ctx.scope.tenantId,
      name: body.name,
      description: body.description ?? null,
      created_by: ctx.principal.username,
      created_at: now,
      updated_at: now,
    };
    const versionId = newId();
    const { spec, checked } = await this.checkedSpec(ctx, versionId, body);
    const row = newVersionRow(
      versionId,
      profile.id,
      version,
      body.description ?? null,
      spec,
      ctx.principal.username,
      now,
    );
    try {
      await this.d.profiles.insertProfile(profile, row);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(
          'profile_exists',
          `A cluster profile named "${body.name}" exists already in this tenant.`,
          [{ field: 'name', message: 'taken' }],
        );
      }
      throw err;
    }
    return this.views.version(profile, row, this.views.reads(ctx.scope, checked));
  }

  async remove(ctx: TenantContext, name: string): Promise<void> {
    requireTenantAdmin(ctx.scope, 'delete cluster profiles');
    const profile = await this.find(ctx, name);
    const users = await this.usage(ctx.scope.tenantId, profile.id);
    if (users.length > 0) {
      const shown = users.slice(0, 5).join(', ') + (users.length > 5 ? ` and ${users.length - 5} more` : '');
      throw new ConflictError(
        'profile_in_use',
        `Cluster profile "${name}" is used by ${shown}: remove it from them first.`,
      );
    }
    this.byId.delete(profile.id);
    if (!(await this.d.profiles.deleteProfile(ctx.scope.tenantId, profile.id))) {
      throw new NotFoundError('Cluster profile', name);
    }
  }

  // Versions ------------------------------------------------------------------------------------

  async createVersion(
    ctx: TenantContext,
    name: string,
    body: VersionCreateBody,
  ): Promise<ProfileVersionView> {
    requireTenantAdmin(ctx.scope, 'create profile versions');
    const profile = await this.find(ctx, name);
    const version = checkVersionNumber(body.version);
    const versionId = newId();
    let spec: VersionSpec;
    let checked: CheckedLayer[];
    let description = body.description ?? null;
    if (body.from !== undefined) {
      if (body.variables !== undefined || body.layers !== undefined) {
        throw new InvalidRequestError('Give "from" to clone a version, or variables and layers, not both.', [
          { field: 'from', message: 'not with variables or layers' },
        ]);
      }
      const source = await this.findVersion(profile, body.from);
      const from = parseSpec(source.spec);
      // A clone is a new draft: it is checked again, against today's catalog, like any write.
      spec = {
        layers: from.layers,
        variables: cloneVariables(from.variables, source.id, versionId, this.d.secrets),
      };
      checked = await this.check(ctx, versionId, spec);
      if (body.description === undefined) description = source.description;
    } else {
      ({ spec, checked } = await this.checkedSpec(ctx, versionId, body));
    }
    const now = nowIso();
    const row = newVersionRow(versionId, profile.id, version, description, spec, ctx.principal.username, now);
    try {
      await this.d.profiles.insertVersion(row);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(
          'profile_version_exists',
          `${name} has a version ${version} already: pick another number.`,
          [{ field: 'version', message: 'taken' }],
        );
      }
      throw err;
    }
    return this.views.version(profile, row, this.views.reads(ctx.scope, checked));
  }

  async getVersion(ctx: TenantContext, name: string, version: string): Promise<ProfileVersionView> {
    const profile = await this.find(ctx, name);
    return this.views.version(profile, await this.findVersion(profile, version), this.views.reads(ctx.scope));
  }

  async putVersion(
    ctx: TenantContext,
    name: string,
    version: string,
    body: VersionSpecBody,
  ): Promise<ProfileVersionView> {
    requireTenantAdmin(ctx.scope, 'edit profile versions');
    const profile = await this.find(ctx, name);
    const row = await this.findVersion(profile, version);
    if (row.status === 'published') throw publishedVersionError(name, version, 'edited');
    const previous = parseSpec(row.spec);
    const { spec, checked } = await this.checkedSpec(ctx, row.id, body, previous);
    const changes = {
      spec: JSON.stringify(spec),
      description: body.description === undefined ? row.description : body.description,
      updated_at: nowIso(),
    };
    if (!(await this.d.profiles.updateDraft(row, changes))) {
      const now = await this.d.profiles.version(profile.id, version);
      if (now?.status === 'published') throw publishedVersionError(name, version, 'edited');
      throw versionChangedError(name, version);
    }
    return this.views.version(
      profile,
      { ...row, ...changes, revision: row.revision + 1 },
      this.views.reads(ctx.scope, checked),
    );
  }

  async deleteVersion(ctx: TenantContext, name: string, version: string): Promise<void> {
    requireTenantAdmin(ctx.scope, 'delete profile versions');
    const profile = await this.find(ctx, name);
    const row = await this.findVersion(profile, version);
    if (row.status === 'published') throw publishedVersionError(name, version, 'deleted');
    if (!(await this.d.profiles.deleteDraft(row.id))) {
      const now = await this.d.profiles.version(profile.id, version);
      if (now) throw publishedVersionError(name, version, 'deleted');
      throw new NotFoundError('Profile version', `${name} ${version}`);
    }
  }

  /**
   * Resolves every layer against today's catalog, checks everything again, and freezes the draft with
   * its lock. Of two publishes racing, the conditional update lets exactly one through; the other is 409.
   */
  async publish(ctx: TenantContext, name: string, version: string): Promise<ProfileVersionView> {
    requireTenantAdmin(ctx.scope, 'publish profile versions');
    const profile = await this.find(ctx, name);
    const row = await this.findVersion(profile, version);
    if (row.status === 'published') throw publishedVersionError(name, version, 'published again');
    const spec = parseSpec(row.spec);
    // The draft's own last check is the memo: layers unchanged since it are not checked again.
    const checked = await this.check(ctx, row.id, spec, spec);
    if (checked.length === 0) {
      throw new ProfileInvalidError([
        { field: 'layers', message: `${name} ${version} has no layers: add at least one before publishing.` },
      ]);
    }
    const lock: ProfileLock = {
      layers: await Promise.all(checked.map((l) => lockLayer(l, this.d.hostedManifest))),
    };
    const at = nowIso();
    const changes = { lock: JSON.stringify(lock), published_at: at, published_by: ctx.principal.username };
    if (!(await this.d.profiles.publish(row, changes))) {
      const now = await this.d.profiles.version(profile.id, version);
      if (now?.status === 'published') throw publishedVersionError(name, version, 'published again');
      throw versionChangedError(name, version);
    }
    return this.views.version(
      profile,
      { ...row, ...changes, status: 'published', updated_at: at, revision: row.revision + 1 },
      this.views.reads(ctx.scope, checked),
    );
  }

  async diff(ctx: TenantContext, name: string, from: string, to: string): Promise<ProfileDiff> {
    const profile = await this.find(ctx, name);
    const [a, b] = [await this.findVersion(profile, from), await this.findVersion(profile, to)];
    return diffVersions(profile.name, a, b);
  }

  /** The pull plan of a published version (default: the newest), with variables from `variables`. */
  async resolve(ctx: TenantContext, name: string, request: PlanRequest): Promise<RenderedPlan> {
    const profile = await this.find(ctx, name);
    const row =
      request.version === undefined
        ? await this.d.profiles.latestPublished(profile.id)
        : await this.publishedOrAny(profile, request.version);
    if (!row) {
      throw new ConflictError(
        'profile_not_published',
        `${name} has no published version yet: publish one to get a plan.`,
      );
    }
    if (row.status !== 'published' || row.lock === null) {
      throw new ConflictError(
        'profile_version_draft',
        `${name} ${row.version} is a draft: its versions are not resolved until it is published (POST .../versions/${row.version}/publish).`,
      );
    }
    return this.d.planner.plan(ctx.scope, profile, row, request);
  }

  /**
   * A published version as clusters use it (clusters/assignments.ts, clusters/agent-plan.ts), by the
   * profile's name in the tenant, or by its id once assigned: `missing` when there is no such profile
   * or version, `draft` when the version is not published. Published rows come from memory.
   */
  async publishedVersion(
    tenantId: string,
    ref: { name: string } | { id: string },
    version: string,
  ): Promise<{ profile: ProfileRow; row: ProfileVersionRow } | 'missing' | 'draft'> {
    const profile =
      'name' in ref ? await this.d.profiles.find(tenantId, ref.name) : await this.profileById(ref.id);
    if (!profile || profile.tenant_id !== tenantId) return 'missing';
    const row = await this.publishedOrAny(profile, version).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (!row) return 'missing';
    if (row.status !== 'published' || row.lock === null) return 'draft';
    return { profile, row };
  }

  /** Profile rows by id: a profile is never renamed, and one in use is never deleted. */
  private async profileById(id: string): Promise<ProfileRow | undefined> {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const row = await this.d.profiles.findById(id);
    if (row) {
      this.byId.set(id, row);
      if (this.byId.size > MAX_CACHED_VERSIONS) this.byId.delete(this.byId.keys().next().value!);
    }
    return row;
  }

  // Internals -----------------------------------------------------------------------------------

  /**
   * A version by number, published ones from memory: a published row never changes, and resolve reads
   * one on every poll (a version deleted with its profile is reached through the profile's id, which
   * then no longer resolves). Drafts are always read afresh.
   */
  private async publishedOrAny(profile: ProfileRow, version: string): Promise<ProfileVersionRow> {
    const key = `${profile.id}\u0000${version}`;
    const cached = this.published.get(key);
    if (cached) return cached;
    const row = await this.findVersion(profile, version);
    if (row.status === 'published') {
      this.published.set(key, row);
      if (this.published.size > MAX_CACHED_VERSIONS)
        this.published.delete(this.published.keys().next().value!);
    }
    return row;
  }

  private async find(ctx: TenantContext, name: string): Promise<ProfileRow> {
    const row = await this.d.profiles.find(ctx.scope.tenantId, name);
    if (!row) throw new NotFoundError('Cluster profile', name);
    return row;
  }

  private async findVersion(profile: ProfileRow, version: string): Promise<ProfileVersionRow> {
    const row = await this.d.profiles.version(profile.id, version);
    if (!row) throw new NotFoundError('Profile version', `${profile.name} ${version}`);
    return row;
  }

  /** The spec of a write: the API's body with defaults applied and sensitive defaults sealed, checked whole. */
  private async checkedSpec(
    ctx: TenantContext,
    versionId: string,
    body: VersionSpecBody,
    previous: VersionSpec = EMPTY_SPEC,
  ): Promise<{ spec: VersionSpec; checked: CheckedLayer[] }> {
    // clearDefault is an instruction to this call, not part of a declaration.
    const declared = checkVariableDeclarations((body.variables ?? []).map(({ clearDefault: _, ...v }) => v));
    if (!declared.ok) {
      throw new ProfileInvalidError(
        declared.problems.map((p) => ({ field: p.path, message: `${p.path}: ${p.message}` })),
      );
    }
    const spec: VersionSpec = {
      variables: variablesFromInput(body.variables ?? [], versionId, this.d.secrets, previous.variables),
      layers: (body.layers ?? []).map(layerFromInput),
    };
    return { spec, checked: await this.check(ctx, versionId, spec, previous) };
  }

  /**
   * Every rule of a version's content; throws one 422 with all problems, or the 404 of an unknown
   * registry. Records on `spec` what the check found without refusing (warnings) and the fingerprints
   * of layers whose values passed, so the next check of this version can skip them (`previous`).
   */
  private async check(
    ctx: TenantContext,
    versionId: string,
    spec: VersionSpec,
    previous?: VersionSpec,
  ): Promise<CheckedLayer[]> {
    const problems: ErrorDetail[] = layerFormProblems(spec.layers);
    // Form problems first: the catalog cannot judge a layer whose name or dependencies are broken.
    if (problems.length > 0) throw new ProfileInvalidError(problems);
    const variables = variablesForRendering(spec.variables, versionId, this.d.secrets);
    const memo: ValuesMemo = {
      variables: JSON.stringify(spec.variables),
      passed: Object.fromEntries(
        Object.entries(previous?.fingerprints ?? {}).map(([name, fingerprint]) => [
          name,
          { fingerprint, warnings: previous?.warnings?.[name] ?? [] },
        ]),
      ),
    };
    const checked = await this.d.checker.check(ctx.scope, spec.layers, variables, { values: true, memo });
    if (checked.problems.length > 0) throw new ProfileInvalidError(checked.problems);
    spec.warnings = warningsOf(checked.layers);
    spec.fingerprints = Object.fromEntries(
      checked.layers.flatMap((l) => (l.fingerprint === null ? [] : [[l.spec.name, l.fingerprint]])),
    );
    return checked.layers;
  }
}

function warningsOf(layers: readonly CheckedLayer[]): Record<string, string[]> {
  return Object.fromEntries(
    layers.filter((l) => l.warnings.length > 0).map((l) => [l.spec.name, l.warnings]),
  );
}
