import { createHash } from 'node:crypto';

/*
 * What the agent does with a release before `helm upgrade --install`, decided from `helm history -o
 * json` alone (pure, so the rules are tested without a cluster).
 *
 * Idempotence: helm itself makes a new revision on every upgrade, even an identical one. So every
 * install and upgrade carries `--description "charthouse <archive digest> values=<sha256 of the values
 * in canonical JSON>"`; helm 3.17 and 4.1 both store it on install and upgrade and list it in `helm
 * history`. A release whose newest revision is `deployed` with exactly that description already runs
 * this archive with these values: nothing to do.
 *
 * Recovery, as observed with helm 3.17.2 and 4.1.4 after SIGKILLing helm mid-operation (both behave
 * alike): the newest revision stays `pending-install` / `pending-upgrade` / `pending-rollback`, and
 * every later upgrade is refused ("another operation (install/upgrade/rollback) is in progress").
 * - `helm rollback <release> <N>` is accepted in every pending state; it writes a new `deployed`
 *   revision from N, after which upgrades work again. N is the newest `deployed` revision (during an
 *   upgrade or rollback the previous one stays `deployed` until the end), else the newest one that
 *   is not pending or uninstalled (a `failed` or `superseded` one).
 * - A pending install has no revision to go back to: `helm uninstall` is accepted and removes the
 *   release record and whatever objects it had created, and the install then starts afresh.
 * - `failed` needs nothing: helm upgrades a failed release (SIGTERM, our deadline's first signal,
 *   leaves one: helm cancels and marks it failed).
 * - `uninstalling` (an uninstall that was itself killed): uninstall again.
 * Helm has no way to clear a pending state without writing its storage directly (what Flux's
 * helm-controller does); rollback and uninstall go through helm, so the release record stays helm's.
 *
 * This assumes the agent is the one writer of the releases in its plan, as Flux and Argo CD assume of
 * theirs: a release left pending is taken for one of its own runs that died (an operator's helm
 * running at the same moment would be interrupted).
 */

export interface HistoryEntry {
  revision: number;
  status: string;
  description: string;
}

export type ReleasePlan =
  | { kind: 'unchanged'; revision: number; status: string }
  | { kind: 'upgrade' }
  | { kind: 'rollback-then-upgrade'; toRevision: number; from: string }
  | { kind: 'uninstall-then-install'; from: string };

const PENDING = new Set(['pending-install', 'pending-upgrade', 'pending-rollback']);

/** The description a release installed by the agent carries: what identifies its archive and values. */
export function releaseDescription(digest: string, values: Record<string, unknown>): string {
  const valuesDigest = createHash('sha256').update(canonicalJson(values)).digest('hex');
  return `charthouse ${digest} values=sha256:${valuesDigest}`;
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort())
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** `helm history -o json` output, oldest first; throws on anything else. */
export function parseHistory(stdout: string): HistoryEntry[] {
  const parsed = JSON.parse(stdout) as unknown;
  if (!Array.isArray(parsed)) throw new Error('helm history did not print a JSON list');
  return parsed
    .map((raw: unknown) => {
      const entry = (raw ?? {}) as Record<string, unknown>;
      const revision = Number(entry['revision']);
      if (!Number.isInteger(revision))
        throw new Error('helm history printed a revision that is not a number');
      return {
        revision,
        status: String(entry['status'] ?? ''),
        description: String(entry['description'] ?? ''),
      };
    })
    .sort((a, b) => a.revision - b.revision);
}

/** What to do with a release whose history (oldest first; empty when it does not exist) is `history`. */
export function planRelease(history: readonly HistoryEntry[], description: string): ReleasePlan {
  const last = history.at(-1);
  if (!last) return { kind: 'upgrade' };
  if (last.status === 'deployed' && last.description === description) {
    return { kind: 'unchanged', revision: last.revision, status: last.status };
  }
  if (last.status === 'uninstalling') return { kind: 'uninstall-then-install', from: last.status };
  if (!PENDING.has(last.status)) return { kind: 'upgrade' };
  const earlier = history.slice(0, -1).reverse();
  const target =
    earlier.find((e) => e.status === 'deployed') ??
    earlier.find((e) => !PENDING.has(e.status) && !e.status.startsWith('uninstall'));
  if (!target) return { kind: 'uninstall-then-install', from: last.status };
  return { kind: 'rollback-then-upgrade', toRevision: target.revision, from: last.status };
}
