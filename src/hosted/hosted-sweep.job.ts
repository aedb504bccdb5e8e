import type { Logger } from 'pino';
import type { JobLeases } from '../jobs/job-leases.js';
import type { JobScheduleRepository } from '../jobs/job-schedule.repository.js';
import { PeriodicJob } from '../jobs/periodic-job.js';

const SWEEP_INTERVAL_MS = 15 * 60 * 1000;

/**
 * The hosted registry's clean-up as a periodic job: abandoned OCI uploads, blob-store writes a crash
 * cut short, and blobs nothing has referenced for an hour (HostedService.sweep). One process runs it
 * per interval; its deletes are idempotent, so a run cut short is simply repeated.
 */
export function hostedSweepJob(o: {
  sweep: (now: number) => Promise<void>;
  leases: JobLeases;
  schedule: JobScheduleRepository;
  logger: Logger;
}): PeriodicJob {
  return new PeriodicJob({
    name: 'hosted-sweep',
    intervalMs: SWEEP_INTERVAL_MS,
    leases: o.leases,
    schedule: o.schedule,
    work: (now) => o.sweep(now.getTime()),
    logger: o.logger,
  });
}
