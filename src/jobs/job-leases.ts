import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { JobLeaseRepository } from './job-lease.repository.js';
import type { JobWorkerRepository, WorkerIdentity } from './job-worker.repository.js';
import type { Db } from '../storage/transaction.js';

/** A job's lease as held by this process. `token` tells this holding apart from a later one of the same key. */
export interface Lease {
  readonly key: string;
  readonly kind: string;
  readonly owner: string;
  readonly token: symbol;
  /** When it was taken (ms since the epoch): the run's start, for its duration. */
  readonly takenAt: number;
}

/**
 * How a run of a job ended, as its caller says when it gives the lease back. `skipped`: it did no work,
 * because another run holds the key (here or on another server) or because it was found done already
 * (another server ran it between the scheduler's look and the lease).
 */
export type JobOutcome = 'succeeded' | 'failed' | 'skipped';

/** One run's end, for metrics: `seconds` from its lease to its end, null when it never got the lease. */
export interface JobRunEvent {
  kind: string;
  outcome: JobOutcome;
  seconds: number | null;
}

/** Leases held by one node, of one kind, as the database has them (for metrics). */
export interface LeaseHolding {
  kind: string;
  /** The holder's node id ({@link nodeOfOwner}). */
  node: string;
  /** Whether the holder's heartbeat is fresh; false: a stopped server's leases, waiting to be taken over. */
  live: boolean;
  leases: number;
}

/** What a look at one kind's leases found. */
export interface LeaseSurvey {
  /** Keys someone is working on: a live process's lease, or one this process is running. */
  busy: Set<string>;
  /** Keys whose holder stopped (killed, or its release failed): their work was interrupted. */
  abandoned: string[];
}

export interface JobLeasesOptions {
  workers: JobWorkerRepository;
  leases: JobLeaseRepository;
  /** How often this process says it is alive; a lease is free after {@link MISSED_BEATS} missed beats. */
  heartbeatMs: number;
  logger: Logger;
  /** This process's node id (CHARTHOUSE_NODE_ID): the readable part of its lease owner. */
  node: string;
  /** Told of every run's end, whatever the kind; must not throw. */
  observe?: (event: JobRunEvent) => void;
}

/** Separates the node id from the per-start suffix in a lease owner; node ids never hold it. */
const OWNER_SEPARATOR = '/';

/**
 * The node id in a lease owner (`<node>/<random>`). An owner written before node ids existed
 * (`host:pid:random`, no separator) is its own node.
 */
export function nodeOfOwner(owner: string): string {
  const at = owner.lastIndexOf(OWNER_SEPARATOR);
  return at < 0 ? owner : owner.slice(0, at);
}

/**
 * A holder that missed this many heartbeats is taken for dead. Three, so one slow write or a short
 * database hiccup does not cost a process its work, and a killed one frees its leases within
 * 3 × the heartbeat (30 s by default) plus one scheduler tick.
 */
export const MISSED_BEATS = 3;
/** Processes silent this long are forgotten (their rows only help an operator look). */
const FORGET_WORKERS_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * This process's side of the job leases: its identity and heartbeat, and the leases it holds. Every
 * background job (jobs/) and a manual "Sync now" take their lease here.
 *
 * A lease is released in the transaction that records the job's result (the caller passes it to
 * {@link release}), so the moment the result is visible the job can be started again, here or
 * elsewhere. What is held in memory only stops this process from starting a job it is still running;
 * it never blocks a job whose lease row is gone.
 *
 * Whether a holder is alive is judged by the database's clock (heartbeats are stamped with it, and ages
 * measured against it), so nothing here reads this process's clock: hosts whose clocks disagree still
 * hold their leases exclusively.
 */
export class JobLeases {
  /**
   * `<node id>/<random>`, new on every start. Not the node id alone: a server restarted under a fixed
   * id (a StatefulSet pod) would otherwise find its dead predecessor's leases its own and its
   * heartbeat would keep them alive, and two servers given the same id by mistake would share
   * every lease and run each job twice. The node id stays readable in front (metrics, job_leases).
   */
  readonly owner: string;
  private readonly identity: WorkerIdentity;
  /** The leases this process holds: their token (this holding) and kind, by key. */
  private readonly held = new Map<string, { token: symbol; kind: string }>();
  /** Keys an acquire of this process is taking right now: a second one at once simply loses. */
  private readonly taking = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstBeat: Promise<void> | undefined;

  constructor(private readonly o: JobLeasesOptions) {
    this.owner = `${o.node}${OWNER_SEPARATOR}${randomBytes(4).toString('hex')}`;
    this.identity = { id: this.owner, host: hostname(), pid: process.pid, startedAt: new Date() };
  }

  get staleAfterMs(): number {
    return this.o.heartbeatMs * MISSED_BEATS;
  }

  /** Start the heartbeat; leases taken before the first beat lands wait for it. */
  start(): Promise<void> {
    if (!this.firstBeat) {
      this.firstBeat = this.beat();
      this.timer = setInterval(() => void this.beat(), this.o.heartbeatMs);
      this.timer.unref();
    }
    return this.firstBeat;
  }

  /** Never rejects: a missed beat (the database away) is retried at the next; leases may then be lost. */
  private async beat(): Promise<void> {
    try {
      if (!(await this.o.workers.beat(this.identity))) {
        this.o.logger.debug('heartbeat skipped: SQLite is busy writing (a sync); the next one tries again');
      }
    } catch (err) {
      this.o.logger.warn(
        { err },
        'could not record this process heartbeat; its job leases may be taken over',
      );
    }
  }

  /**
   * Take `key`, or null when someone works on it. `force` takes it from another live process (its
   * commit then fails and rolls back); a job this process is running is never doubled, forced or not.
   */
  async acquire(key: string, kind: string, options: { force?: boolean } = {}): Promise<Lease | null> {
    // Two acquires of one key in this process would both see the row as this process's own.
    if (this.taking.has(key)) {
      this.observe(kind, 'skipped', null);
      return null;
    }
    this.taking.add(key);
    try {
      await this.start();
      const running = this.held.has(key);
      const taken = await this.o.leases
        .take(key, kind, this.owner, this.staleAfterMs, {
          force: (options.force ?? false) && !running,
          reclaimOwn: !running,
        })
        .catch((err: unknown) => {
          // The database away: a run that could not even start has failed.
          this.observe(kind, 'failed', null);
          throw err;
        });
      if (!taken) {
        this.observe(kind, 'skipped', null);
        return null;
      }
      const lease: Lease = { key, kind, owner: this.owner, token: Symbol(key), takenAt: Date.now() };
      this.held.set(key, { token: lease.token, kind });
      return lease;
    } finally {
      this.taking.delete(key);
    }
  }

  /**
   * Free the lease in `executor` (the transaction recording the job's result). False: it was taken
   * over, and the caller must roll back.
   */
  release(lease: Lease, executor?: Db): Promise<boolean> {
    return this.o.leases.release(lease.key, lease.owner, executor);
  }

  /**
   * The job is over, its lease released with its result or not: stop counting it as running here.
   * `outcome` is how it went, counted per kind (charthouse_job_runs_total).
   */
  finished(lease: Lease, outcome: JobOutcome): void {
    if (this.held.get(lease.key)?.token !== lease.token) return;
    this.held.delete(lease.key);
    this.observe(lease.kind, outcome, (Date.now() - lease.takenAt) / 1000);
  }

  /**
   * Free a lease outside any transaction (the job failed before it had anything to record, or found
   * nothing to do), then {@link finished} with `outcome`. Never rejects.
   */
  async abandon(lease: Lease, outcome: JobOutcome): Promise<void> {
    // Delete first, forget after: while the delete runs the key still counts as running here, so a new
    // lease of the same key (same owner) cannot be taken and then deleted by this release.
    await this.o.leases.release(lease.key, lease.owner).catch((err: unknown) => {
      this.o.logger.warn({ err, key: lease.key }, 'could not release a job lease; it is free once noticed');
    });
    this.finished(lease, outcome);
  }

  private observe(kind: string, outcome: JobOutcome, seconds: number | null): void {
    try {
      this.o.observe?.({ kind, outcome, seconds });
    } catch (err) {
      // Counting a run must never change how the run ends.
      this.o.logger.warn({ err, kind }, 'could not count a job run');
    }
  }

  /** Jobs running in this process now, per kind. */
  running(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { kind } of this.held.values()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    return counts;
  }

  /** Every lease in the database, counted per kind and holding node, live or not (one grouped query). */
  async holdings(): Promise<LeaseHolding[]> {
    const rows = await this.o.leases.countByOwner(this.staleAfterMs);
    const byKey = new Map<string, LeaseHolding>();
    for (const row of rows) {
      const node = nodeOfOwner(row.owner);
      const id = JSON.stringify([row.kind, node, row.live]);
      const entry = byKey.get(id) ?? { kind: row.kind, node, live: row.live, leases: 0 };
      entry.leases += row.leases;
      byKey.set(id, entry);
    }
    return [...byKey.values()];
  }

  /** Who works on which keys of `kind`. */
  async survey(kind: string): Promise<LeaseSurvey> {
    const rows = await this.o.leases.list(kind, this.staleAfterMs);
    const busy = new Set<string>();
    const abandoned: string[] = [];
    for (const row of rows) {
      const ours = row.owner === this.owner;
      if (ours ? this.held.has(row.key) : row.live) busy.add(row.key);
      else abandoned.push(row.key);
    }
    for (const key of this.held.keys()) if (key.startsWith(`${kind}:`)) busy.add(key);
    return { busy, abandoned };
  }

  /** Forget long-silent processes, then the leases nobody known holds (housekeeping). */
  async prune(): Promise<{ workers: number; leases: number }> {
    const workers = await this.o.workers.prune(FORGET_WORKERS_AFTER_MS);
    const leases = await this.o.leases.pruneOrphans();
    return { workers, leases };
  }

  /**
   * Stop heartbeating and give every lease back, so other processes take the work over at once. A job
   * still running here then fails to commit (its release finds the lease gone) and rolls back.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.held.clear();
    try {
      await this.o.leases.releaseAll(this.owner);
      await this.o.workers.remove(this.owner);
    } catch (err) {
      this.o.logger.warn({ err }, 'could not release job leases on shutdown; they are free within a minute');
    }
  }
}
