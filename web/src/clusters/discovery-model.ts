import type {
  ClusterView,
  DiscoveredReleaseView,
  DiscoveryRunView,
  RegistryMatch,
  SyncedChartView,
} from '../../../src/client/api-client.js';

/*
 * What the "Discovered releases" section of a cluster says, in words, and the checks of what a user
 * types there before it is sent. Pure, so the wording of runs, matches and outcomes is tested without
 * a browser.
 */

export type ReleaseValuesMode = ClusterView['releaseValues'];

/** The choices of `releaseValues`, in the order offered, with what each means for the user's values. */
export const RELEASE_VALUES_CHOICES: ReadonlyArray<{
  value: ReleaseValuesMode;
  label: string;
  hint: string;
}> = [
  {
    value: 'sealed',
    label: 'Keep them sealed',
    hint: 'Discovery keeps the values users gave each release, encrypted and never shown; a profile made from the cluster starts with them.',
  },
  {
    value: 'omitted',
    label: 'Do not keep them',
    hint: 'Discovery never stores release values (for values holding secrets); a profile made from the cluster starts with empty values.',
  },
];

export const releaseValuesLabel = (mode: ReleaseValuesMode): string =>
  RELEASE_VALUES_CHOICES.find((c) => c.value === mode)?.label ?? mode;

/** A run still to be answered: the console polls until it is finished. */
export const isRunActive = (run: Pick<DiscoveryRunView, 'status'> | undefined): boolean =>
  run !== undefined && (run.status === 'requested' || run.status === 'running');

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** A run's state in one sentence: what it waits for, what it found, or why it failed. */
export function runStatusText(run: DiscoveryRunView, mode: ClusterView['mode']): string {
  switch (run.status) {
    case 'requested':
      return mode === 'agent'
        ? 'Requested: the agent discovers at its next heartbeat.'
        : 'Requested: waiting for the server to start.';
    case 'running':
      return run.objects > 0 ? `Running: ${plural(run.objects, 'release object')} read so far…` : 'Running…';
    case 'succeeded':
      return `Found ${plural(run.releases, 'release')} (${plural(run.objects, 'release object')} read), ${run.matched} matched in the catalog${run.helm2 > 0 ? `, ${run.helm2} Helm 2` : ''}.`;
    case 'failed':
      return `Failed: ${run.error?.message ?? 'no reason was recorded'}`;
    default:
      return run.status;
  }
}

export const TRIGGER_LABELS: Record<string, string> = {
  manual: 'Discover now',
  schedule: 'Scheduled',
  agent: 'By the agent',
};

/** "bitnami (content)", "stable (name and version)": how a release's chart was found in a registry. */
export function matchText(m: Pick<RegistryMatch, 'registry' | 'how'>): string {
  return `${m.registry} (${m.how === 'content' ? 'content' : 'name and version'})`;
}

export const MATCH_HINTS: Record<RegistryMatch['how'], string> = {
  content: "Same Chart.yaml, templates and default values as the registry's archive",
  'name-version': 'Same chart name and version; the content could not be compared or differs',
};

export const VALUES_LABELS: Record<DiscoveredReleaseView['values'], string> = {
  sealed: 'sealed',
  omitted: 'omitted',
  none: 'none given',
};

export const VALUES_HINTS: Record<DiscoveredReleaseView['values'], string> = {
  sealed: 'The values users gave this release are kept encrypted and never shown',
  omitted: "The cluster's setting says not to keep release values",
  none: 'The release was installed with the chart defaults',
};

export const SYNC_OUTCOME_LABELS: Record<string, string> = {
  created: 'Created',
  unchanged: 'Already synced',
  matched: 'In the catalog',
  conflict: 'Conflict',
  skipped: 'Skipped',
  failed: 'Failed',
};

/** What an outcome means, beside its label in the result table. */
export const SYNC_OUTCOME_HINTS: Record<string, string> = {
  created: 'Rebuilt from the release and pushed to the hosted registry, marked reconstructed.',
  unchanged: 'Already in the hosted registry as rebuilt before.',
  matched: 'A registry already has this chart with the same content: nothing to do.',
  conflict: 'The hosted registry holds this version with other content: it was not overwritten.',
  skipped: 'A Helm 2 release: not synced.',
  failed: 'The chart could not be rebuilt or published.',
};

export const syncOutcomeLabel = (outcome: string): string => SYNC_OUTCOME_LABELS[outcome] ?? outcome;

/** Tone of an outcome's badge: what needs someone's attention stands out. */
export function syncOutcomeTone(outcome: string): 'ok' | 'neutral' | 'problem' {
  if (outcome === 'created' || outcome === 'unchanged' || outcome === 'matched') return 'ok';
  if (outcome === 'conflict' || outcome === 'failed') return 'problem';
  return 'neutral';
}

/** "3 created, 1 in the catalog, 1 failed": the counts of a "Sync discovered charts" answer. */
export function syncSummary(items: readonly Pick<SyncedChartView, 'outcome'>[]): string {
  if (items.length === 0) return 'No discovered charts to sync.';
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.outcome, (counts.get(i.outcome) ?? 0) + 1);
  const order = Object.keys(SYNC_OUTCOME_LABELS);
  return [...counts]
    .sort(([a], [b]) => rank(order, a) - rank(order, b))
    .map(([outcome, n]) => `${n} ${syncOutcomeLabel(outcome).toLowerCase()}`)
    .join(', ');
}

const rank = (order: readonly string[], value: string): number => {
  const i = order.indexOf(value);
  return i < 0 ? order.length : i;
};

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** The API's limit on namespaces one discovery may name (MAX_DISCOVERY_NAMESPACES). */
export const MAX_NAMESPACES = 100;

export const isNamespace = (text: string): boolean => NAMESPACE.test(text);

/**
 * The namespaces field of "Discover now": names separated by commas or spaces, each once. Empty is
 * every namespace (`namespaces` left out of the body).
 */
export function parseNamespaces(text: string): { namespaces: string[] } | { error: string } {
  const names = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  const bad = names.filter((n) => !isNamespace(n));
  if (bad.length > 0)
    return {
      error: `Not a namespace name: ${bad.map((b) => `"${b}"`).join(', ')}. Use lowercase letters, digits and "-".`,
    };
  if (names.length > MAX_NAMESPACES)
    return { error: `At most ${MAX_NAMESPACES} namespaces; leave it empty for all.` };
  return { namespaces: names };
}
