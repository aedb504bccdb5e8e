import { dump } from 'js-yaml';
import type { ErrorDetail, LayerIn, ProfileVersionView, VariableIn } from '../client/api-client.js';
import { loadValuesYaml, SafeYamlError } from '../protocol/helm/safe-yaml.js';
import { CliError } from './output.js';

/*
 * The declarative cluster profile file of `charthouse profile apply`, kept in Git by the teams that own
 * a profile:
 *
 *   apiVersion: charthouse.io/v1
 *   kind: ClusterProfile
 *   metadata: {name, tenant?}
 *   spec: {version, description?, variables?: [...], layers?: [...]}
 *
 * The file is the whole content of one version: what it leaves out is absent (no description, no
 * variables), never "keep what the server has". The one exception is a sensitive variable's default,
 * which the server never returns and a file in Git should not hold: left out, the server keeps it.
 *
 * It is read with the values loader (Helm's typing, no anchors or aliases), because `spec.layers[].values`
 * is chart values and must reach the chart as Helm would read it: `yes` is true, `0644` is 420. Every
 * other scalar field must be a string there, so a version written `1.10` (a number) is refused with a
 * hint to quote it rather than sent as "1.1". A variable reference inside a values mapping must be
 * quoted there (`"{{ .Variables.port }}"`), which the server reads as text; a typed reference
 * (`port: {{ .Variables.port }}`, a number) is YAML only inside values written as a string (`values: |`).
 */

export const PROFILE_API_VERSION = 'charthouse.io/v1';
export const PROFILE_KIND = 'ClusterProfile';
/** Nesting allowed in the file: the values' 64 levels below spec.layers[i].values. */
const MAX_DEPTH = 70;
const MAX_FILE_BYTES = 32 * 1024 * 1024;

export interface ProfileFile {
  name: string;
  tenant?: string;
  version: string;
  /** Null when the file has none: the version's description is cleared. */
  description: string | null;
  variables: VariableIn[];
  layers: LayerIn[];
}

type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects every problem of a file, each naming its key (`spec.layers[0].chart`). */
class Problems {
  readonly list: ErrorDetail[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  /** Refuses keys outside `allowed`, so a typo (`dependOn`) is not silently ignored. */
  keys(m: Mapping, at: string, allowed: readonly string[]): void {
    for (const key of Object.keys(m)) {
      if (!allowed.includes(key))
        this.add(join(at, key), `unknown key (expected one of: ${allowed.join(', ')})`);
    }
  }

  string(m: Mapping, at: string, key: string, required: boolean): string | undefined {
    const v = m[key];
    if (v === undefined || v === null) {
      if (required) this.add(join(at, key), 'is required');
      return undefined;
    }
    if (typeof v === 'string') {
      if (v === '' && required) this.add(join(at, key), 'must not be empty');
      return v;
    }
    const hint =
      typeof v === 'number' || typeof v === 'boolean' ? ` (quote it: YAML reads this as a ${typeof v})` : '';
    this.add(join(at, key), `must be a string${hint}`);
    return undefined;
  }

  boolean(m: Mapping, at: string, key: string): boolean | undefined {
    const v = m[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    this.add(join(at, key), 'must be true or false');
    return undefined;
  }

  array(m: Mapping, at: string, key: string): unknown[] {
    const v = m[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    this.add(join(at, key), 'must be a list');
    return [];
  }
}

const join = (at: string, key: string): string => (at === '' ? key : `${at}.${key}`);

const TOP_KEYS = ['apiVersion', 'kind', 'metadata', 'spec'] as const;
const METADATA_KEYS = ['name', 'tenant'] as const;
const SPEC_KEYS = ['version', 'description', 'variables', 'layers'] as const;
const VARIABLE_KEYS = ['name', 'type', 'description', 'required', 'default', 'sensitive'] as const;
const LAYER_KEYS = [
  'name',
  'registry',
  'chart',
  'version',
  'versionConstraint',
  'releaseName',
  'namespace',
  'createNamespace',
  'dependsOn',
  'values',
] as const;
const VARIABLE_TYPES = ['string', 'number', 'boolean'] as const;

/**
 * Reads a profile file; `source` names it in messages (a path, or "stdin"). Throws a {@link CliError}
 * listing every problem, each with its key, or the YAML failure with its line.
 */
export function parseProfileFile(text: string, source: string): ProfileFile {
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES)
    throw new CliError(`${source} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB: not a profile file`);
  let doc: unknown;
  try {
    doc = loadValuesYaml(text, MAX_DEPTH);
  } catch (err) {
    if (!(err instanceof SafeYamlError)) throw err;
    throw new CliError(`${source} is not valid YAML: ${yamlFailure(err)}`);
  }
  if (doc === undefined || doc === null) throw new CliError(`${source} is empty: expected a ${PROFILE_KIND}`);
  if (!isMapping(doc))
    throw new CliError(`${source} must be a YAML mapping with apiVersion, kind, metadata and spec`);

  const p = new Problems();
  p.keys(doc, '', TOP_KEYS);
  const apiVersion = p.string(doc, '', 'apiVersion', true);
  if (apiVersion !== undefined && apiVersion !== PROFILE_API_VERSION)
    p.add('apiVersion', `must be ${PROFILE_API_VERSION}`);
  const kind = p.string(doc, '', 'kind', true);
  if (kind !== undefined && kind !== PROFILE_KIND) p.add('kind', `must be ${PROFILE_KIND}`);

  const metadata = section(p, doc, 'metadata');
  p.keys(metadata, 'metadata', METADATA_KEYS);
  const name = p.string(metadata, 'metadata', 'name', true);
  const tenant = p.string(metadata, 'metadata', 'tenant', false);

  const spec = section(p, doc, 'spec');
  p.keys(spec, 'spec', SPEC_KEYS);
  const version = p.string(spec, 'spec', 'version', true);
  const description = p.string(spec, 'spec', 'description', false);
  const variables = p
    .array(spec, 'spec', 'variables')
    .flatMap((v, i) => readVariable(p, v, `spec.variables[${i}]`));
  const layers = p.array(spec, 'spec', 'layers').flatMap((l, i) => readLayer(p, l, `spec.layers[${i}]`));

  if (p.list.length > 0 || name === undefined || version === undefined) {
    throw new CliError(`${source} is not a valid ${PROFILE_KIND}`, 1, p.list);
  }
  return {
    name,
    ...(tenant === undefined ? {} : { tenant }),
    version,
    description: description ?? null,
    variables,
    layers,
  };
}

function section(p: Problems, doc: Mapping, key: string): Mapping {
  const v = doc[key];
  if (isMapping(v)) return v;
  p.add(key, v === undefined || v === null ? 'is required' : 'must be a mapping');
  return {};
}

function readVariable(p: Problems, v: unknown, at: string): VariableIn[] {
  if (!isMapping(v)) {
    p.add(at, 'must be a mapping with name and type');
    return [];
  }
  p.keys(v, at, VARIABLE_KEYS);
  const name = p.string(v, at, 'name', true);
  const type = p.string(v, at, 'type', true);
  if (type !== undefined && !(VARIABLE_TYPES as readonly string[]).includes(type))
    p.add(join(at, 'type'), `must be one of: ${VARIABLE_TYPES.join(', ')}`);
  const description = p.string(v, at, 'description', false);
  const required = p.boolean(v, at, 'required');
  const sensitive = p.boolean(v, at, 'sensitive');
  const def = v.default;
  if (def !== undefined && def !== null && !['string', 'number', 'boolean'].includes(typeof def))
    p.add(join(at, 'default'), 'must be a string, number or boolean');
  if (name === undefined || type === undefined) return [];
  const out: VariableIn = { name, type: type as VariableIn['type'] };
  if (description !== undefined) out.description = description;
  if (required !== undefined) out.required = required;
  if (sensitive !== undefined) out.sensitive = sensitive;
  if (typeof def === 'string' || typeof def === 'number' || typeof def === 'boolean') out.default = def;
  return [out];
}

function readLayer(p: Problems, l: unknown, at: string): LayerIn[] {
  if (!isMapping(l)) {
    p.add(at, 'must be a mapping with name, registry and chart');
    return [];
  }
  p.keys(l, at, LAYER_KEYS);
  const name = p.string(l, at, 'name', true);
  const registry = p.string(l, at, 'registry', true);
  const chart = p.string(l, at, 'chart', true);
  const optional: Partial<LayerIn> = {};
  for (const key of ['version', 'versionConstraint', 'releaseName', 'namespace'] as const) {
    const v = p.string(l, at, key, false);
    if (v !== undefined) optional[key] = v;
  }
  const createNamespace = p.boolean(l, at, 'createNamespace');
  if (createNamespace !== undefined) optional.createNamespace = createNamespace;
  const dependsOn = p.array(l, at, 'dependsOn');
  dependsOn.forEach((d, i) => {
    if (typeof d !== 'string') p.add(`${join(at, 'dependsOn')}[${i}]`, 'must be a layer name (a string)');
  });
  if (l.dependsOn !== undefined && l.dependsOn !== null)
    optional.dependsOn = dependsOn.filter((d) => typeof d === 'string');
  const values = valuesText(p, l.values, join(at, 'values'));
  if (values !== undefined) optional.values = values;
  if (name === undefined || registry === undefined || chart === undefined) return [];
  return [{ name, registry, chart, ...optional }];
}

/**
 * A layer's values as the API takes them: a string as written, a mapping dumped to YAML text in the
 * order written (already typed as Helm types it), nothing when absent.
 */
function valuesText(p: Problems, v: unknown, at: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (isMapping(v)) {
    const odd = mappingKeyPath(v, at);
    if (odd !== undefined) {
      p.add(
        odd,
        'a mapping used as a key: quote a variable reference ("{{ .Variables.NAME }}", a string), or write values as a string (values: |) for a typed one',
      );
      return undefined;
    }
    if (Object.keys(v).length === 0) return '';
    return dump(v, { noRefs: true, lineWidth: -1, sortKeys: false });
  }
  p.add(at, 'must be a mapping of chart values, or a YAML string');
  return undefined;
}

/**
 * Where a mapping was read as a key. An unquoted `{{ .Variables.x }}` is YAML for a flow mapping inside
 * a flow mapping, and js-yaml turns such a key into the text "[object Object]": sent on, that would be a
 * value the user never wrote.
 */
function mappingKeyPath(v: unknown, at: string): string | undefined {
  if (Array.isArray(v)) {
    for (const [i, item] of v.entries()) {
      const found = mappingKeyPath(item, `${at}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (isMapping(v)) {
    for (const [key, item] of Object.entries(v)) {
      if (key.includes('[object Object]')) return at;
      const found = mappingKeyPath(item, join(at, key));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function yamlFailure(err: SafeYamlError): string {
  const f = err.failure;
  switch (f.kind) {
    case 'anchors':
      return 'YAML anchors and aliases (&name, *name) are not accepted: write the content out';
    case 'depth':
      return `nested more than ${MAX_DEPTH} levels deep`;
    case 'syntax':
      return `${f.reason} (line ${f.line})`;
  }
}

/** The tenant to apply to: the flag wins; the file names it otherwise; given both, they must agree. */
export function tenantForFile(
  file: ProfileFile,
  flag: string | undefined,
  env: string | undefined,
): string | undefined {
  if (flag !== undefined && file.tenant !== undefined && flag !== file.tenant) {
    throw new CliError(
      `--tenant ${flag} does not match metadata.tenant ${file.tenant} in the file: drop one, or make them agree`,
    );
  }
  return flag ?? file.tenant ?? env;
}

/**
 * How a version the server holds differs from the file, as `field: from → to` lines (none: the same
 * content). Both sides are compared after the server's defaults (release name = layer name, namespace
 * `default`); a sensitive variable's default is never returned, so only its presence is compared when
 * the file gives one.
 */
export function contentDifferences(file: ProfileFile, server: ProfileVersionView): string[] {
  const out: string[] = [];
  const diff = (field: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${field}: ${show(a)} → ${show(b)}`);
  };
  diff('description', server.description, file.description);
  diff(
    'layers',
    server.layers.map((l) => l.name),
    file.layers.map((l) => l.name),
  );
  for (const l of file.layers) {
    const s = server.layers.find((x) => x.name === l.name);
    if (!s) continue;
    const want = layerWithDefaults(l);
    for (const key of Object.keys(want) as Array<keyof typeof want>) {
      if (key === 'values') {
        if (s.values !== want.values)
          out.push(`layers.${l.name}.values: ${firstDifferentLine(s.values, want.values)}`);
      } else diff(`layers.${l.name}.${key}`, s[key], want[key]);
    }
  }
  diff(
    'variables',
    server.variables.map((v) => v.name),
    file.variables.map((v) => v.name),
  );
  for (const v of file.variables) {
    const s = server.variables.find((x) => x.name === v.name);
    if (!s) continue;
    const at = `variables.${v.name}`;
    diff(`${at}.type`, s.type, v.type);
    diff(`${at}.description`, s.description, v.description ?? null);
    diff(`${at}.required`, s.required, v.required ?? false);
    diff(`${at}.sensitive`, s.sensitive, v.sensitive ?? false);
    if (s.sensitive && (v.sensitive ?? false)) {
      if (v.default !== undefined) diff(`${at}.default (set)`, s.hasDefault, true);
    } else {
      diff(`${at}.default`, s.default ?? null, v.default ?? null);
    }
  }
  return out;
}

/** The layer as the server stores it (src/profiles/profile-spec.ts `layerFromInput`). */
function layerWithDefaults(l: LayerIn) {
  return {
    registry: l.registry,
    chart: l.chart,
    version: l.version ?? null,
    versionConstraint: l.versionConstraint ?? null,
    releaseName: l.releaseName ?? l.name,
    namespace: l.namespace ?? 'default',
    createNamespace: l.createNamespace ?? false,
    values: l.values ?? '',
    dependsOn: l.dependsOn ?? [],
  };
}

/** Values are long texts: the first line that differs says enough (`line 1: "a: 1" → "a: 2"`). */
function firstDifferentLine(a: string, b: string): string {
  const [la, lb] = [a.split('\n'), b.split('\n')];
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: ${show(la[i] ?? '(end)')} → ${show(lb[i] ?? '(end)')}`;
  }
  return 'differs';
}

function show(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v ?? null);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
