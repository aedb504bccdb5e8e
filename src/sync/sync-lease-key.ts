/** The job kind of registry syncs (jobs/), and the prefix of their lease keys. */
export const REGISTRY_SYNC = 'registry-sync';

/** The lease key of one registry's sync: one holder at a time across every process. */
export const syncLeaseKey = (registryId: string): string => `${REGISTRY_SYNC}:${registryId}`;

/** The registry a sync lease key names. */
export const registryOfLease = (key: string): string => key.slice(REGISTRY_SYNC.length + 1);

/** A lease as the sync's commit needs it, plain data so an index worker thread can carry it. */
export interface SyncLeaseRef {
  key: string;
  owner: string;
}
