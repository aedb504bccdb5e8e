import type { ProfileRow, ProfileVersionRow } from '../profiles/profile.repository.js';
import { parseSpec, type StoredVariable, type VariableValue } from '../profiles/profile-spec.js';
import type { ErrorDetail } from '../shared/errors.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { AssignmentRow } from './cluster.repository.js';
import type { AssignmentIn, AssignmentView } from './cluster.schema.js';

/*
 * A cluster's assignments: published profile versions with the cluster's values for their variables
 * (SPEC §2). Stored per row as JSON `name → {v: value}` or `name → {sealed}` for a sensitive variable,
 * sealed with the cluster, profile and variable name as associated data, so a sealed value copied to
 * another cluster's row does not open.
 */

type StoredValue = { v: VariableValue } | { sealed: string };
export type StoredValues = Record<string, StoredValue>;

/** What {@link checkAssignments} needs from the profiles module. */
export type PublishedLookup = (
  ref: { name: string },
  version: string,
) => Promise<{ profile: ProfileRow; row: ProfileVersionRow } | 'missing' | 'draft'>;

export interface CheckedAssignment {
  row: AssignmentRow;
  profile: ProfileRow;
  version: ProfileVersionRow;
}

const sealContext = (clusterId: string, profileId: string, name: string): string =>
  `cluster:${clusterId}:${profileId}:${name}`;

/**
 * The assignments of a write, checked whole: each profile once, each version published, each value
 * declared and of its variable's type, every required variable given a value (here or by default).
 * `previous` are the cluster's current rows: a sensitive value not sent again is kept.
 */
export async function checkAssignments(
  clusterId: string,
  inputs: readonly AssignmentIn[],
  previous: readonly AssignmentRow[],
  lookup: PublishedLookup,
  secrets: SecretBox,
): Promise<{ ok: true; assignments: CheckedAssignment[] } | { ok: false; problems: ErrorDetail[] }> {
  const problems: ErrorDetail[] = [];
  const out: CheckedAssignment[] = [];
  const seen = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    const at = `profiles[${i}]`;
    if (seen.has(input.profile)) {
      problems.push({
        field: `${at}.profile`,
        message: `${input.profile} is assigned twice: a cluster installs a profile once.`,
      });
      continue;
    }
    seen.add(input.profile);
    const found = await lookup({ name: input.profile }, input.version);
    if (found === 'missing') {
      problems.push({
        field: `${at}.version`,
        message: `There is no cluster profile ${input.profile} with a version ${input.version} in this tenant.`,
      });
      continue;
    }
    if (found === 'draft') {
      problems.push({
        field: `${at}.version`,
        message: `${input.profile} ${input.version} is a draft: publish it before assigning it to a cluster.`,
      });
      continue;
    }
    const declared = parseSpec(found.row.spec).variables;
    const before = previous.find((p) => p.profile_id === found.profile.id);
    const kept = before ? (JSON.parse(before.variables) as StoredValues) : {};
    const values: StoredValues = {};
    for (const [name, value] of Object.entries(input.variables ?? {})) {
      const v = declared.find((d) => d.name === name);
      const field = `${at}.variables.${name}`;
      if (!v) {
        problems.push({ field, message: `${input.profile} ${input.version} declares no variable ${name}.` });
        continue;
      }
      if (value === null) continue;
      if (typeof value !== v.type) {
        problems.push({ field, message: `${name} is a ${v.type}: give ${example(v.type)}.` });
        continue;
      }
      values[name] = v.sensitive
        ? { sealed: secrets.seal(JSON.stringify(value), sealContext(clusterId, found.profile.id, name)) }
        : { v: value };
    }
    for (const v of declared) {
      const sent = input.variables !== undefined && Object.hasOwn(input.variables, v.name);
      const old = kept[v.name];
      if (!sent && v.sensitive && old !== undefined && 'sealed' in old) values[v.name] = old;
      // A value sent but refused above is reported there, once.
      const refused = sent && input.variables?.[v.name] !== null && values[v.name] === undefined;
      if (v.required && values[v.name] === undefined && !hasDefault(v) && !refused) {
        problems.push({
          field: `${at}.variables.${v.name}`,
          message: `${input.profile} ${input.version} requires a value for ${v.name}.`,
        });
      }
    }
    out.push({
      profile: found.profile,
      version: found.row,
      row: {
        cluster_id: clusterId,
        position: i,
        profile_id: found.profile.id,
        version: input.version,
        variables: JSON.stringify(values),
      },
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, assignments: out };
}

/** The cluster's values for an assignment, sensitive ones opened: for its agent's plan only. */
export function openValues(row: AssignmentRow, secrets: SecretBox): Record<string, VariableValue> {
  const stored = JSON.parse(row.variables) as StoredValues;
  const out: Record<string, VariableValue> = {};
  for (const [name, value] of Object.entries(stored)) {
    out[name] =
      'sealed' in value
        ? (JSON.parse(
            secrets.open(value.sealed, sealContext(row.cluster_id, row.profile_id, name)),
          ) as VariableValue)
        : value.v;
  }
  return out;
}

/** An assignment as clients see it: sensitive values only say whether they are set. */
export function toAssignmentView(
  row: AssignmentRow,
  profileName: string,
  version: ProfileVersionRow | null,
): AssignmentView {
  const stored = JSON.parse(row.variables) as StoredValues;
  const declared: StoredVariable[] = version ? parseSpec(version.spec).variables : [];
  const names = [...new Set([...declared.map((d) => d.name), ...Object.keys(stored)])];
  return {
    profile: profileName,
    version: row.version,
    variables: names.map((name) => {
      const value = stored[name];
      const sensitive =
        declared.find((d) => d.name === name)?.sensitive ?? (value !== undefined && 'sealed' in value);
      return {
        name,
        sensitive,
        set: value !== undefined,
        ...(value !== undefined && 'v' in value && !sensitive ? { value: value.v } : {}),
      };
    }),
  };
}

const hasDefault = (v: StoredVariable): boolean => v.default !== undefined || v.sealedDefault !== undefined;
const example = (type: StoredVariable['type']): string =>
  type === 'boolean' ? 'true or false' : type === 'number' ? 'a number such as 3' : 'text';
