import { AppError, ConflictError } from '../shared/errors.js';

/** 409: a discovery of this cluster is under way; its run says when it ends. */
export function discoveryRunning(cluster: string, runId: string): ConflictError {
  return new ConflictError(
    'discovery_running',
    `A discovery of cluster "${cluster}" is under way (run ${runId}): wait for it to finish, then look at its releases.`,
  );
}

/** 422: an agent posted to a run that is not its cluster's, or that already ended. */
export class DiscoveryRunClosedError extends AppError {
  readonly status = 422;
  constructor(runId: string, why: string) {
    super('discovery_run_closed', `Discovery run ${runId} takes no more releases: ${why}`);
  }
}

/** 409: the cluster has no finished discovery to work from (sync, profile from cluster). */
export function nothingDiscovered(cluster: string): ConflictError {
  return new ConflictError(
    'nothing_discovered',
    `Cluster "${cluster}" has no finished discovery yet: run "Discover now" (POST .../clusters/${cluster}/discover) first.`,
  );
}
