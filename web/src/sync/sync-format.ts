import {
  ApiError,
  type RegistryScope,
  type RegistryView,
  type SyncRunView,
} from '../../../src/client/api-client.js';
import { describeError } from '../ui/describe-error';

/** The outcome of one run in plain words, as the history lists it. */
export function runOutcome(run: SyncRunView): string {
  switch (run.status) {
    case 'running':
      return 'Running…';
    case 'succeeded':
      return `Added ${run.added}, updated ${run.updated}, removed ${run.removed}`;
    case 'unchanged':
      return 'Nothing changed upstream';
    case 'suspect':
      return 'Held: the index looked truncated; the previous catalog is kept';
    case 'failed':
      return `Failed: ${run.error ?? 'no reason was recorded'}`;
  }
}

/** "1.2 s", "3 min 4 s"; a running sync has no duration yet. */
export function runDuration(run: SyncRunView): string {
  if (run.finishedAt === null) return '—';
  const ms = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Only registries that fetch from an upstream can be synchronized: not protected, not hosted. */
export const canSync = (registry: RegistryView): boolean => !registry.protected && registry.kind !== 'hosted';

/** A refused "Sync now" in words; the 409 codes get a sentence that says what to do. */
export function describeSyncError(name: string, error: unknown): string {
  if (error instanceof ApiError && error.status === 409) {
    switch (error.code) {
      case 'registry_protected':
        return `"${name}" is protected: protected registries are never synchronized.`;
      case 'sync_in_progress':
        return `A sync of "${name}" is already running; its outcome shows here when it ends.`;
      case 'sync_unavailable':
        return `"${name}" holds its own charts: there is no upstream to synchronize from.`;
    }
  }
  return `Could not start a sync of "${name}": ${describeError(error)}`;
}

/** The console path of a registry's sync history in this scope. */
export function syncHistoryPath(scope: RegistryScope, name: string): string {
  const registry = encodeURIComponent(name);
  return scope === 'system'
    ? `/system/registries/${registry}/syncs`
    : `/t/${encodeURIComponent(scope.tenant)}/settings/registries/${registry}/syncs`;
}
