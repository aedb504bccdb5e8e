import type { RegistryView } from '../../../src/client/api-client.js';

export const KIND_LABELS: Record<RegistryView['kind'], string> = {
  helm: 'Helm',
  oci: 'OCI',
  hosted: 'Hosted',
};

/** Short: the Status column is narrow. STATUS_HINTS says the rest in the badge's tooltip. */
export const STATUS_LABELS: Record<RegistryView['syncStatus'], string> = {
  disabled: 'Sync off',
  never: 'Not synced',
  syncing: 'Syncing…',
  synced: 'Synced',
  failed: 'Failed',
};

export const STATUS_HINTS: Record<RegistryView['syncStatus'], string> = {
  disabled: 'Protected registries are never synchronized',
  never: 'Validated; the first sync has not run yet',
  syncing: 'A sync is running',
  synced: 'The last sync succeeded',
  failed: 'The last sync failed; the previous catalog is kept',
};

/**
 * The endpoint as a user would type it: a hosted registry's is stored as a path when the server has no
 * configured public URL (it answers on whatever host it is reached by), so it is shown on this origin.
 */
export const endpointText = (registry: RegistryView, origin: string): string =>
  registry.endpoint.startsWith('/') ? `${origin}${registry.endpoint}` : registry.endpoint;

export const authLabel = (registry: RegistryView): string =>
  registry.auth.type === 'none' ? 'None' : `Basic (${registry.auth.username ?? 'user'})`;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

/** Last Synced as the seeds describe it: n/a for a protected registry, else the date, or "never". */
export function lastSyncedText(registry: RegistryView): string {
  if (registry.protected) return 'n/a';
  if (registry.lastSyncedAt === null) return 'never';
  return formatDate(registry.lastSyncedAt);
}

export type RegistrySortKey =
  'name' | 'endpoint' | 'kind' | 'protected' | 'auth' | 'lastSynced' | 'status' | 'charts';

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** A comparable value per column; protected registries (n/a) sort before any synced date. */
export function compareRegistries(a: RegistryView, b: RegistryView, key: RegistrySortKey): number {
  switch (key) {
    case 'name':
      return collator.compare(a.name, b.name);
    case 'endpoint':
      return collator.compare(a.endpoint, b.endpoint);
    case 'kind':
      return collator.compare(KIND_LABELS[a.kind], KIND_LABELS[b.kind]);
    case 'protected':
      return Number(a.protected) - Number(b.protected);
    case 'auth':
      return collator.compare(authLabel(a), authLabel(b));
    case 'lastSynced':
      return syncRank(a) - syncRank(b) || (a.lastSyncedAt ?? '').localeCompare(b.lastSyncedAt ?? '');
    case 'status':
      return collator.compare(STATUS_LABELS[a.syncStatus], STATUS_LABELS[b.syncStatus]);
    case 'charts':
      return a.chartCount - b.chartCount;
  }
}

const syncRank = (r: RegistryView): number => (r.protected ? 0 : r.lastSyncedAt === null ? 1 : 2);
