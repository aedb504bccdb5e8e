import type {
  ErrorDetail,
  RegistryView,
  LayerIn,
  LayerView,
  ProfileVersionView,
  VariableIn,
  VariableView,
  VersionSpecBody,
} from '../../../src/client/api-client.js';

/*
 * The draft editor's state and its translation to and from the API (PUT .../versions/{v} takes the
 * whole version). Pure, so that the mapping of a 422's `details[].field` onto controls is tested
 * without a browser.
 */

export type LayerField =
  | 'name'
  | 'registry'
  | 'chart'
  | 'version'
  | 'versionConstraint'
  | 'releaseName'
  | 'namespace'
  | 'createNamespace'
  | 'dependsOn'
  | 'values';

export interface LayerForm {
  /** Stable React key: a layer's name is edited, so it cannot be the key. */
  key: string;
  name: string;
  registry: string;
  chart: string;
  /** `exact` picks a catalog (or typed) version; `constraint` a SemVer range resolved at publish. */
  mode: 'exact' | 'constraint';
  version: string;
  versionConstraint: string;
  /** Empty: the layer's name (the server's default). */
  releaseName: string;
  namespace: string;
  createNamespace: boolean;
  values: string;
  dependsOn: string[];
}

export type VariableType = VariableIn['type'];

export interface VariableForm {
  key: string;
  name: string;
  type: VariableType;
  description: string;
  required: boolean;
  sensitive: boolean;
  /** The default as typed; for a sensitive variable only a new one (the stored one is never shown). */
  defaultText: string;
  /** A sensitive variable whose stored default the server keeps unless replaced or cleared. */
  storedSecret: boolean;
  /** What happens to a stored sensitive default: kept, replaced by defaultText, or cleared. */
  secretAction: 'keep' | 'replace' | 'clear';
}

export interface DraftForm {
  description: string;
  layers: LayerForm[];
  variables: VariableForm[];
}

let nextKey = 0;
const newKey = (prefix: string): string => `${prefix}-${++nextKey}`;

export const DEFAULT_NAMESPACE = 'default';

export function emptyLayer(): LayerForm {
  return {
    key: newKey('layer'),
    name: '',
    registry: '',
    chart: '',
    mode: 'exact',
    version: '',
    versionConstraint: '',
    releaseName: '',
    namespace: DEFAULT_NAMESPACE,
    createNamespace: false,
    values: '',
    dependsOn: [],
  };
}

export function emptyVariable(): VariableForm {
  return {
    key: newKey('variable'),
    name: '',
    type: 'string',
    description: '',
    required: false,
    sensitive: false,
    defaultText: '',
    storedSecret: false,
    secretAction: 'keep',
  };
}

export function layerFormFrom(l: LayerView): LayerForm {
  return {
    key: newKey('layer'),
    name: l.name,
    registry: l.registry,
    chart: l.chart,
    mode: l.versionConstraint !== null ? 'constraint' : 'exact',
    version: l.version ?? '',
    versionConstraint: l.versionConstraint ?? '',
    // The server stores the default release name; show it as "default" again when it is one.
    releaseName: l.releaseName === l.name ? '' : l.releaseName,
    namespace: l.namespace,
    createNamespace: l.createNamespace,
    values: l.values,
    dependsOn: [...l.dependsOn],
  };
}

export function variableFormFrom(v: VariableView): VariableForm {
  return {
    key: newKey('variable'),
    name: v.name,
    type: v.type,
    description: v.description ?? '',
    required: v.required,
    sensitive: v.sensitive,
    defaultText: v.sensitive || v.default === undefined ? '' : String(v.default),
    storedSecret: v.sensitive && v.hasDefault,
    secretAction: 'keep',
  };
}

export function formFromVersion(view: ProfileVersionView): DraftForm {
  return {
    description: view.description ?? '',
    layers: view.layers.map(layerFormFrom),
    variables: view.variables.map(variableFormFrom),
  };
}

/** A typed default in the variable's type; text the type cannot read goes as typed, for the server to name. */
export function defaultValue(type: VariableType, text: string): string | number | boolean {
  if (type === 'number') {
    const n = Number(text.trim());
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (type === 'boolean') {
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  return text;
}

export function variableBody(v: VariableForm): VariableIn {
  const body: VariableIn = {
    name: v.name.trim(),
    type: v.type,
    required: v.required,
    sensitive: v.sensitive,
  };
  if (v.description.trim()) body.description = v.description.trim();
  if (v.sensitive && v.storedSecret) {
    // Sent without a default, the stored secret stays; only an explicit action changes it.
    if (v.secretAction === 'clear') body.clearDefault = true;
    if (v.secretAction === 'replace' && v.defaultText !== '')
      body.default = defaultValue(v.type, v.defaultText);
    return body;
  }
  if (v.defaultText !== '') body.default = defaultValue(v.type, v.defaultText);
  return body;
}

export function layerBody(l: LayerForm): LayerIn {
  const body: LayerIn = {
    name: l.name.trim(),
    registry: l.registry,
    chart: l.chart.trim(),
    namespace: l.namespace.trim() || DEFAULT_NAMESPACE,
    createNamespace: l.createNamespace,
    values: l.values,
    dependsOn: l.dependsOn,
  };
  if (l.mode === 'constraint') {
    if (l.versionConstraint.trim()) body.versionConstraint = l.versionConstraint.trim();
  } else if (l.version.trim()) body.version = l.version.trim();
  if (l.releaseName.trim()) body.releaseName = l.releaseName.trim();
  return body;
}

/** The PUT body: the whole version. Empty required strings go as they are for the server to name. */
export function versionBody(form: DraftForm): VersionSpecBody {
  return {
    description: form.description.trim() || null,
    layers: form.layers.map(layerBody),
    variables: form.variables.map(variableBody),
  };
}

/** A layer's dependsOn follows renames of the layers it names, and drops removed ones. */
export function renameLayer(form: DraftForm, index: number, name: string): DraftForm {
  const old = form.layers[index]?.name;
  return {
    ...form,
    layers: form.layers.map((l, i) =>
      i === index
        ? { ...l, name }
        : old
          ? { ...l, dependsOn: l.dependsOn.map((d) => (d === old ? name : d)) }
          : l,
    ),
  };
}

export function removeLayer(form: DraftForm, index: number): DraftForm {
  const removed = form.layers[index]?.name;
  return {
    ...form,
    layers: form.layers
      .filter((_, i) => i !== index)
      .map((l) => ({ ...l, dependsOn: l.dependsOn.filter((d) => d !== removed) })),
  };
}

export function moveLayer(form: DraftForm, index: number, by: -1 | 1): DraftForm {
  const to = index + by;
  if (to < 0 || to >= form.layers.length) return form;
  const layers = [...form.layers];
  [layers[index], layers[to]] = [layers[to]!, layers[index]!];
  return { ...form, layers };
}

/* ---------- the server's 422, mapped onto the form ---------- */

export interface ValuesProblem {
  /** Dotted path inside the values (`image.tag`), empty for the whole document. */
  path: string;
  message: string;
}

export interface LayerErrors {
  fields: Partial<Record<LayerField, string>>;
  values: ValuesProblem[];
}

export interface DraftErrors {
  /** Every message, in the server's order, for the summary at the top. */
  all: string[];
  layers: Record<number, LayerErrors>;
  variables: Record<number, Partial<Record<'name' | 'type' | 'default' | 'general', string>>>;
  /** Messages not tied to one control (e.g. "has no layers"). */
  general: string[];
}

export const noErrors = (): DraftErrors => ({ all: [], layers: {}, variables: {}, general: [] });

const LAYER_FIELDS: readonly LayerField[] = [
  'name',
  'registry',
  'chart',
  'version',
  'versionConstraint',
  'releaseName',
  'namespace',
  'createNamespace',
  'dependsOn',
];

const FIELD_PATTERN = /^(layers|variables)\[(\d+)\](?:\.(.*))?$/;

/** Places `details[].field` (`layers[2].version`, `layers[0].values.image.tag`, `variables[1].default`). */
export function draftErrors(details: readonly ErrorDetail[]): DraftErrors {
  const out = noErrors();
  for (const d of details) {
    const message = sentence(d.message);
    out.all.push(message);
    const m = FIELD_PATTERN.exec(d.field ?? '');
    if (!m) {
      out.general.push(message);
      continue;
    }
    const index = Number(m[2]);
    const rest = m[3] ?? '';
    if (m[1] === 'layers') {
      const layer = (out.layers[index] ??= { fields: {}, values: [] });
      if (rest === 'values' || rest.startsWith('values.')) {
        layer.values.push({ path: rest.slice('values.'.length), message });
        continue;
      }
      const head = rest.split(/[.[]/)[0] ?? '';
      const field = LAYER_FIELDS.find((f) => f === head) ?? 'name';
      // The first message of a field is the one shown beside it; the summary lists them all.
      layer.fields[field] ??= message;
      continue;
    }
    const variable = (out.variables[index] ??= {});
    const head = rest.split(/[.[]/)[0] ?? '';
    const field = head === 'name' || head === 'type' || head === 'default' ? head : 'general';
    // The server's variable messages start with their path: beside the control the path says nothing,
    // in the summary a person reads "Variable 2, default".
    const bare = d.message.startsWith(`${d.field}: `)
      ? sentence(d.message.slice(`${d.field}: `.length))
      : message;
    out.all[out.all.length - 1] = `Variable ${index + 1}${rest ? `, ${rest}` : ''}: ${bare}`;
    variable[field] ??= bare;
  }
  return out;
}

function sentence(message: string): string {
  const s = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/* ---------- small rules the screens share ---------- */

/**
 * The registries a layer can name. A layer names its registry without a scope and the server takes the
 * tenant's own before the system's, so a system registry shadowed by a tenant one of the same name
 * cannot be reached and is not offered.
 */
export function pickableRegistries<R extends Pick<RegistryView, 'name' | 'scope'>>(
  registries: readonly R[],
): R[] {
  const own = new Set(registries.filter((r) => r.scope === 'tenant').map((r) => r.name));
  return registries.filter((r) => r.scope === 'tenant' || !own.has(r.name));
}

/** What to offer as the next version number: the next minor of the newest. */
export function suggestNextVersion(latest: string | null): string {
  const m = latest ? /^(\d+)\.(\d+)\.(\d+)/.exec(latest) : null;
  return m ? `${m[1]}.${Number(m[2]) + 1}.0` : '1.0.0';
}

/** A chart's versions for the version drop-down: pre-releases only when asked for. */
export function pickableVersions<V extends { version: string; prerelease: boolean }>(
  versions: readonly V[],
  showPrereleases: boolean,
): V[] {
  return versions.filter((v) => showPrereleases || !v.prerelease);
}

/** The update badges of a layer, in words: "update 1.2.9 within ~1.2", "newest 2.0.0". */
export function updateBadges(
  layer: Pick<LayerView, 'updates' | 'versionConstraint' | 'resolvedVersion' | 'version'>,
): string[] {
  const out: string[] = [];
  const { withinConstraint, latest } = layer.updates;
  if (withinConstraint) {
    const current = layer.resolvedVersion ?? layer.version ?? '';
    const major = /^v?(\d+)/.exec(current)?.[1];
    const range = layer.versionConstraint ?? (major !== undefined ? `${major}.x` : 'its major');
    out.push(`update ${withinConstraint} within ${range}`);
  }
  if (latest && latest !== withinConstraint) out.push(`newest ${latest}`);
  return out;
}

/** Layer views in install order (the server's installOrder), with their position. */
export function inInstallOrder(view: Pick<ProfileVersionView, 'layers' | 'installOrder'>): LayerView[] {
  const byName = new Map(view.layers.map((l) => [l.name, l]));
  const ordered = view.installOrder.map((n) => byName.get(n)).filter((l): l is LayerView => l !== undefined);
  // A layer the order does not name (it should not happen) is still shown, last.
  return [...ordered, ...view.layers.filter((l) => !view.installOrder.includes(l.name))];
}

/** A value from the diff (any JSON) as one line of text; never markup. */
export function diffValueText(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
