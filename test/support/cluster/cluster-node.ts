/**
 * One server of a test cluster: a built `charthouse serve` process with its own port and data folder,
 * which the test may signal, kill and start again on the same port (the load balancer's
 * configuration names it).
 */
import { spawnBuilt, waitReady, type BuiltProcess, type ProcessExit } from './built-process.js';

export interface ClusterNodeOptions {
  index: number;
  port: number;
  dataDir: string;
  /** The environment of each start, asked again on every restart (so it may change between them). */
  env: () => Record<string, string>;
  nodeArgs?: string[];
}

export class ClusterNode {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** The JSON log lines of every start so far, oldest first (a restart appends). */
  readonly logLines: string[] = [];
  private proc: BuiltProcess | null = null;

  constructor(private readonly o: ClusterNodeOptions) {
    this.index = o.index;
    this.port = o.port;
    this.dataDir = o.dataDir;
    this.url = `http://127.0.0.1:${o.port}`;
  }

  /** The running process's id (throws when none runs). */
  get pid(): number {
    return this.current().pid;
  }

  /** Whether a process of this node runs now. */
  get running(): boolean {
    return this.proc !== null && this.proc.exited() === null;
  }

  /** Spawns the server; resolves when its /readyz answers 200. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`node ${this.index} runs already`);
    const proc = spawnBuilt(this.o.env(), {
      ...(this.o.nodeArgs ? { nodeArgs: this.o.nodeArgs } : {}),
      onLine: (line) => this.logLines.push(line),
    });
    this.proc = proc;
    await waitReady(this.url, proc);
  }

  /** Sends a signal (SIGTERM: a graceful drain) without waiting. */
  signal(sig: NodeJS.Signals): void {
    this.current().child.kill(sig);
  }

  /** SIGKILL: the process ends at once, mid-request. Resolves when it is gone. */
  async kill9(): Promise<ProcessExit> {
    const proc = this.current();
    proc.child.kill('SIGKILL');
    return proc.exit;
  }

  /** Resolves with the current process's exit (at once if it has exited). */
  waitExit(): Promise<ProcessExit> {
    return this.current().exit;
  }

  /** SIGTERM and wait for the exit if running, then start again on the same port. */
  async restart(): Promise<ProcessExit | null> {
    let exit: ProcessExit | null = null;
    if (this.running) {
      this.signal('SIGTERM');
      exit = await this.waitExit();
    }
    await this.start();
    return exit;
  }

  /**
   * The log lines parsed (lines that are not JSON, such as the admin password banner, are left out),
   * from line `from` of `logLines` on (its length before a start marks that start's first line).
   */
  logs(from = 0): Record<string, unknown>[] {
    const parsed: Record<string, unknown>[] = [];
    for (const line of this.logLines.slice(from)) {
      try {
        const value: unknown = JSON.parse(line);
        if (value !== null && typeof value === 'object') parsed.push(value as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    return parsed;
  }

  /** Its stderr (current start), for failure messages. */
  stderr(): string {
    return this.proc?.stderr() ?? '';
  }

  /** Stops it for good: SIGTERM, then SIGKILL after `graceMs`. Safe when it is not running. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    const proc = this.current();
    proc.child.kill('SIGTERM');
    const killer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
    await proc.exit;
    clearTimeout(killer);
  }

  private current(): BuiltProcess {
    if (this.proc === null) throw new Error(`node ${this.index} was never started`);
    return this.proc;
  }
}
