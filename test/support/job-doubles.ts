import type { DueJob, JobKind } from '../../src/jobs/job-kind.js';
import { JobWorkerRepository, type WorkerIdentity } from '../../src/jobs/job-worker.repository.js';

/** A promise with its resolve exposed: a fake job that ends when the test says so. */
export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Heartbeats that can be cut off, as a process killed with SIGKILL stops beating: after `kill()` every
 * beat is silently dropped (the JobLeases timer keeps firing, but nothing reaches the database), and
 * nothing is released or removed.
 */
export class KillableWorkers extends JobWorkerRepository {
  private killed = false;
  /** When the last beat that reached the database was written. */
  lastBeatAt: number | undefined;

  kill(): void {
    this.killed = true;
  }

  /** Beats take this long to reach the database (a slow or distant database). */
  beatDelayMs = 0;

  override async beat(worker: WorkerIdentity): Promise<boolean> {
    if (this.killed) return false;
    if (this.beatDelayMs > 0) await sleep(this.beatDelayMs);
    const sent = Date.now();
    const written = await super.beat(worker);
    if (written) this.lastBeatAt = sent;
    return written;
  }

  override async remove(id: string): Promise<void> {
    if (this.killed) return;
    await super.remove(id);
  }
}

/**
 * A JobKind for scheduler tests: `keys()` says what is due on each look; each job runs until the test
 * calls `finish(key)`. Counts how many of its jobs ran at once, at most.
 */
export class FakeKind implements JobKind {
  readonly started: string[] = [];
  readonly finished: string[] = [];
  dueCalls = 0;
  running = 0;
  maxRunning = 0;
  private readonly gates = new Map<string, Deferred>();

  constructor(
    readonly name: string,
    readonly concurrency: number,
    private readonly keys: (limit: number) => string[],
    private readonly failDue: () => boolean = () => false,
  ) {}

  async due(_now: Date, limit: number): Promise<DueJob[]> {
    this.dueCalls++;
    if (this.failDue()) throw new Error(`${this.name}: the database is away`);
    return this.keys(limit).map((id) => {
      const key = `${this.name}:${id}`;
      return { key, run: () => this.run(key) };
    });
  }

  private gate(key: string): Deferred {
    let g = this.gates.get(key);
    if (!g) {
      g = deferred();
      this.gates.set(key, g);
    }
    return g;
  }

  private async run(key: string): Promise<void> {
    this.started.push(key);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await this.gate(key).promise;
    } finally {
      this.running--;
      this.finished.push(key);
      this.gates.delete(key);
    }
  }

  /** Let the running job `key` (`<name>:<id>`) end. */
  finish(key: string): void {
    this.gate(key).resolve();
  }

  finishAll(): void {
    for (const g of this.gates.values()) g.resolve();
  }
}

/**
 * Build something as if in another process: `process.pid` reads `pid` while `make` runs. JobLeases names
 * its owner after host and pid, so this is how one test process stands in for several server processes.
 */
export function asProcess<T>(pid: number, make: () => T): T {
  const real = Object.getOwnPropertyDescriptor(process, 'pid')!;
  Object.defineProperty(process, 'pid', { ...real, value: pid });
  try {
    return make();
  } finally {
    Object.defineProperty(process, 'pid', real);
  }
}
