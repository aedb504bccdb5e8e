import type { AssignmentView, ClusterView, LayerStateView } from '../client/api-client.js';
import { formatDate, formatTable } from './output.js';

/* How the cluster commands print clusters for people (--json prints the API's). */

/** Control characters and line breaks from descriptions and reasons would break a table or a line. */
const oneLine = (s: string | null | undefined): string => (s ?? '').replace(/[\s\p{Cc}]+/gu, ' ').trim();

function pairs(list: Array<[string, string]>): string {
  const width = Math.max(...list.map(([k]) => k.length)) + 1;
  return list.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n') + '\n';
}

/** `connected (last heartbeat 2026-11-21 10:04 UTC)`, `never (no agent has called yet)`. */
function connectionOf(c: ClusterView): string {
  if (c.mode === 'kubeconfig' && c.connection === 'never') return 'n/a (reached through its kubeconfig)';
  if (c.connection === 'never') return 'never (no agent has called yet)';
  return `${c.connection} (last heartbeat ${formatDate(c.lastHeartbeatAt)})`;
}

/** `3 installed, 1 failed`: the layers by state, in the order a layer goes through them. */
const STATES: LayerStateView['state'][] = ['installed', 'verified', 'pulled', 'pending', 'failed'];
function layerSummary(layers: LayerStateView[]): string {
  if (layers.length === 0) return '-';
  return STATES.flatMap((s) => {
    const n = layers.filter((l) => l.state === s).length;
    return n > 0 ? [`${n} ${s}`] : [];
  }).join(', ');
}

function planOf(c: ClusterView): string {
  const { revision, deliveredRevision } = c.plan;
  if (deliveredRevision === null) return `${revision} (not delivered)`;
  return deliveredRevision === revision
    ? `${revision} (delivered)`
    : `${revision} (agent has ${deliveredRevision})`;
}

export function formatClusterTable(clusters: ClusterView[]): string {
  if (clusters.length === 0) return 'No clusters.\n';
  return formatTable(
    ['NAME', 'MODE', 'CONNECTION', 'LAST HEARTBEAT', 'PROFILES', 'PLAN', 'LAYERS'],
    clusters.map((c) => [
      c.name,
      c.mode,
      c.connection,
      formatDate(c.lastHeartbeatAt),
      c.profiles.map((p) => `${p.profile}@${p.version}`).join(', ') || '-',
      planOf(c),
      layerSummary(c.layers),
    ]),
  );
}

/** A variable's value for people: a sensitive one only says whether it is set. */
export function variableCell(v: AssignmentView['variables'][number]): string {
  if (v.sensitive) return v.set ? '(sensitive, set)' : '(sensitive, not set)';
  if (!v.set || v.value === undefined) return '(not set: the default applies)';
  return JSON.stringify(v.value);
}

/** `sha256:0123456789ab`: enough to compare by eye; --json has the whole digest. */
const shortDigest = (d: string | null): string => (d === null ? '-' : d.slice(0, 'sha256:'.length + 12));

function releaseCell(l: LayerStateView): string {
  if (!l.release) return '-';
  return `${l.release.namespace}/${l.release.name} r${l.release.revision} ${l.release.status}`;
}

/** What discovery does with the values users gave each release. */
const RELEASE_VALUES: Record<ClusterView['releaseValues'], string> = {
  sealed: 'sealed (discovery keeps them encrypted and never shows them)',
  omitted: 'omitted (discovery never stores them)',
};

export function formatClusterDetail(c: ClusterView): string {
  const head: Array<[string, string]> = [
    ['Cluster', c.name],
    ['Description', oneLine(c.description) || '-'],
    ['Mode', c.mode],
    ['Connection', connectionOf(c)],
  ];
  if (c.mode === 'agent') {
    head.push(['Agent version', c.agentVersion ?? '-'], ['Token created', formatDate(c.tokenCreatedAt)]);
  } else {
    head.push(['API server', c.server ?? '-']);
  }
  head.push(
    ['Release values', RELEASE_VALUES[c.releaseValues]],
    ['Plan revision', planOf(c)],
    ['Plan delivered', formatDate(c.plan.deliveredAt)],
    ['Layers', layerSummary(c.layers)],
    ['Created', formatDate(c.createdAt)],
    ['Updated', formatDate(c.updatedAt)],
  );
  let out = pairs(head);

  out += '\n';
  if (c.profiles.length === 0) {
    out += 'No profiles assigned.\n';
  } else {
    out += formatTable(
      ['PROFILE', 'VERSION', 'VARIABLES'],
      c.profiles.map((p) => [p.profile, p.version, String(p.variables.length)]),
    );
    const variables = c.profiles.flatMap((p) => p.variables.map((v) => [p.profile, v.name, variableCell(v)]));
    if (variables.length > 0) out += '\n' + formatTable(['PROFILE', 'VARIABLE', 'VALUE'], variables);
  }

  out += '\n';
  if (c.layers.length === 0) {
    out += 'No layer states yet.\n';
  } else {
    out += formatTable(
      ['PROFILE', 'VERSION', 'LAYER', 'STATE', 'DIGEST', 'RELEASE', 'PLAN', 'REPORTED', 'REASON'],
      c.layers.map((l) => [
        l.profile,
        l.version,
        l.layer,
        l.state,
        shortDigest(l.digest),
        releaseCell(l),
        l.planRevision === null ? '-' : String(l.planRevision),
        formatDate(l.reportedAt),
        oneLine(l.reason) || '-',
      ]),
    );
  }
  return out;
}
