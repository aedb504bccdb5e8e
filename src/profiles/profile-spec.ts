import type { SecretBox } from '../shared/secret-box.js';
import type { LayerSpec } from './layer-rules.js';
import type { LayerIn, VariableIn, VariableView } from './profile.schema.js';
import type { ProfileVariable } from './values/values-template.js';

/*
 * A version's content as stored (`profile_versions.spec`): the API's layers with their defaults applied,
 * and its variables with sensitive defaults sealed. Sealed with the version's id as context, so an
 * envelope copied into another version does not open.
 */

export type VariableValue = string | number | boolean;

export interface StoredVariable {
  name: string;
  type: ProfileVariable['type'];
  description: string | null;
  required: boolean;
  sensitive: boolean;
  /** The default of a variable that is not sensitive. */
  default?: VariableValue;
  /** The default of a sensitive variable: SecretBox envelope of its JSON. */
  sealedDefault?: string;
}

export interface VersionSpec {
  variables: StoredVariable[];
  layers: LayerSpec[];
  /** What the last check said about layers without refusing them (a chart schema that cannot be used), by layer name. */
  warnings?: Record<string, string[]>;
  /** By layer name: the fingerprint of the last values check it passed (layer-check.ts ValuesMemo). */
  fingerprints?: Record<string, string>;
}

export const EMPTY_SPEC: VersionSpec = { variables: [], layers: [] };

/** A layer as the API gave it, with SPEC defaults: release name = layer name, namespace `default`. */
export function layerFromInput(l: LayerIn): LayerSpec {
  return {
    name: l.name,
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

const sealContext = (versionId: string, name: string): string => `profile-variable:${versionId}:${name}`;

/**
 * Variables as the API gave them, sensitive defaults sealed for `versionId`. A sensitive variable sent
 * without a default keeps the one `previous` holds (the API never returns it, so an edit cannot send it
 * back), unless `clearDefault`.
 */
export function variablesFromInput(
  input: readonly VariableIn[],
  versionId: string,
  secrets: SecretBox,
  previous: readonly StoredVariable[] = [],
  previousVersionId = versionId,
): StoredVariable[] {
  return input.map((v) => {
    const stored: StoredVariable = {
      name: v.name,
      type: v.type,
      description: v.description ?? null,
      required: v.required ?? false,
      sensitive: v.sensitive ?? false,
    };
    let value: VariableValue | undefined = v.default;
    if (value === undefined && stored.sensitive && !v.clearDefault) {
      const old = previous.find((p) => p.name === v.name && p.type === v.type);
      if (old) value = defaultOf(old, previousVersionId, secrets);
    }
    if (value === undefined) return stored;
    if (stored.sensitive)
      stored.sealedDefault = secrets.seal(JSON.stringify(value), sealContext(versionId, v.name));
    else stored.default = value;
    return stored;
  });
}

/** The clear default of a stored variable, sealed or not. */
export function defaultOf(
  v: StoredVariable,
  versionId: string,
  secrets: SecretBox,
): VariableValue | undefined {
  if (v.sealedDefault !== undefined) {
    return JSON.parse(secrets.open(v.sealedDefault, sealContext(versionId, v.name))) as VariableValue;
  }
  return v.default;
}

/** The variables of a version re-sealed for a clone (another version id, so another context). */
export function cloneVariables(
  variables: readonly StoredVariable[],
  fromVersionId: string,
  toVersionId: string,
  secrets: SecretBox,
): StoredVariable[] {
  return variables.map((v) => {
    if (v.sealedDefault === undefined) return { ...v };
    const clear = secrets.open(v.sealedDefault, sealContext(fromVersionId, v.name));
    return { ...v, sealedDefault: secrets.seal(clear, sealContext(toVersionId, v.name)) };
  });
}

/** The variables with clear defaults, for rendering values; never returned to a client. */
export function variablesForRendering(
  variables: readonly StoredVariable[],
  versionId: string,
  secrets: SecretBox,
): ProfileVariable[] {
  return variables.map((v) => {
    const d = defaultOf(v, versionId, secrets);
    return {
      name: v.name,
      type: v.type,
      required: v.required,
      sensitive: v.sensitive,
      ...(v.description === null ? {} : { description: v.description }),
      ...(d === undefined ? {} : { default: d }),
    };
  });
}

export function toVariableView(v: StoredVariable): VariableView {
  const view: VariableView = {
    name: v.name,
    type: v.type,
    description: v.description,
    required: v.required,
    sensitive: v.sensitive,
    hasDefault: v.default !== undefined || v.sealedDefault !== undefined,
  };
  if (!v.sensitive && v.default !== undefined) view.default = v.default;
  return view;
}

export function parseSpec(text: string): VersionSpec {
  return JSON.parse(text) as VersionSpec;
}
