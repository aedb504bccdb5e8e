import { invalidArchive } from './chart-archive.js';
import { chartNameProblem, type ChartMaintainer } from './chart-version.js';
import { loadHelmYaml, SafeYamlError } from './safe-yaml.js';
import { parseChartVersion } from './semver-sort.js';

/*
 * Chart.yaml read into the typed fields of Helm's chart.Metadata (pkg/chart/metadata.go), validated as
 * Helm's loader and `Metadata.Validate()` do (research/protocols.md a.7), so that a chart we accept is
 * one helm loads, and helmConfigBytes (oci/helm-artifact.ts) can write the config blob helm would.
 *
 * Decisions:
 * - Scalars keep their text (`version: 1.10` is "1.10"), with only null and true/false typed: Helm's
 *   YAML decoder would turn an unquoted 1.10 into "1.1", a loss nobody wants. A boolean in a text field
 *   becomes "true"/"false", as in Helm.
 * - Like Validate(), the text fields Helm sanitizes are sanitized (whitespace becomes a space,
 *   non-printable characters are removed: a multi-line description becomes one line), so the config
 *   blob matches helm's byte for byte. version, apiVersion, type, annotations and alias are kept as is.
 * - Empty text and empty lists are left out (Go's omitempty); a dependency's repository is always set.
 * - A missing apiVersion is v1 (Helm's loader); only v1, v2 and v3 are accepted.
 * - The name must pass chartNameProblem (stricter than Helm: names end up in URLs and paths); the
 *   version must be one Helm reads (parseChartVersion).
 * - A field of the wrong kind (a list for `home`), null maintainers or dependencies, a bad alias, a
 *   duplicate dependency, an unknown `type`: refused with a message naming the field, as Helm refuses
 *   to load the chart. Unknown fields (`engine`) are ignored, as Helm ignores them.
 * - YAML anchors and aliases are refused (they can expand into huge documents; Helm never writes them).
 */

export interface ChartMetadataDependency {
  name: string;
  version?: string;
  /** Always present, possibly '' (Go's Dependency has no omitempty here). */
  repository: string;
  condition?: string;
  tags?: string[];
  enabled?: boolean;
  'import-values'?: ChartMetadataImportValue[];
  alias?: string;
}

/** A child values path, or a mapping (normally `{child, parent}`). */
export type ChartMetadataImportValue = string | Record<string, string>;

/** Helm's chart.Metadata; field order is Go's struct order (what helmConfigBytes writes). */
export interface ChartMetadata {
  name: string;
  home?: string;
  sources?: string[];
  version: string;
  description?: string;
  keywords?: string[];
  maintainers?: ChartMaintainer[];
  icon?: string;
  apiVersion: string;
  condition?: string;
  /** A single string on Metadata (legacy), unlike a dependency's tag list. */
  tags?: string;
  appVersion?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  kubeVersion?: string;
  dependencies?: ChartMetadataDependency[];
  type?: string;
}

export const CHART_YAML_MAX_DEPTH = 32;
const API_VERSIONS = new Set(['v1', 'v2', 'v3']);
const CHART_TYPES = new Set(['', 'application', 'library']);
// Helm's `aliasNameFormat` (pkg/chart/dependency.go).
const ALIAS = /^[a-zA-Z0-9_-]+$/;

/** Makes the error thrown for a bad Chart.yaml; the message starts with "Chart.yaml". */
export type ChartYamlFailure = (message: string) => Error;

/**
 * Reads and validates Chart.yaml. Throws `fail(message)`, by default invalidArchive (400
 * `invalid_chart_archive`), with a message saying what to fix.
 */
export function parseChartYaml(text: string, fail: ChartYamlFailure = invalidArchive): ChartMetadata {
  const doc = loadYaml(text.replace(/^\uFEFF/, ''), fail);
  if (doc === null || doc === undefined) throw fail('Chart.yaml is empty.');
  if (!isRecord(doc)) throw fail('Chart.yaml is not a YAML mapping of fields.');
  const reader = new FieldReader(fail);
  return reader.metadata(doc);
}

function loadYaml(text: string, fail: ChartYamlFailure): unknown {
  try {
    return loadHelmYaml(text, CHART_YAML_MAX_DEPTH);
  } catch (error) {
    if (!(error instanceof SafeYamlError)) throw error;
    const f = error.failure;
    if (f.kind === 'anchors')
      throw fail('Chart.yaml uses YAML anchors or aliases; write the values out instead.');
    if (f.kind === 'depth') throw fail(`Chart.yaml nests deeper than ${CHART_YAML_MAX_DEPTH} levels.`);
    throw fail(`Chart.yaml is not valid YAML (${f.reason} at line ${f.line}).`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return typeof value;
}

/** Go's unicode.IsSpace becomes ' ', other non-printable characters (unicode.IsPrint) are removed. */
export function sanitizeString(text: string): string {
  return text.replace(/\p{White_Space}/gu, ' ').replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, '');
}

class FieldReader {
  constructor(private readonly fail: ChartYamlFailure) {}

  metadata(doc: Record<string, unknown>): ChartMetadata {
    const apiVersion = this.text(doc['apiVersion'], 'apiVersion') ?? 'v1';
    if (!API_VERSIONS.has(apiVersion)) {
      throw this.fail(
        `Chart.yaml has apiVersion ${JSON.stringify(apiVersion)}; use v2 (Helm 3 charts) or v1 (Helm 2 charts).`,
      );
    }
    const name = this.clean(doc['name'], 'name');
    if (name === undefined) throw this.fail('Chart.yaml has no name: add `name: <chart name>`.');
    const nameProblem = chartNameProblem(name);
    if (nameProblem !== null)
      throw this.fail(`Chart.yaml's name ${JSON.stringify(name)} is refused: ${nameProblem}.`);
    const version = this.text(doc['version'], 'version');
    if (version === undefined)
      throw this.fail('Chart.yaml has no version: add `version: <SemVer>`, e.g. 1.0.0.');
    const parsed = parseChartVersion(version);
    if (!parsed.ok)
      throw this.fail(`Chart.yaml's version ${JSON.stringify(version)} is refused: ${parsed.reason}.`);
    const type = this.text(doc['type'], 'type') ?? '';
    if (!CHART_TYPES.has(type)) {
      throw this.fail(`Chart.yaml's type ${JSON.stringify(type)} is not "application" or "library".`);
    }
    // Built in Go's struct order, so that the object reads (and JSON.stringify writes) in that order too.
    return {
      name,
      ...defined('home', this.clean(doc['home'], 'home')),
      ...defined('sources', this.cleanList(doc['sources'], 'sources')),
      version,
      ...defined('description', this.clean(doc['description'], 'description')),
      ...defined('keywords', this.cleanList(doc['keywords'], 'keywords')),
      ...defined('maintainers', this.maintainers(doc['maintainers'])),
      ...defined('icon', this.clean(doc['icon'], 'icon')),
      apiVersion,
      ...defined('condition', this.clean(doc['condition'], 'condition')),
      ...defined('tags', this.clean(doc['tags'], 'tags')),
      ...defined('appVersion', this.clean(doc['appVersion'], 'appVersion')),
      ...defined('deprecated', this.bool(doc['deprecated'], 'deprecated')),
      ...defined('annotations', this.annotations(doc['annotations'])),
      ...defined('kubeVersion', this.clean(doc['kubeVersion'], 'kubeVersion')),
      ...defined('dependencies', this.dependencies(doc['dependencies'])),
      ...defined('type', type === '' ? undefined : type),
    };
  }

  /** A text field as written (booleans as "true"/"false"); undefined when absent, null or ''. */
  private text(value: unknown, field: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return String(value);
    if (typeof value !== 'string')
      throw this.fail(`Chart.yaml's "${field}" must be text, not ${kindOf(value)}.`);
    return value === '' ? undefined : value;
  }

  /** A text field Helm sanitizes. */
  private clean(value: unknown, field: string): string | undefined {
    const text = this.text(value, field);
    if (text === undefined) return undefined;
    const cleaned = sanitizeString(text);
    return cleaned === '' ? undefined : cleaned;
  }

  private list(value: unknown, field: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value))
      throw this.fail(`Chart.yaml's "${field}" must be a list, not ${kindOf(value)}.`);
    return value;
  }

  /** A list of text, each item sanitized; null items are '' (as Go decodes them). */
  private cleanList(value: unknown, field: string): string[] | undefined {
    const items = this.list(value, field);
    if (items === undefined || items.length === 0) return undefined;
    return items.map((item) => {
      if (item === null) return '';
      if (typeof item === 'boolean') return String(item);
      if (typeof item !== 'string') {
        throw this.fail(`Chart.yaml's "${field}" must be a list of text; an item is ${kindOf(item)}.`);
      }
      return sanitizeString(item);
    });
  }

  private bool(value: unknown, field: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    // YAML 1.1 booleans, which Helm's decoder reads too.
    if (typeof value === 'string') {
      if (/^(?:y|Y|yes|Yes|YES|on|On|ON)$/.test(value)) return true;
      if (/^(?:n|N|no|No|NO|off|Off|OFF)$/.test(value)) return false;
    }
    throw this.fail(`Chart.yaml's "${field}" must be true or false.`);
  }

  private annotations(value: unknown): Record<string, string> | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value))
      throw this.fail(`Chart.yaml's "annotations" must be a mapping, not ${kindOf(value)}.`);
    const entries = Object.entries(value).map(([key, item]): [string, string] => {
      if (item === null) return [key, ''];
      if (typeof item === 'boolean' || typeof item === 'string') return [key, String(item)];
      throw this.fail(
        `Chart.yaml's annotation ${JSON.stringify(key)} must be text, not ${kindOf(item)}: quote it or write it as a string.`,
      );
    });
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }

  private maintainers(value: unknown): ChartMaintainer[] | undefined {
    const items = this.list(value, 'maintainers');
    if (items === undefined || items.length === 0) return undefined;
    return items.map((item) => {
      if (item === null) throw this.fail('Chart.yaml\'s "maintainers" has an empty item: remove it.');
      if (!isRecord(item))
        throw this.fail(`Chart.yaml's "maintainers" items must be mappings, not ${kindOf(item)}.`);
      const email = this.clean(item['email'], 'maintainers.email');
      const url = this.clean(item['url'], 'maintainers.url');
      return {
        name: this.clean(item['name'], 'maintainers.name') ?? '',
        ...defined('email', email),
        ...defined('url', url),
      };
    });
  }

  private dependencies(value: unknown): ChartMetadataDependency[] | undefined {
    const items = this.list(value, 'dependencies');
    if (items === undefined || items.length === 0) return undefined;
    const seen = new Set<string>();
    return items.map((item) => {
      if (item === null) throw this.fail('Chart.yaml\'s "dependencies" has an empty item: remove it.');
      if (!isRecord(item))
        throw this.fail(`Chart.yaml's "dependencies" items must be mappings, not ${kindOf(item)}.`);
      const name = this.clean(item['name'], 'dependencies.name') ?? '';
      const alias = this.text(item['alias'], 'dependencies.alias');
      if (alias !== undefined && !ALIAS.test(alias)) {
        throw this.fail(
          `Chart.yaml's dependency ${JSON.stringify(name)} has the alias ${JSON.stringify(alias)}; ` +
            'an alias may only contain letters, digits, "_" and "-".',
        );
      }
      const key = alias ?? name;
      if (seen.has(key)) {
        throw this.fail(`Chart.yaml has more than one dependency with name or alias ${JSON.stringify(key)}.`);
      }
      seen.add(key);
      return {
        name,
        ...defined('version', this.clean(item['version'], 'dependencies.version')),
        repository: this.clean(item['repository'], 'dependencies.repository') ?? '',
        ...defined('condition', this.clean(item['condition'], 'dependencies.condition')),
        ...defined('tags', this.cleanList(item['tags'], 'dependencies.tags')),
        ...defined('enabled', this.bool(item['enabled'], 'dependencies.enabled')),
        ...defined('import-values', this.importValues(item['import-values'])),
        ...defined('alias', alias),
      };
    });
  }

  private importValues(value: unknown): ChartMetadataImportValue[] | undefined {
    const items = this.list(value, 'dependencies.import-values');
    if (items === undefined || items.length === 0) return undefined;
    const refused = (): Error =>
      this.fail('Chart.yaml\'s "import-values" items must be text or child/parent mappings of text.');
    return items.map((item) => {
      if (typeof item === 'string') return item;
      if (!isRecord(item)) throw refused();
      const entries = Object.entries(item).map(([key, text]): [string, string] => {
        if (typeof text !== 'string') throw refused();
        return [key, text];
      });
      return Object.fromEntries(entries);
    });
  }
}

/** `{ [key]: value }` when value is defined, else `{}`: for spreading optional fields in order. */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
