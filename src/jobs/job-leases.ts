import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { JobLeaseRepository } from './job-lease.repository.js';
import type { JobWorkerRepository, WorkerIdentity } from './job-worker.repository.js';
import type { Db } from '../storage/transaction.js';

/** A job's lease as held by this process. `token` tells this holding apart from a later one of the same key. */
export interface Lease {
  readonly key: string;
  readonly owner: string;
  readonly token: symbol;
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
  readonly owner: string;
  private readonly identity: WorkerIdentity;
  private readonly held = new Map<string, symbol>();
  /** Keys an acquire of this process is taking right now: a second one at once simply loses. */
  private readonly taking = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstBeat: Promise<void> | undefined;

  constructor(private readonly o: JobLeasesOptions) {
    // Random, not time-based: containers often share a hostname and all run as pid 1.
    this.owner = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
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
    if (this.taking.has(key)) return null;
    this.taking.add(key);
    try {
      await this.start();
      const running = this.held.has(key);
      const taken = await this.o.leases.take(key, kind, this.owner, this.staleAfterMs, {
        force: (options.force ?? false) && !running,
        reclaimOwn: !running,
      });
      if (!taken) return null;
      const lease: Lease = { key, owner: this.owner, token: Symbol(key) };
      this.held.set(key, lease.token);
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

  /** The job is over, its lease released with its result or not: stop counting it as running here. */
  finished(lease: Lease): void {
    if (this.held.get(lease.key) === lease.token) this.held.delete(lease.key);
  }

  /** Free a lease outside any transaction (the job failed before it had anything to record). Never rejects. */
  async abandon(lease: Lease): Promise<void> {
    // Delete first, forget after: while the delete runs the key still counts as running here, so a new
    // lease of the same key (same owner) cannot be taken and then deleted by this release.
    await this.o.leases.release(lease.key, lease.owner).catch((err: unknown) => {
      this.o.logger.warn({ err, key: lease.key }, 'could not release a job lease; it is free once noticed');
    });
    this.finished(lease);
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
