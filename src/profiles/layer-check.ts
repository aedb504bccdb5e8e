import { createHash } from 'node:crypto';
import type { CatalogRepository } from '../catalog/catalog.repository.js';
import type { ChartFilesService } from '../catalog/chart-files.js';
import type { ChartVersionRow } from '../catalog/chart-version.repository.js';
import { chartNameProblem } from '../protocol/helm/chart-version.js';
import {
  isExactVersion,
  newestMatching,
  parseVersionConstraint,
} from '../protocol/helm/version-constraint.js';
import { parseChartVersion } from '../protocol/helm/semver-sort.js';
import type { RegistryRow } from '../registries/registry.repository.js';
import type { RegistryService } from '../registries/registry.service.js';
import type { Scope } from '../shared/context.js';
import { AppError, NotFoundError, type ErrorDetail } from '../shared/errors.js';
import { shownName } from '../shared/text.js';
import { coalesceValues } from './coalesce-values.js';
import { layerField, layerLabel, type LayerSpec } from './layer-rules.js';
import { parseChartValuesYaml } from './values/chart-values.js';
import { MAX_VALUES_BYTES } from './values/layer-values.js';
import { renderValuesForValidation, type ProfileVariable } from './values/values-template.js';
import type { ValuesSchemaValidator } from './values/values-schema.js';

/** 404: a layer names a registry the tenant cannot see (its own, the system's); nothing says whether it exists elsewhere. */
export class LayerRegistryNotFoundError extends AppError {
  readonly status = 404;
  constructor(layer: string, field: string, registry: string) {
    const message = `${layer}: Helm registry "${shownName(registry)}" was not found.`;
    super('not_found', message, [{ field, message }]);
  }
}

/** A layer checked against its registry and the catalog. */
export interface CheckedLayer {
  spec: LayerSpec;
  registry: RegistryRow;
  /** The catalog row the layer resolves to today (its exact version, or its constraint's newest match); null for protected registries. */
  row: ChartVersionRow | null;
  /** Every catalog version of the chart in that registry (empty for protected ones), newest first. */
  versions: ChartVersionRow[];
  warnings: string[];
  /** The values check's fingerprint when it passed with the chart's files at hand (see ValuesMemo); else null. */
  fingerprint: string | null;
}

/**
 * What a previous check of the same version found, so an unchanged layer is not checked again: its
 * values against one chart archive (by digest, so one schema and one set of defaults) under the same
 * variables give the same answer. Publishing right after saving then compiles no schema, even on a
 * server that has just started.
 */
export interface ValuesMemo {
  /** The version's variables as stored (sensitive defaults sealed): part of every fingerprint. */
  variables: string;
  /** By layer name: the fingerprint of its last passing check and the warnings it had. */
  passed: Readonly<Record<string, { fingerprint: string; warnings: readonly string[] }>>;
}

export interface LayerCheckDeps {
  registries: RegistryService;
  catalog: CatalogRepository;
  chartFiles?: ChartFilesService;
  schemas: ValuesSchemaValidator;
}

/**
 * The rules of a layer that need storage (SPEC §2 "Cluster profiles"): its registry is one the tenant
 * sees; an unprotected or hosted registry's chart and version are in the catalog, or its constraint
 * matches a catalog version; a protected registry's chart name and exact version are well formed. With
 * `values`, the values parse, reference only declared variables, and pass the chart version's
 * values.schema.json (over the chart's defaults, as Helm validates them); a schema that cannot be used
 * is a warning, not a problem.
 */
export class LayerChecker {
  /**
   * A chart's parsed values.yaml by the text's sha256 (null: unreadable): a big chart's defaults take
   * milliseconds to parse, and a profile names the same chart versions publish after publish.
   * coalesceValues never changes its inputs, so one parsed copy serves every check.
   */
  private readonly defaults = new Map<string, Record<string, unknown> | null>();

  constructor(private readonly deps: LayerCheckDeps) {}

  private defaultsOf(valuesYaml: string | null): Record<string, unknown> | null {
    if (valuesYaml === null) return {};
    const key = sha256(valuesYaml);
    const cached = this.defaults.get(key);
    if (cached !== undefined) {
      this.defaults.delete(key);
      this.defaults.set(key, cached);
      return cached;
    }
    // A chart's own values.yaml may use anchors (alertmanager's does), as Helm allows: expanded, bounded.
    const parsed = parseChartValuesYaml(valuesYaml);
    const value = parsed.ok ? parsed.values : null;
    this.defaults.set(key, value);
    if (this.defaults.size > MAX_CACHED_DEFAULTS) this.defaults.delete(this.defaults.keys().next().value!);
    return value;
  }

  /** The registry a tenant reaches by a name: its own, else the system's (404 otherwise). */
  registry(scope: Scope, name: string): Promise<RegistryRow> {
    return this.deps.registries.findVisible(scope, name);
  }

  async check(
    scope: Scope,
    layers: readonly LayerSpec[],
    variables: readonly ProfileVariable[],
    options: { values: boolean; memo?: ValuesMemo },
  ): Promise<{ layers: CheckedLayer[]; problems: ErrorDetail[] }> {
    const problems: ErrorDetail[] = [];
    // Registries first, one at a time: an unknown one is a 404 before any other work is done.
    const registries = new Map<string, RegistryRow>();
    for (const [i, layer] of layers.entries()) {
      if (registries.has(layer.registry)) continue;
      try {
        registries.set(layer.registry, await this.deps.registries.findVisible(scope, layer.registry));
      } catch (err) {
        if (err instanceof NotFoundError) {
          throw new LayerRegistryNotFoundError(
            layerLabel(layer, i),
            layerField(i, 'registry'),
            layer.registry,
          );
        }
        throw err;
      }
    }
    const checked = await Promise.all(
      layers.map((spec, i) =>
        this.checkOne(i, spec, registries.get(spec.registry)!, variables, options, problems),
      ),
    );
    problems.sort((a, b) => fieldOrder(a.field) - fieldOrder(b.field));
    return { layers: checked, problems };
  }

  private async checkOne(
    index: number,
    spec: LayerSpec,
    registry: RegistryRow,
    variables: readonly ProfileVariable[],
    options: { values: boolean; memo?: ValuesMemo },
    problems: ErrorDetail[],
  ): Promise<CheckedLayer> {
    const label = layerLabel(spec, index);
    const add = (field: string, message: string): void => {
      problems.push({ field: layerField(index, field), message: `${label}: ${message}` });
    };
    const layer: CheckedLayer = { spec, registry, row: null, versions: [], warnings: [], fingerprint: null };
    if (registry.protected === 1) this.checkTyped(spec, add);
    else await this.checkInCatalog(layer, add);
    if (options.values) await this.checkValues(layer, variables, add, options.memo);
    return layer;
  }

  /** A protected registry is never contacted: the chart and version can only be checked for form. */
  private checkTyped(spec: LayerSpec, add: (field: string, message: string) => void): void {
    const nameProblem = chartNameProblem(spec.chart);
    if (nameProblem) add('chart', `chart name ${shownName(spec.chart)} is not valid: ${nameProblem}.`);
    if (spec.versionConstraint !== null) {
      add(
        'versionConstraint',
        `"${spec.registry}" is protected: Charthouse never contacts it, so a constraint cannot be resolved. Give the exact version instead.`,
      );
    }
    if (spec.version === null) {
      if (spec.versionConstraint === null) add('version', 'give the exact chart version (such as 1.2.3).');
    } else if (!isExactVersion(spec.version)) {
      add(
        'version',
        `${shownName(spec.version)} is not an exact SemVer version such as 1.2.3 or 1.2.3-rc.1.`,
      );
    }
  }

  private async checkInCatalog(
    layer: CheckedLayer,
    add: (field: string, message: string) => void,
  ): Promise<void> {
    const { spec, registry } = layer;
    if (spec.version !== null && spec.versionConstraint !== null) {
      add('versionConstraint', 'give either version or versionConstraint, not both.');
      return;
    }
    if (spec.version === null && spec.versionConstraint === null) {
      add('version', 'give a version from the catalog, or a versionConstraint such as ~1.2 or ^2.0.0.');
      return;
    }
    if (chartNameProblem(spec.chart) !== null) {
      add('chart', `chart ${shownName(spec.chart)} is not in registry "${registry.name}".`);
      return;
    }
    layer.versions = await this.deps.catalog.chart(registry.id, spec.chart);
    const where = `registry "${registry.name}"`;
    if (layer.versions.length === 0) {
      add('chart', `chart "${spec.chart}" is not in ${where}${syncHint(registry)}.`);
      return;
    }
    const newest = layer.versions[0]!.version;
    if (spec.version !== null) {
      layer.row = layer.versions.find((v) => v.version === spec.version) ?? null;
      if (layer.row) return;
      if (!parseChartVersion(spec.version).ok) {
        add(
          'version',
          `${shownName(spec.version)} is not a version: give an exact version such as ${newest}, or a versionConstraint such as ^${majorOf(newest)}.0.0.`,
        );
      } else {
        add(
          'version',
          `version ${spec.version} of chart "${spec.chart}" is not in ${where} (its newest is ${newest}).`,
        );
      }
      return;
    }
    const parsed = parseVersionConstraint(spec.versionConstraint!);
    if (!parsed.ok) {
      add(
        'versionConstraint',
        `${shownName(spec.versionConstraint!)} is not a version constraint: ${parsed.reason}.`,
      );
      return;
    }
    const match = newestMatching(
      parsed.constraint,
      layer.versions.map((v) => v.version),
    );
    layer.row = match === null ? null : (layer.versions.find((v) => v.version === match) ?? null);
    if (!layer.row) {
      add(
        'versionConstraint',
        `${shownName(spec.versionConstraint!)} matches no version of chart "${spec.chart}" in ${where} (its newest is ${newest}; pre-releases match only a constraint that names one).`,
      );
    }
  }

  private async checkValues(
    layer: CheckedLayer,
    variables: readonly ProfileVariable[],
    add: (field: string, message: string) => void,
    memo: ValuesMemo | undefined,
  ): Promise<void> {
    const { spec, row } = layer;
    const fingerprint =
      memo && row?.digest ? sha256([row.digest, spec.values, memo.variables].join('\u0000')) : null;
    const previous = memo?.passed[spec.name];
    if (fingerprint !== null && previous?.fingerprint === fingerprint) {
      layer.fingerprint = fingerprint;
      layer.warnings.push(...previous.warnings);
      return;
    }
    const bytes = Buffer.byteLength(spec.values, 'utf8');
    if (bytes > MAX_VALUES_BYTES) {
      add('values', `the values are ${mib(bytes)}; at most ${mib(MAX_VALUES_BYTES)} are accepted.`);
      return;
    }
    const rendered = renderValuesForValidation(spec.values, variables);
    if (!rendered.ok) {
      for (const p of rendered.problems)
        add(valuesField(p.path), p.path ? `${p.path}: ${p.message}` : p.message);
      return;
    }
    const { registry } = layer;
    if (!row || !this.deps.chartFiles) return;
    const files = await this.deps.chartFiles.filesFor(registry, row);
    if (files.files.status === 'unavailable') {
      layer.warnings.push(`The values were not checked against the chart's schema: ${files.files.reason}`);
      return;
    }
    if (files.valuesSchema === null) {
      layer.fingerprint = fingerprint;
      return;
    }
    const defaults = this.defaultsOf(files.valuesYaml);
    if (defaults === null) {
      layer.warnings.push(
        "The chart's own values.yaml could not be read; the values were checked without its defaults.",
      );
    }
    const check = this.deps.schemas.check(
      files.valuesSchema,
      coalesceValues(defaults ?? {}, rendered.values),
      {
        ignorePaths: rendered.templatedPaths,
      },
    );
    layer.warnings.push(
      ...check.warnings.map((w) => `values.schema.json of ${spec.chart} ${row.version}: ${w}`),
    );
    for (const v of check.violations)
      add(valuesField(v.path), v.path ? `values ${v.path}: ${v.message}` : `values: ${v.message}`);
    if (check.violations.length === 0) layer.fingerprint = fingerprint;
  }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const MAX_CACHED_DEFAULTS = 200;

const valuesField = (path: string): string => (path ? `values.${path}` : 'values');

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

const majorOf = (version: string): string => /^v?(\d+)/.exec(version)?.[1] ?? '1';

function syncHint(registry: RegistryRow): string {
  if (registry.kind === 'hosted') return ' (push it there first)';
  return registry.last_synced_at === null
    ? ' (it has not been synced yet)'
    : ' (check the name, or sync the registry)';
}

/** Problems sorted by layer index, then as found: `layers[10]` after `layers[9]`. */
function fieldOrder(field: string | undefined): number {
  const m = /^layers\[(\d+)\]/.exec(field ?? '');
  return m ? Number(m[1]) : -1;
}
