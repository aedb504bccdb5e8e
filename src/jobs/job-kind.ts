/** One piece of due work, ready to run: it takes its own lease, so it may find the work taken. */
export interface DueJob {
  /** The lease key (`<kind>:<id>`), so one process never starts the same job twice at once. */
  key: string;
  /** Resolves when the job is over (never rejects: a job records its own failures). */
  run(): Promise<void>;
}

/**
 * A kind of background work the scheduler runs (job-scheduler.ts): registry syncs, the hosted sweep,
 * and what later capabilities add (discovery, report expiry). A kind knows what is due and how to
 * run one; the scheduler knows when to ask and how many at once.
 */
export interface JobKind {
  /** The prefix of its lease keys, and its name in logs. */
  readonly name: string;
  /** How many of its jobs one process runs at a time. */
  readonly concurrency: number;
  /** At most `limit` jobs due at `now`, most urgent first. */
  due(now: Date, limit: number): Promise<DueJob[]>;
  /** Housekeeping before each look (closing what a dead process left open). */
  beforePass?(now: Date): Promise<void>;
}
