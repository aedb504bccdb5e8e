import { installOrder, type LayerSpec } from './layer-rules.js';
import { parseLock } from './profile-lock.js';
import type { ProfileVersionRow } from './profile.repository.js';
import type { ProfileDiff } from './profile.schema.js';
import { parseSpec, type StoredVariable } from './profile-spec.js';
import { diffValues, type ValuesChange } from './values/values-diff.js';
import { renderValues, variableReferences, type ProfileVariable } from './values/values-template.js';

type LayerChange = ProfileDiff['layers']['changed'][number];

/**
 * What changed from one version to another (SPEC §2 diff): layers added and removed by name; per layer
 * kept, every changed field (the locked version for published versions, so two locks of one constraint
 * show the version they pinned) and a structured values diff; the variables. Sensitive defaults are
 * never compared or shown: each version seals its own.
 */
export function diffVersions(profile: string, from: ProfileVersionRow, to: ProfileVersionRow): ProfileDiff {
  const a = parseSpec(from.spec);
  const b = parseSpec(to.spec);
  const lockedA = lockedVersions(from);
  const lockedB = lockedVersions(to);
  const namesA = new Set(a.layers.map((l) => l.name));
  const namesB = new Set(b.layers.map((l) => l.name));
  const changed: LayerChange[] = [];
  for (const before of a.layers) {
    const after = b.layers.find((l) => l.name === before.name);
    if (!after) continue;
    const change = diffLayer(
      before,
      after,
      lockedA.get(before.name) ?? null,
      lockedB.get(after.name) ?? null,
    );
    if (change.fields.length > 0 || change.values.length > 0) changed.push(change);
  }
  const kept = (order: string[], other: Set<string>): string[] => order.filter((n) => other.has(n));
  return {
    profile,
    from: from.version,
    to: to.version,
    layers: {
      added: b.layers.filter((l) => !namesA.has(l.name)).map((l) => l.name),
      removed: a.layers.filter((l) => !namesB.has(l.name)).map((l) => l.name),
      changed,
      orderChanged:
        kept(installOrder(a.layers), namesB).join('\u0000') !==
        kept(installOrder(b.layers), namesA).join('\u0000'),
    },
    variables: diffVariables(a.variables, b.variables),
  };
}

function lockedVersions(row: ProfileVersionRow): Map<string, string> {
  if (row.lock === null) return new Map();
  return new Map(parseLock(row.lock).layers.map((l) => [l.name, l.version]));
}

const FIELDS = [
  'registry',
  'chart',
  'version',
  'versionConstraint',
  'releaseName',
  'namespace',
  'createNamespace',
  'dependsOn',
] as const satisfies ReadonlyArray<keyof LayerSpec>;

function diffLayer(a: LayerSpec, b: LayerSpec, lockedA: string | null, lockedB: string | null): LayerChange {
  const fields: LayerChange['fields'] = [];
  for (const field of FIELDS) {
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field]))
      fields.push({ field, from: a[field], to: b[field] });
  }
  if (
    lockedA !== null &&
    lockedB !== null &&
    lockedA !== lockedB &&
    !fields.some((f) => f.field === 'version')
  ) {
    fields.push({ field: 'resolvedVersion', from: lockedA, to: lockedB });
  }
  return { name: a.name, fields, values: a.values === b.values ? [] : valuesChanges(a.values, b.values) };
}

/**
 * Values as a diff reads them: variable references kept as their `{{ .Variables.X }}` text, so a diff
 * shows the reference, never a default. Text that does not parse is compared whole.
 */
function valuesChanges(a: string, b: string): ValuesChange[] {
  const pa = valuesForDiff(a);
  const pb = valuesForDiff(b);
  if (pa === null || pb === null) return [{ path: '', kind: 'changed', from: a, to: b }];
  return diffValues(pa, pb);
}

function valuesForDiff(text: string): Record<string, unknown> | null {
  const { names } = variableReferences(text);
  const variables: ProfileVariable[] = names.map((name) => ({
    name,
    type: 'string',
    required: false,
    sensitive: false,
  }));
  const given = Object.fromEntries(names.map((n) => [n, `{{ .Variables.${n} }}`]));
  const rendered = renderValues(text, variables, given);
  return rendered.ok ? rendered.values : null;
}

function diffVariables(a: StoredVariable[], b: StoredVariable[]): ProfileDiff['variables'] {
  const shown = (v: StoredVariable): string =>
    JSON.stringify([
      v.type,
      v.required,
      v.sensitive,
      v.description,
      v.sensitive ? null : (v.default ?? null),
    ]);
  return {
    added: b.filter((v) => !a.some((x) => x.name === v.name)).map((v) => v.name),
    removed: a.filter((v) => !b.some((x) => x.name === v.name)).map((v) => v.name),
    changed: b
      .filter((v) => {
        const old = a.find((x) => x.name === v.name);
        return old !== undefined && shown(old) !== shown(v);
      })
      .map((v) => v.name),
  };
}
