import type { AssignmentIn, VariableView } from '../client/api-client.js';
import { UsageError } from './output.js';

/*
 * What `cluster create` and `cluster assign` read from `--profile NAME@VERSION`, `--set PROFILE.VAR=VALUE`
 * and `--unset PROFILE.VAR`, turned into the API's assignment list.
 *
 * Typed values: a `--set` value is read by the type its profile version declares for the variable
 * (`3` is a number for a number variable and the text "3" for a string one; `true`/`false` for a
 * boolean), so the CLI fetches each version that gets a `--set` before writing anything. That costs one
 * GET per such version and buys two things: the cluster is stored with the value's real type, whatever
 * the server would make of a string, and a mistyped value or an unknown variable is refused before the
 * cluster is created (no half-done create, and no agent token printed for a cluster the user must fix).
 * Whether a value is acceptable beyond its type (required, sensitive, in use) stays the server's to say.
 */

export interface ProfileRef {
  profile: string;
  version: string;
}

/** The command line's assignments before the variables' types are known. */
export interface AssignmentArgs {
  refs: ProfileRef[];
  /** Per profile name, in the order given: a raw `--set` value, or null for `--unset`. */
  values: Map<string, Array<{ name: string; raw: string | null }>>;
}

export function parseProfileRef(arg: string): ProfileRef {
  const at = arg.lastIndexOf('@');
  if (at <= 0 || at === arg.length - 1)
    throw new UsageError(`--profile ${arg}: expected NAME@VERSION, e.g. platform@1.0.0`);
  return { profile: arg.slice(0, at), version: arg.slice(at + 1) };
}

/** `PROFILE.VAR`: profile names are DNS labels, so the first dot ends the profile's name. */
function splitTarget(flag: string, target: string, arg: string): { profile: string; name: string } {
  const dot = target.indexOf('.');
  if (dot <= 0 || dot === target.length - 1)
    throw new UsageError(`${flag} ${arg}: expected PROFILE.VARIABLE${flag === '--set' ? '=VALUE' : ''}`);
  return { profile: target.slice(0, dot), name: target.slice(dot + 1) };
}

export function parseAssignmentArgs(
  profiles: readonly string[],
  sets: readonly string[] = [],
  unsets: readonly string[] = [],
): AssignmentArgs {
  const refs = profiles.map(parseProfileRef);
  const seen = new Set<string>();
  for (const r of refs) {
    if (seen.has(r.profile))
      throw new UsageError(`--profile ${r.profile} is given twice: a cluster gets one version of a profile`);
    seen.add(r.profile);
  }
  const values = new Map<string, Array<{ name: string; raw: string | null }>>();
  const add = (flag: string, arg: string, target: string, raw: string | null): void => {
    const { profile, name } = splitTarget(flag, target, arg);
    if (!seen.has(profile))
      throw new UsageError(
        `${flag} ${arg}: profile ${profile} is not assigned (add --profile ${profile}@VERSION)`,
      );
    const list = values.get(profile) ?? [];
    if (list.some((v) => v.name === name))
      throw new UsageError(`${flag} ${arg}: ${profile}.${name} is given twice`);
    list.push({ name, raw });
    values.set(profile, list);
  };
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${s}: expected PROFILE.VARIABLE=VALUE`);
    add('--set', s, s.slice(0, eq), s.slice(eq + 1));
  }
  for (const u of unsets) add('--unset', u, u, null);
  return { refs, values };
}

/** A raw `--set` value as the variable's declared type; a usage error when it cannot be one. */
export function typedValue(ref: ProfileRef, v: VariableView, raw: string): string | number | boolean {
  const where = `--set ${ref.profile}.${v.name}=${raw}`;
  switch (v.type) {
    case 'string':
      return raw;
    case 'number': {
      // JSON's number syntax: no hex, no "Infinity", no blank that Number() would read as 0.
      if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(raw))
        throw new UsageError(`${where}: ${v.name} is a number variable of ${ref.profile} ${ref.version}`);
      return Number(raw);
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new UsageError(
        `${where}: ${v.name} is a boolean variable of ${ref.profile} ${ref.version} (true or false)`,
      );
  }
}

/**
 * The API's assignment list. `variablesOf` gives a version's declared variables and is called only for
 * versions that get a `--set` or `--unset`.
 */
export async function typedAssignments(
  args: AssignmentArgs,
  variablesOf: (ref: ProfileRef) => Promise<VariableView[]>,
): Promise<AssignmentIn[]> {
  const out: AssignmentIn[] = [];
  for (const ref of args.refs) {
    const given = args.values.get(ref.profile);
    if (!given) {
      out.push({ profile: ref.profile, version: ref.version });
      continue;
    }
    const declared = new Map((await variablesOf(ref)).map((v) => [v.name, v]));
    const variables: Record<string, string | number | boolean | null> = {};
    for (const { name, raw } of given) {
      const v = declared.get(name);
      if (!v) {
        const names = [...declared.keys()].join(', ') || 'none';
        throw new UsageError(
          `${ref.profile} ${ref.version} has no variable ${name} (its variables: ${names})`,
        );
      }
      variables[name] = raw === null ? null : typedValue(ref, v, raw);
    }
    out.push({ profile: ref.profile, version: ref.version, variables });
  }
  return out;
}
