import {
  isValidOciRepositoryPath,
  parseRegistryEndpoint,
  type ParsedEndpoint,
} from '../protocol/registry-endpoint.js';
import type { Logger } from 'pino';
import type { RequestContext, Scope } from '../shared/context.js';
import { scopeKey, SYSTEM_SCOPE_KEY } from '../shared/context.js';
import {
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  PermissionError,
  UpstreamError,
  type UpstreamFailure,
  type ErrorDetail,
} from '../shared/errors.js';
import { newId, nowIso } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import { isUniqueViolation } from '../storage/errors.js';
import { displayUrl, validateCaCertificate, type UpstreamPolicy } from '../upstream/http-client.js';
import { probeRegistry, type IndexReader } from '../upstream/registry-probe.js';
import { registryConnection } from './registry.connection.js';
import { decodeCursor, encodeCursor } from './registry.cursor.js';
import type { RegistryChanges, RegistryRepository, RegistryRow } from './registry.repository.js';
import type { RegistryCreateBody, RegistryList, RegistryPatchBody, RegistryView } from './registry.schema.js';
import { toRegistryView } from './registry.view.js';
import { VisibleRegistries, type RowsStamp } from './visible-registries.js';
import { FormCheck } from './form-check.js';

export interface RegistryServiceOptions {
  logger: Logger;
  upstreamPolicy: UpstreamPolicy;
  maxIndexBytes: number;
  /** The database's registry-rows stamp (Storage.registryRows); without it every lookup reads. */
  rowsStamp?: RowsStamp;
  /** Where a classic registry's index is read when it is validated; without it, on this thread. */
  readIndex?: IndexReader;
}

/**
 * A registry's settings as the form gives them, password in clear text: lives only for the duration of
 * one call. Stored as columns (connectionColumns); the probe reaches the registry through the
 * UpstreamConnection those columns make (registry.connection.ts), as the sync will.
 */
interface RegistrySettings {
  endpoint: ParsedEndpoint;
  protected: boolean;
  username: string | null;
  password: string | null;
  passCredentials: boolean;
  caCert: string | null;
  insecureSkipVerify: boolean;
  plainHttp: boolean;
  ociRepositories: string[];
  /** This registry's index size limit; null for the server's. */
  maxIndexBytes: number | null;
}

const MAX_LIST_LIMIT = 500;

/**
 * Helm registry management for one scope (the system's or a tenant's): the rules of SPEC §2
 * "Registries". Unprotected registries are probed before anything is written; protected ones are
 * checked for form only and never contacted.
 */
export class RegistryService {
  /**
   * Told of every registry just added, after it is saved (app.ts starts its first sync here); true
   * when a sync of it is under way. The answer then shows it `syncing`, even when the sync's holder
   * (the scheduler, a moment earlier) has not marked it yet.
   */
  onCreated: (row: RegistryRow) => Promise<boolean> = async () => false;

  constructor(
    private readonly registries: RegistryRepository,
    private readonly secrets: SecretBox,
    private readonly options: RegistryServiceOptions,
  ) {
    this.visible = new VisibleRegistries(registries, options.rowsStamp ?? { stamp: () => null });
  }

  private readonly visible: VisibleRegistries;

  async list(ctx: RequestContext, query: { limit?: string; cursor?: string }): Promise<RegistryList> {
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new InvalidRequestError(`limit must be between 1 and ${MAX_LIST_LIMIT}.`, [
        { field: 'limit', message: 'out of range' },
      ]);
    }
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const tenantScope = ctx.scope.kind === 'tenant' ? ctx.scope.tenantId : null;
    const rows = await this.registries.list(tenantScope, limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const list: RegistryList = { items: page.map(toRegistryView) };
    if (rows.length > limit && last)
      list.nextCursor = encodeCursor({ system: last.scope === SYSTEM_SCOPE_KEY, name: last.name });
    return list;
  }

  async get(ctx: RequestContext, name: string): Promise<RegistryView> {
    return toRegistryView(await this.findVisible(ctx.scope, name));
  }

  async create(ctx: RequestContext, body: RegistryCreateBody): Promise<RegistryView> {
    this.requireAdmin(ctx);
    const scope = scopeKey(ctx.scope);
    const plainHttp = body.plainHttp ?? false;
    const auth = body.auth ?? { type: 'none' as const };
    // Every field's problem in one answer, so a form is not corrected one round trip per field.
    const form = new FormCheck();
    const endpoint = form.check(() => parseEndpoint(body.endpoint, plainHttp));
    if (auth.type === 'basic' && !auth.password) {
      form.add('Give a password, or set auth.type to "none" for a registry without authentication.', [
        { field: 'auth.password', message: 'required when auth.type is "basic"' },
      ]);
    }
    const ociRepositories =
      endpoint && form.check(() => normalizeOciRepositories(body.ociRepositories, endpoint));
    const caCert = form.check(() => checkCaCert(normalizeCaCert(body.tls?.caCert)));
    form.done();
    // done() threw unless every check passed: the endpoint parsed.
    const conn: RegistrySettings = {
      endpoint: endpoint!,
      protected: body.protected ?? false,
      username: auth.type === 'basic' ? auth.username : null,
      password: auth.type === 'basic' ? (auth.password ?? null) : null,
      passCredentials: body.passCredentials ?? false,
      caCert: caCert ?? null,
      insecureSkipVerify: body.tls?.insecureSkipVerify ?? false,
      plainHttp,
      ociRepositories: ociRepositories ?? [],
      maxIndexBytes: body.maxIndexBytes ?? null,
    };
    if (await this.registries.findByName(scope, body.name)) throw duplicateName(body.name);
    const id = newId();
    const warnings = await this.validate(conn, id);

    const now = nowIso();
    try {
      await this.registries.insert({
        id,
        scope,
        name: body.name,
        kind: conn.endpoint.kind,
        endpoint: conn.endpoint.endpoint,
        ...this.connectionColumns(conn, id),
        sync_interval_minutes: body.syncIntervalMinutes ?? 60,
        max_index_bytes: body.maxIndexBytes ?? null,
        sync_status: conn.protected ? 'disabled' : 'never',
        last_synced_at: null,
        last_error: null,
        chart_count: 0,
        version_count: 0,
        created_at: now,
        updated_at: now,
      });
    } catch (err) {
      // Two identical requests raced past the name check: the unique constraint decides.
      if (isUniqueViolation(err)) throw duplicateName(body.name);
      throw err;
    }
    const syncing = await this.onCreated((await this.registries.findByName(scope, body.name))!);
    const row = (await this.registries.findByName(scope, body.name))!;
    const view = toRegistryView(row);
    if (syncing && row.sync_status === 'never') view.syncStatus = 'syncing';
    return { ...view, warnings };
  }

  async update(ctx: RequestContext, name: string, patch: RegistryPatchBody): Promise<RegistryView> {
    this.requireAdmin(ctx);
    const current = notHosted(await this.findOwned(ctx.scope, name));
    const scope = current.scope;
    const plainHttp = patch.plainHttp ?? current.plain_http === 1;
    const endpoint = parseEndpoint(patch.endpoint ?? current.endpoint, plainHttp);
    const conn = this.connectionOf(current, endpoint);
    const changes: RegistryChanges = {};

    if (patch.endpoint !== undefined) {
      changes.endpoint = endpoint.endpoint;
      changes.kind = endpoint.kind;
    }
    if (patch.protected !== undefined) conn.protected = patch.protected;
    if (patch.auth !== undefined) {
      if (patch.auth.type === 'none') {
        conn.username = null;
        conn.password = null;
      } else {
        // Keeping the stored password is only safe for the same user on the same origin: otherwise a
        // caller could point the registry at their own host and collect the password.
        const sameTarget = patch.auth.username === current.username && patch.endpoint === undefined;
        if (!patch.auth.password && (!sameTarget || conn.password === null)) {
          throw new InvalidRequestError(
            'Give the password again when you change the username or the endpoint.',
            [{ field: 'auth.password', message: 'required' }],
          );
        }
        conn.username = patch.auth.username;
        conn.password = patch.auth.password ?? conn.password;
      }
    } else if (
      patch.endpoint !== undefined &&
      conn.password !== null &&
      !sameOrigin(current.endpoint, endpoint)
    ) {
      throw new InvalidRequestError(
        'The endpoint moves to another host: give the credentials again in auth.',
        [{ field: 'auth', message: 'required when the endpoint changes host' }],
      );
    }
    if (patch.passCredentials !== undefined) conn.passCredentials = patch.passCredentials;
    if (patch.tls?.caCert !== undefined) conn.caCert = normalizeCaCert(patch.tls.caCert);
    if (patch.tls?.insecureSkipVerify !== undefined) conn.insecureSkipVerify = patch.tls.insecureSkipVerify;
    if (patch.ociRepositories !== undefined || patch.endpoint !== undefined) {
      conn.ociRepositories = normalizeOciRepositories(
        patch.ociRepositories ?? conn.ociRepositories,
        endpoint,
      );
    }
    checkForm(conn);

    if (patch.name !== undefined && patch.name !== current.name) {
      if (await this.registries.findByName(scope, patch.name)) throw duplicateName(patch.name);
      changes.name = patch.name;
    }
    Object.assign(changes, this.connectionColumns(conn, current.id));
    if (patch.syncIntervalMinutes !== undefined) changes.sync_interval_minutes = patch.syncIntervalMinutes;
    if (patch.maxIndexBytes !== undefined) {
      changes.max_index_bytes = patch.maxIndexBytes;
      conn.maxIndexBytes = patch.maxIndexBytes;
    }

    // Re-validate whenever what we connect to, or how, changed; a protected registry is never contacted.
    const reconnect =
      patch.endpoint !== undefined ||
      patch.auth !== undefined ||
      patch.tls !== undefined ||
      patch.passCredentials !== undefined ||
      patch.plainHttp !== undefined ||
      patch.ociRepositories !== undefined ||
      (patch.protected === false && current.protected === 1);
    let warnings: string[] = [];
    if (!conn.protected && reconnect) warnings = await this.validate(conn, current.id);

    if (conn.protected) {
      changes.sync_status = 'disabled';
      changes.last_synced_at = null;
    } else if (current.protected === 1) {
      // Protection just came off: the registry has never been synced as an unprotected one.
      changes.sync_status = 'never';
      changes.last_error = null;
    } else if (reconnect) {
      // The new connection settings were just validated, so an error recorded with the old ones is
      // stale. The catalog and its Last Synced stay until the next sync replaces them.
      changes.last_error = null;
    }
    changes.updated_at = nowIso();
    try {
      await this.registries.update(scope, current.id, changes);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(patch.name ?? name);
      throw err;
    }
    const row = await this.registries.findByName(scope, changes.name ?? current.name);
    return { ...toRegistryView(row!), warnings };
  }

  async remove(ctx: RequestContext, name: string): Promise<void> {
    this.requireAdmin(ctx);
    const current = notHosted(await this.findOwned(ctx.scope, name));
    if (!(await this.registries.delete(current.scope, current.id)))
      throw new NotFoundError('Helm registry', name);
  }

  /** The stored form of connection settings: the password sealed to the registry's id. */
  private connectionColumns(conn: RegistrySettings, id: string) {
    return {
      protected: conn.protected ? 1 : 0,
      auth_type: conn.username === null ? ('none' as const) : ('basic' as const),
      username: conn.username,
      password_enc: conn.password === null ? null : this.secrets.seal(conn.password, id),
      pass_credentials: conn.passCredentials ? 1 : 0,
      tls_ca_cert: conn.caCert,
      tls_insecure_skip_verify: conn.insecureSkipVerify ? 1 : 0,
      plain_http: conn.plainHttp ? 1 : 0,
      oci_repositories: JSON.stringify(conn.ociRepositories),
    } satisfies RegistryChanges;
  }

  /** The clear connection settings of a stored registry, for the probe and later the sync engine. */
  private connectionOf(row: RegistryRow, endpoint: ParsedEndpoint): RegistrySettings {
    return {
      endpoint,
      protected: row.protected === 1,
      username: row.username,
      password: row.password_enc === null ? null : this.secrets.open(row.password_enc, row.id),
      passCredentials: row.pass_credentials === 1,
      caCert: row.tls_ca_cert,
      insecureSkipVerify: row.tls_insecure_skip_verify === 1,
      plainHttp: endpoint.baseUrl.protocol === 'http:' && endpoint.kind === 'oci',
      ociRepositories: JSON.parse(row.oci_repositories) as string[],
      maxIndexBytes: row.max_index_bytes ?? null,
    };
  }

  /** Probes the registry `conn` describes, reached exactly as the stored columns will reach it. */
  private async validate(conn: RegistrySettings, id: string): Promise<string[]> {
    if (conn.protected) return [];
    const started = Date.now();
    const endpoint = displayUrl(conn.endpoint.baseUrl) + conn.endpoint.ociPathPrefix;
    const connection = registryConnection(
      { id, endpoint: conn.endpoint.endpoint, ...this.connectionColumns(conn, id) },
      this.secrets,
    );
    const result = await probeRegistry(
      connection,
      this.options.upstreamPolicy,
      { maxIndexBytes: conn.maxIndexBytes ?? this.options.maxIndexBytes },
      this.options.readIndex,
    ).catch((err: unknown) => {
      // The upstream call is a boundary worth a log line; the URL has no query and no credentials.
      const failure = err instanceof UpstreamError ? err.failure : 'error';
      this.options.logger.warn({ endpoint, failure, ms: Date.now() - started }, 'registry validation failed');
      const field = err instanceof UpstreamError ? fieldFor(err.failure, conn) : null;
      throw field !== null && err instanceof UpstreamError ? err.withField(field) : err;
    });
    this.options.logger.info(
      { endpoint, charts: result.chartCount, versions: result.versionCount, ms: Date.now() - started },
      'registry validated',
    );
    const warnings = [...result.warnings];
    if (conn.password !== null && conn.endpoint.baseUrl.protocol === 'http:') {
      warnings.push(
        'The password is sent over plain HTTP, readable by anyone on the network path: prefer https.',
      );
    }
    return warnings;
  }

  /** A tenant sees its own registries and the system's; its own win when names collide. */
  /** The registry `name` resolves to for `scope`: its own first, then the system's. Rows are frozen. */
  async findVisible(scope: Scope, name: string): Promise<RegistryRow> {
    const own = (await this.visible.inScope(scopeKey(scope))).byName.get(name);
    if (own) return own;
    if (scope.kind === 'tenant') {
      const system = (await this.visible.inScope(SYSTEM_SCOPE_KEY)).byName.get(name);
      if (system) return system;
    }
    throw new NotFoundError('Helm registry', name);
  }

  /** The registries a catalog search covers for `tenantId` (null: the system's alone). */
  visibleForCatalog(tenantId: string | null): Promise<RegistryRow[]> {
    return this.visible.forCatalog(tenantId);
  }

  /** As findVisible, read from the database itself: what a change is checked against. */
  private async findVisibleNow(scope: Scope, name: string): Promise<RegistryRow> {
    const own = await this.registries.findByName(scopeKey(scope), name);
    if (own) return own;
    if (scope.kind === 'tenant') {
      const system = await this.registries.findByName(SYSTEM_SCOPE_KEY, name);
      if (system) return system;
    }
    throw new NotFoundError('Helm registry', name);
  }

  /** Like findVisible, but a system registry reached through a tenant is read-only. */
  async findOwned(scope: Scope, name: string): Promise<RegistryRow> {
    const row = await this.findVisibleNow(scope, name);
    if (row.scope !== scopeKey(scope)) {
      throw new PermissionError(
        `"${name}" is a system registry: only the system administrator can change it.`,
        'system_registry_read_only',
      );
    }
    return row;
  }

  requireAdmin(ctx: RequestContext): void {
    if (ctx.scope.kind === 'tenant' && ctx.scope.role !== 'admin') {
      throw new PermissionError('Only tenant administrators can add, change or remove registries.');
    }
    if (ctx.scope.kind === 'system' && !ctx.principal.isSystemAdmin) {
      throw new PermissionError('Only the system administrator can manage system registries.');
    }
  }
}

/**
 * Which field of the registry form a validation failure is about, so the console can show it there.
 * Null when no field the user filled in is to blame: credentials are needed but none were given.
 */
function fieldFor(failure: UpstreamFailure, conn: RegistrySettings): string | null {
  switch (failure) {
    case 'unauthorized':
    case 'forbidden':
      return conn.username === null ? null : 'auth.password';
    case 'tls':
      return 'tls';
    case 'not_found':
      return conn.ociRepositories.length > 0 ? 'ociRepositories' : 'endpoint';
    default:
      return 'endpoint';
  }
}

function duplicateName(name: string): ConflictError {
  return new ConflictError(
    'registry_name_taken',
    `A registry named "${name}" already exists here: choose another name.`,
  );
}

/** Same host and port: a switch between http and https keeps the password (plainHttp toggles). */
function sameOrigin(a: string, b: ParsedEndpoint): boolean {
  return parseRegistryEndpoint(a).baseUrl.host === b.baseUrl.host;
}

function parseEndpoint(endpoint: string, plainHttp: boolean): ParsedEndpoint {
  const parsed = parseRegistryEndpoint(endpoint, { ociPlainHttp: plainHttp });
  if (plainHttp && parsed.kind !== 'oci') {
    throw new InvalidRequestError(
      'plainHttp applies to OCI registries only: write http:// in a classic endpoint.',
      [{ field: 'plainHttp', message: 'only for oci:// endpoints' }],
    );
  }
  return parsed;
}

function normalizeCaCert(pem: string | null | undefined): string | null {
  if (pem === undefined || pem === null || pem.trim() === '') return null;
  return pem.trim() + '\n';
}

function normalizeOciRepositories(list: string[] | undefined, endpoint: ParsedEndpoint): string[] {
  if (!list || list.length === 0) return [];
  if (endpoint.kind !== 'oci') {
    throw new InvalidRequestError('ociRepositories applies to OCI registries only (oci://…).', [
      { field: 'ociRepositories', message: 'only for oci:// endpoints' },
    ]);
  }
  const details: ErrorDetail[] = [];
  const out = [...new Set(list.map((r) => r.trim().replace(/^\/+|\/+$/g, '')))];
  out.forEach((r, i) => {
    if (!isValidOciRepositoryPath(r)) {
      details.push({
        field: `ociRepositories[${i}]`,
        message: `"${r}" is not an OCI repository name (lowercase, digits, ".", "_", "-", "/")`,
      });
    }
  });
  if (details.length > 0) throw new InvalidRequestError('Some OCI repository names are invalid.', details);
  return out;
}

function checkForm(conn: RegistrySettings): void {
  checkCaCert(conn.caCert);
}

function checkCaCert(pem: string | null): string | null {
  if (pem !== null) validateCaCertificate(pem);
  return pem;
}

/** The hosted registry comes with its tenant (or the system): it is used, not configured or removed. */
function notHosted(row: RegistryRow): RegistryRow {
  if (row.kind === 'hosted') {
    throw new ConflictError(
      'hosted_registry',
      `"${row.name}" is the built-in hosted registry: it cannot be changed or removed. Delete its charts instead, or turn public read on or off under /hosted.`,
    );
  }
  return row;
}
