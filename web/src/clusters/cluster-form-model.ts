import type {
  AssignmentIn,
  AssignmentView,
  ClusterCreateBody,
  ClusterView,
  ErrorDetail,
  LayerStateView,
  VariableView,
  VersionSummary,
} from '../../../src/client/api-client.js';
import { defaultValue, type VariableType } from '../profiles/profile-form-model.js';

/*
 * The cluster forms' state and its translation to and from the API: registering a cluster (POST) and
 * editing its profile assignments (PATCH `profiles`, which replaces the whole list). Pure, so that the
 * rules for sensitive values (kept unless replaced, `null` clears) and the placing of a 422's
 * `details[].field` on controls are tested without a browser.
 */

export type ClusterMode = ClusterCreateBody['mode'];

/** One variable of an assigned version, as the cluster form edits it. */
export interface VariableInputForm {
  name: string;
  type: VariableType;
  sensitive: boolean;
  required: boolean;
  description: string;
  /** The version's default as text, shown as a placeholder; empty for none or for a sensitive one. */
  defaultText: string;
  hasDefault: boolean;
  /** The value as typed: for a sensitive variable only a new one (a stored one is never sent back). */
  text: string;
  /** A non-sensitive variable the cluster had a value for: emptied, it is cleared with `null`. */
  wasSet: boolean;
  /** A sensitive variable the cluster has a value for: kept unless replaced or cleared. */
  storedSecret: boolean;
  secretAction: 'keep' | 'replace' | 'clear';
}

export interface AssignmentForm {
  /** Stable React key: profile and version are edited, so they cannot be the key. */
  key: string;
  profile: string;
  version: string;
  /**
   * `profile@version` whose declared variables `variables` follows; null until the version's
   * declaration was read (a stored assignment starts from what the cluster says).
   */
  declaredFor: string | null;
  variables: VariableInputForm[];
}

export interface ClusterForm {
  name: string;
  description: string;
  mode: ClusterMode;
  kubeconfig: string;
  /** What discovery keeps of each release's values (the API's `releaseValues`). */
  releaseValues: ClusterView['releaseValues'];
  profiles: AssignmentForm[];
}

let nextKey = 0;
const newKey = (): string => `assignment-${++nextKey}`;

export const emptyClusterForm = (): ClusterForm => ({
  name: '',
  description: '',
  mode: 'agent',
  kubeconfig: '',
  releaseValues: 'sealed',
  profiles: [],
});

export const emptyAssignment = (): AssignmentForm => ({
  key: newKey(),
  profile: '',
  version: '',
  declaredFor: null,
  variables: [],
});

const valueText = (value: string | number | boolean | undefined): string =>
  value === undefined ? '' : String(value);

const typeOf = (value: string | number | boolean | undefined): VariableType =>
  typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';

/** A cluster's stored assignment, before its version's declaration is read (types guessed from values). */
export function assignmentFormFrom(view: AssignmentView): AssignmentForm {
  return {
    key: newKey(),
    profile: view.profile,
    version: view.version,
    declaredFor: null,
    variables: view.variables.map((v) => ({
      name: v.name,
      type: typeOf(v.value),
      sensitive: v.sensitive,
      required: false,
      description: '',
      defaultText: '',
      hasDefault: false,
      text: v.sensitive ? '' : valueText(v.value),
      wasSet: !v.sensitive && v.set,
      storedSecret: v.sensitive && v.set,
      secretAction: 'keep',
    })),
  };
}

export const assignmentsFrom = (cluster: Pick<ClusterView, 'profiles'>): AssignmentForm[] =>
  cluster.profiles.map(assignmentFormFrom);

export const declarationKey = (profile: string, version: string): string => `${profile}@${version}`;

/**
 * The assignment's variables as its version declares them, in the declared order. What was typed or
 * stored for a variable of the same name is kept; variables the version does not declare are dropped.
 */
export function withDeclaredVariables(a: AssignmentForm, declared: readonly VariableView[]): AssignmentForm {
  const had = new Map(a.variables.map((v) => [v.name, v]));
  return {
    ...a,
    declaredFor: declarationKey(a.profile, a.version),
    variables: declared.map((d): VariableInputForm => {
      const old = had.get(d.name);
      const sameKind = old !== undefined && old.sensitive === d.sensitive;
      return {
        name: d.name,
        type: d.type,
        sensitive: d.sensitive,
        required: d.required,
        description: d.description ?? '',
        defaultText: d.sensitive ? '' : valueText(d.default),
        hasDefault: d.hasDefault,
        text: sameKind ? old.text : '',
        wasSet: sameKind ? old.wasSet : false,
        storedSecret: sameKind ? old.storedSecret : false,
        secretAction: sameKind ? old.secretAction : 'keep',
      };
    }),
  };
}

/** Another profile: nothing of the old one's values applies. */
export const withProfile = (a: AssignmentForm, profile: string): AssignmentForm => ({
  ...a,
  profile,
  version: '',
  declaredFor: null,
  variables: [],
});

/** Another version of the same profile: values carry over by name once the new declaration is read. */
export const withVersion = (a: AssignmentForm, version: string): AssignmentForm => ({
  ...a,
  version,
  declaredFor: null,
});

type VariableValue = string | number | boolean | null;

/**
 * What one variable sends, or undefined to leave it out. Left out, a sensitive value the cluster has
 * stays (the server never returns it, so it cannot be sent back); `null` clears a stored value.
 */
export function variableValue(v: VariableInputForm): VariableValue | undefined {
  if (v.sensitive && v.storedSecret) {
    if (v.secretAction === 'clear') return null;
    if (v.secretAction === 'replace' && v.text !== '') return defaultValue(v.type, v.text);
    return undefined;
  }
  if (v.text !== '') return v.sensitive ? v.text : defaultValue(v.type, v.text);
  return v.wasSet ? null : undefined;
}

export function assignmentBody(a: AssignmentForm): AssignmentIn {
  const variables: Record<string, VariableValue> = {};
  for (const v of a.variables) {
    const value = variableValue(v);
    if (value !== undefined) variables[v.name] = value;
  }
  return {
    profile: a.profile,
    version: a.version,
    ...(Object.keys(variables).length > 0 ? { variables } : {}),
  };
}

/** The POST body. Empty required strings go as they are, for the server to name beside their control. */
export function clusterCreateBody(form: ClusterForm): ClusterCreateBody {
  return {
    name: form.name.trim(),
    mode: form.mode,
    ...(form.description.trim() ? { description: form.description.trim() } : {}),
    ...(form.mode === 'kubeconfig' ? { kubeconfig: form.kubeconfig } : {}),
    // `sealed` is the server's default: only the other choice is worth sending.
    ...(form.releaseValues !== 'sealed' ? { releaseValues: form.releaseValues } : {}),
    ...(form.profiles.length > 0 ? { profiles: form.profiles.map(assignmentBody) } : {}),
  };
}

export function moveAssignment(list: readonly AssignmentForm[], index: number, by: -1 | 1): AssignmentForm[] {
  const to = index + by;
  if (to < 0 || to >= list.length) return [...list];
  const out = [...list];
  [out[index], out[to]] = [out[to]!, out[index]!];
  return out;
}

/** Versions a cluster can be given: published ones only, in the server's order (newest first). */
export function publishedVersions<V extends Pick<VersionSummary, 'version' | 'status'>>(
  versions: readonly V[],
): V[] {
  return versions.filter((v) => v.status === 'published');
}

/* ---------- the server's 422, mapped onto the form ---------- */

export type ClusterField = 'name' | 'description' | 'mode' | 'kubeconfig' | 'releaseValues';

export interface AssignmentErrors {
  profile?: string;
  version?: string;
  /** By variable name. */
  variables: Record<string, string>;
  /** About the assignment as a whole (a duplicate profile, an unknown variable). */
  general: string[];
}

export interface ClusterErrors {
  /** Every message in the server's order, for the summary at the top. */
  all: string[];
  fields: Partial<Record<ClusterField, string>>;
  profiles: Record<number, AssignmentErrors>;
  /** Messages not tied to one control. */
  general: string[];
}

export const noClusterErrors = (): ClusterErrors => ({ all: [], fields: {}, profiles: {}, general: [] });

const CLUSTER_FIELDS: readonly ClusterField[] = [
  'name',
  'description',
  'mode',
  'kubeconfig',
  'releaseValues',
];
/** `profiles[2]`, `profiles[2].version`, `profiles[0].variables.TOKEN`, `profiles[0].variables["a.b"]`. */
const ASSIGNMENT_PATTERN =
  /^profiles\[(\d+)\](?:\.(profile|version|variables)(?:\.(.+)|\["(.+)"\]|\[(.+)\])?)?$/;

/** Places `details[].field` of a refused cluster write on the form's controls. */
export function clusterErrors(details: readonly ErrorDetail[]): ClusterErrors {
  const out = noClusterErrors();
  for (const d of details) {
    const field = d.field ?? '';
    // The server may start a message with its path; beside the control the path says nothing.
    const bare = sentence(
      field && d.message.startsWith(`${field}: `) ? d.message.slice(field.length + 2) : d.message,
    );
    const top = CLUSTER_FIELDS.find((f) => f === field || field.startsWith(`${f}.`));
    if (top) {
      out.all.push(bare);
      out.fields[top] ??= bare;
      continue;
    }
    const m = ASSIGNMENT_PATTERN.exec(field);
    if (!m) {
      out.all.push(bare);
      out.general.push(bare);
      continue;
    }
    const index = Number(m[1]);
    const a = (out.profiles[index] ??= { variables: {}, general: [] });
    const part = m[2];
    const variable = m[3] ?? m[4] ?? m[5];
    out.all.push(
      `Profile ${index + 1}${part ? `, ${variable ? `variable ${variable}` : part}` : ''}: ${bare}`,
    );
    if (part === 'profile' || part === 'version') a[part] ??= bare;
    else if (part === 'variables' && variable !== undefined) a.variables[variable] ??= bare;
    else a.general.push(bare);
  }
  return out;
}

function sentence(message: string): string {
  const s = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/* ---------- what the screens show ---------- */

export const CONNECTION_LABELS: Record<ClusterView['connection'], string> = {
  connected: 'Connected',
  disconnected: 'Disconnected',
  never: 'Never connected',
};

export const CONNECTION_HINTS: Record<ClusterView['connection'], string> = {
  connected: 'The agent sent a heartbeat within the last 10 minutes',
  disconnected: 'No heartbeat for more than 10 minutes',
  never: 'No agent has called yet',
};

export type LayerState = LayerStateView['state'];

/** The order a summary names states in: what is done first, what needs attention last. */
const STATE_ORDER: readonly LayerState[] = ['installed', 'verified', 'pulled', 'pending', 'failed'];

/** "3 installed, 1 failed"; "no layers" for a cluster without assigned layers. */
export function layerSummary(layers: readonly Pick<LayerStateView, 'state'>[]): string {
  if (layers.length === 0) return 'no layers';
  const counts = new Map<LayerState, number>();
  for (const l of layers) counts.set(l.state, (counts.get(l.state) ?? 0) + 1);
  return STATE_ORDER.filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(', ');
}

/** `sha256:0123456789ab` (12 hex digits, like `docker images`); the whole digest goes in a tooltip. */
export function shortDigest(digest: string): string {
  const m = /^(sha256:)([0-9a-f]{12})[0-9a-f]+$/.exec(digest);
  return m ? `${m[1]}${m[2]}` : digest;
}

/** Plan revision against what the agent last fetched, in words. */
export function deliveryText(plan: ClusterView['plan']): string {
  if (plan.deliveredRevision === null) return `Revision ${plan.revision}, not delivered yet`;
  if (plan.deliveredRevision === plan.revision) return `Revision ${plan.revision}, delivered`;
  return `Revision ${plan.revision}; the agent has revision ${plan.deliveredRevision}`;
}

/** The release column: "web in apps, revision 3 (deployed)". */
export function releaseText(release: LayerStateView['release']): string {
  if (release === null) return '—';
  return `${release.name} in ${release.namespace}, revision ${release.revision} (${release.status})`;
}

/** The name of the file the agent reads its token from; the commands below use it. */
export const AGENT_TOKEN_FILE = 'agent-token';

/**
 * How to start the agent with a new token. The token goes into a file through stdin (pasted, then
 * Ctrl+D), readable only by its owner, so it is never part of a command line (shell history, `ps`).
 */
export function agentCommands(origin: string): { saveToken: string; run: string } {
  return {
    saveToken: `(umask 077 && cat > ${AGENT_TOKEN_FILE})`,
    run: `charthouse agent --server ${origin} --token-file ${AGENT_TOKEN_FILE}`,
  };
}
