import type { Logger } from 'pino';
import type { Http } from './http/types.js';
import type { ServerLifecycle } from './shared/lifecycle.js';

/** The whole shutdown, from SIGTERM to the last lease released: the product's contract. */
export const DRAIN_BUDGET_MS = 10_000;
/** Of that, how long in-flight requests and jobs may take to end by themselves; the rest is for cutting. */
const FINISH_WITHIN_MS = 7_500;

/** What a drain waits for and, past its budget, cuts. */
export interface Drainable {
  /** Stops starting jobs; resolves when the look under way (if any) is over. */
  stopJobs(): Promise<void>;
  /** Resolves when no job runs here (syncs, sweeps, discoveries). */
  jobsIdle(): Promise<void>;
  /** How many jobs run here now, by kind. */
  jobsRunning(): Record<string, number>;
  /** Interrupts what still runs (each records itself interrupted); within `graceMs`. */
  interruptJobs(graceMs: number): Promise<void>;
  /** Releases every lease this process holds, and whatever else is closed after the work. */
  release(): Promise<void>;
}

export interface DrainReport {
  ms: number;
  /** What was still running when the budget ran out (zeros when everything ended by itself). */
  cut: { requests: number } & Record<string, number>;
}

/**
 * Graceful drain: out of rotation at once (/readyz 503), no new connections, in-flight requests and
 * running jobs finish by themselves; past {@link FINISH_WITHIN_MS} what is left is cut (connections
 * closed, syncs interrupted, which roll back), then leases go back so another server takes over at
 * once. Everything within {@link DRAIN_BUDGET_MS}.
 */
export async function drain(
  http: Http,
  lifecycle: ServerLifecycle,
  work: Drainable,
  logger: Logger,
): Promise<DrainReport> {
  const started = Date.now();
  lifecycle.draining = true;
  const jobsStopped = work.stopJobs();
  // Fastify's close: the listener closes, idle keep-alive connections with it; busy ones end after
  // their response (server.ts sets `Connection: close` while draining).
  const httpClosed = http.close();
  const finished = await settlesWithin(
    Promise.all([jobsStopped, httpClosed, jobsStopped.then(() => work.jobsIdle())]),
    FINISH_WITHIN_MS,
  );
  const cut: DrainReport['cut'] = { requests: 0 };
  if (!finished) {
    cut.requests = lifecycle.inFlight;
    Object.assign(cut, work.jobsRunning());
    // A client that stalls mid-request (an upload it stopped sending) would hold the shutdown until
    // Node's request timeout, minutes.
    http.server.closeAllConnections();
  }
  const left = DRAIN_BUDGET_MS - (Date.now() - started);
  await work.interruptJobs(Math.max(0, left - 1_000));
  await settlesWithin(httpClosed, Math.max(0, DRAIN_BUDGET_MS - (Date.now() - started) - 500));
  await work.release();
  const report = { ms: Date.now() - started, cut };
  const anyCut = Object.values(cut).some((n) => n > 0);
  logger.info(report, anyCut ? 'drained; cut what outlived the budget' : 'drained');
  return report;
}

async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}
