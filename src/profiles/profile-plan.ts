import { createHash } from 'node:crypto';
import type { CatalogRepository } from '../catalog/catalog.repository.js';
import { versionToTag } from '../protocol/oci/reference.js';
import type { Scope } from '../shared/context.js';
import { InvalidRequestError, type ErrorDetail } from '../shared/errors.js';
import type { SecretBox } from '../shared/secret-box.js';
import { shownName } from '../shared/text.js';
import { installOrder, layerLabel } from './layer-rules.js';
import { ProfileInvalidError } from './profile-errors.js';
import { digestOf, parseLock, type LockedLayer } from './profile-lock.js';
import type { ProfileRow, ProfileVersionRow } from './profile.repository.js';
import type { PlanLayer, ProfilePlan } from './profile.schema.js';
import { parseSpec, variablesForRendering, type VariableValue } from './profile-spec.js';
import { renderValues, type ProfileVariable } from './values/values-template.js';

/** What a resolve asks for: the version (default the newest published), variable values as given in the query, and where clients reach this server. */
export interface PlanRequest {
  version?: string;
  /** `NAME` → the value as text (`3`, `true`, `eu-west`), read by the variable's declared type. */
  variables: Record<string, string>;
  /** This server's public base URL: hosted registries' references point at it. */
  baseUrl: string;
}

/** The plan as bytes and their strong ETag: the same version, catalog and variables give the same bytes. */
export interface RenderedPlan {
  body: string;
  etag: string;
}

export interface ProfilePlannerDeps {
  catalog: CatalogRepository;
  /** Catalog stamps of registries by id (RegistryRepository.catalogStamps). */
  catalogStamps: (registryIds: readonly string[]) => Promise<Map<string, string>>;
  secrets: SecretBox;
  /** The OCI host (`host[:port]`) and classic repository URL of a hosted registry under a base URL. */
  hostedUrls: (baseUrl: string, slug: string) => { ociHost: string; repository: string };
}

/**
 * The pull plan of a published version (SPEC §3 resolve): per layer in install order, the exact
 * reference a client pulls, the digest it must have, where it installs, and the values with variables
 * substituted. Built from the lock, never re-resolved: the catalog is read only to say whether each
 * locked version is still listed (`upstream`). Never a registry's credentials.
 */
export class ProfilePlanner {
  /**
   * Plans already built, by version, base URL and variable values. A published version never changes,
   * so a plan holds while the catalogs of its layers' registries do (their `upstream` field is all the
   * catalog decides): each request reads those stamps (one query) instead of one catalog query per
   * layer, and skips rendering the values again. Per process, bounded; plans are small.
   */
  private readonly cache = new Map<string, { registryIds: string[]; stamp: string; plan: RenderedPlan }>();

  constructor(private readonly d: ProfilePlannerDeps) {}

  async plan(
    scope: Scope & { kind: 'tenant' },
    profile: ProfileRow,
    row: ProfileVersionRow,
    request: PlanRequest,
  ): Promise<RenderedPlan> {
    const key = JSON.stringify([row.id, row.revision, request.baseUrl, sortedEntries(request.variables)]);
    const cached = this.cache.get(key);
    if (cached && (await this.stampOf(cached.registryIds)) === cached.stamp) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.plan;
    }
    const registryIds = [
      ...new Set(
        parseLock(row.lock!)
          .layers.filter((l) => !l.protected)
          .map((l) => l.registryId),
      ),
    ];
    // Read before building: a catalog commit during the build leaves an older stamp, so the next request rebuilds.
    const stamp = await this.stampOf(registryIds);
    const plan = await this.build(scope, profile, row, request);
    this.cache.set(key, { registryIds, stamp, plan });
    if (this.cache.size > MAX_CACHED_PLANS) this.cache.delete(this.cache.keys().next().value!);
    return plan;
  }

  private async stampOf(registryIds: readonly string[]): Promise<string> {
    const stamps = await this.d.catalogStamps(registryIds);
    return registryIds.map((id) => stamps.get(id) ?? 'gone').join(',');
  }

  private async build(
    scope: Scope & { kind: 'tenant' },
    profile: ProfileRow,
    row: ProfileVersionRow,
    request: PlanRequest,
  ): Promise<RenderedPlan> {
    const declared = variablesForRendering(parseSpec(row.spec).variables, row.id, this.d.secrets);
    const { variables, given } = redactSensitive(declared, readVariables(declared, request.variables));
    const layers = await this.layers(scope, row, variables, given, request.baseUrl, true);
    const plan: ProfilePlan = {
      profile: profile.name,
      version: row.version,
      publishedAt: row.published_at!,
      layers: layers.map(({ layer }) => layer),
    };
    const body = JSON.stringify(plan);
    return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
  }

  /**
   * The layers of a published version for one cluster's agent (clusters/agent-plan.ts): values rendered
   * with the cluster's variable values, sensitive ones included (that plan goes to that cluster's agent
   * only), and each layer's lock beside it. No catalog reads: the agent installs the lock as it is.
   */
  async agentLayers(
    scope: Scope & { kind: 'tenant' },
    row: ProfileVersionRow,
    given: Record<string, VariableValue>,
    baseUrl: string,
  ): Promise<Array<{ layer: PlanLayer; locked: LockedLayer }>> {
    const declared = variablesForRendering(parseSpec(row.spec).variables, row.id, this.d.secrets);
    return this.layers(scope, row, declared, given, baseUrl, false);
  }

  /** The version's layers in install order, values rendered; every render problem in one 422. */
  private async layers(
    scope: Scope & { kind: 'tenant' },
    row: ProfileVersionRow,
    variables: readonly ProfileVariable[],
    given: Record<string, VariableValue>,
    baseUrl: string,
    withUpstream: boolean,
  ): Promise<Array<{ layer: PlanLayer; locked: LockedLayer }>> {
    const spec = parseSpec(row.spec);
    const lock = parseLock(row.lock!);
    const problems: ErrorDetail[] = [];
    const out: Array<{ layer: PlanLayer; locked: LockedLayer }> = [];
    for (const name of installOrder(spec.layers)) {
      const index = spec.layers.findIndex((l) => l.name === name);
      const layer = spec.layers[index]!;
      const locked = lock.layers[index]!;
      const rendered = renderValues(layer.values, variables, given);
      if (!rendered.ok) {
        for (const p of rendered.problems) {
          problems.push({
            field: `layers[${index}].values${p.path ? `.${p.path}` : ''}`,
            message: `${layerLabel(layer, index)}: ${p.path ? `${p.path}: ` : ''}${p.message}`,
          });
        }
        continue;
      }
      out.push({
        locked,
        layer: {
          name: layer.name,
          registry: {
            name: locked.registryName,
            scope: locked.registryScope,
            kind: locked.registryKind,
            protected: locked.protected,
          },
          chart: locked.chart,
          version: locked.version,
          ...this.references(scope, locked, baseUrl),
          digest: locked.digest,
          verification: locked.protected ? 'unverified' : 'catalog',
          upstream: withUpstream ? await this.upstream(locked) : 'unknown',
          releaseName: layer.releaseName,
          namespace: layer.namespace,
          createNamespace: layer.createNamespace,
          dependsOn: layer.dependsOn,
          values: rendered.values,
        },
      });
    }
    if (problems.length > 0) throw new ProfileInvalidError(problems);
    return out;
  }

  /**
   * Where a client pulls a locked layer. Classic: the archive's absolute URL. OCI: `oci://host/repo`
   * by manifest digest where known (a tag can move; a digest cannot), else by tag. Hosted: this
   * server's OCI reference, and its classic URL beside it. A protected registry was never read: an OCI
   * one is pulled by tag (`<endpoint>/<chart>:<tag>`); a classic one names only its repository URL, as
   * only its index.yaml (which the agent reads, inside the network) tells where the archive is.
   */
  private references(
    scope: Scope & { kind: 'tenant' },
    locked: LockedLayer,
    baseUrl: string,
  ): Pick<PlanLayer, 'reference' | 'chartUrl'> {
    const pin = (repository: string): string =>
      locked.manifestDigest !== null
        ? `${repository}@${locked.manifestDigest}`
        : `${repository}:${versionToTag(locked.version)}`;
    if (locked.registryKind === 'hosted') {
      const slug = locked.registryScope === 'system' ? 'system' : scope.tenantName;
      const urls = this.d.hostedUrls(baseUrl, slug);
      return {
        reference: pin(`oci://${urls.ociHost}/${slug}/${locked.chart}`),
        chartUrl: `${urls.repository}/charts/${locked.chart}-${locked.version}.tgz`,
      };
    }
    if (locked.protected) {
      const endpoint = locked.endpoint.replace(/\/+$/, '');
      return locked.registryKind === 'oci'
        ? { reference: `${endpoint}/${locked.chart}:${versionToTag(locked.version)}`, chartUrl: null }
        : { reference: endpoint, chartUrl: null };
    }
    if (locked.chartUrl === null) return { reference: locked.endpoint, chartUrl: null };
    if (locked.registryKind === 'oci') return { reference: pin(locked.chartUrl), chartUrl: null };
    return { reference: locked.chartUrl, chartUrl: null };
  }

  private async upstream(locked: LockedLayer): Promise<PlanLayer['upstream']> {
    if (locked.protected) return 'unknown';
    const now = await this.d.catalog.version(locked.registryId, locked.chart, locked.version);
    if (!now) return 'gone';
    return locked.digest !== null && digestOf(now.digest) !== locked.digest ? 'changed' : 'present';
  }
}

const MAX_CACHED_PLANS = 500;

/**
 * A sensitive variable is never returned (SPEC §2), and this plan is read by people: where it has a
 * value (given or its default) the values show `(sensitive NAME)` in its place. The agent's own plan
 * (issue 14) is where the real values go, to that cluster only. A required one with no value at all
 * is still refused, as the plan could not be completed.
 */
function redactSensitive(
  variables: readonly ProfileVariable[],
  given: Record<string, VariableValue>,
): { variables: ProfileVariable[]; given: Record<string, VariableValue> } {
  const hidden = new Set<string>();
  const out = variables.map((v) => {
    if (!v.sensitive || (v.default === undefined && !Object.hasOwn(given, v.name))) return v;
    hidden.add(v.name);
    return { ...v, type: 'string' as const, required: false, default: `(sensitive ${v.name})` };
  });
  return { variables: out, given: Object.fromEntries(Object.entries(given).filter(([k]) => !hidden.has(k))) };
}

const sortedEntries = (o: Record<string, string>): Array<[string, string]> =>
  Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Variable values from a query, typed by each declaration; an unknown name or a value of the wrong type is a 400. */
function readVariables(
  variables: readonly ProfileVariable[],
  raw: Record<string, string>,
): Record<string, VariableValue> {
  const out: Record<string, VariableValue> = {};
  const problems: ErrorDetail[] = [];
  for (const [name, text] of Object.entries(raw)) {
    const v = variables.find((x) => x.name === name);
    const field = `var.${name}`;
    if (!v) {
      problems.push({ field, message: `${shownName(name)} is no variable of this version.` });
      continue;
    }
    if (v.type === 'string') out[name] = text;
    else if (v.type === 'boolean') {
      if (text === 'true' || text === 'false') out[name] = text === 'true';
      else problems.push({ field, message: `${name} is a boolean: give true or false.` });
    } else {
      const n = Number(text);
      if (text.trim() !== '' && Number.isFinite(n)) out[name] = n;
      else problems.push({ field, message: `${name} is a number: give one such as 3 or 0.5.` });
    }
  }
  if (problems.length > 0) {
    throw new InvalidRequestError(problems[0]!.message, problems);
  }
  return out;
}
