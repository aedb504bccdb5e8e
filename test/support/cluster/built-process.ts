/**
 * The built server (`node dist/cli/main.js serve`, what `npm start` runs) as a process of its own:
 * production code paths (no tsx), its own memory, and signals that reach it as they would in
 * production. The benchmarks and the cluster tests start it through here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUILT_MAIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BuiltProcess {
  child: ChildProcess;
  pid: number;
  /** Every line it wrote to stdout (its JSON log), as written; grows while it runs. */
  logLines: string[];
  /** Its stderr so far (where an uncaught error's stack goes). */
  stderr(): string;
  /** Settles when it has exited. */
  exit: Promise<ProcessExit>;
  /** Null while it runs. */
  exited(): ProcessExit | null;
}

export interface SpawnOptions {
  /** Options for Node itself (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Called with each stdout line as it arrives. */
  onLine?: (line: string) => void;
}

/**
 * Node's options for a server, as `npm start` (package.json) gives them: tests and benchmarks run the
 * server as operators do. Why the flag: README "Run it".
 */
export const SERVE_NODE_ARGS = ['--max-semi-space-size=8'];

/** Spawns `serve` with exactly `env` (plus PATH). */
export function spawnBuilt(env: Record<string, string>, options: SpawnOptions = {}): BuiltProcess {
  if (!existsSync(BUILT_MAIN)) throw new Error('dist/ is missing: run `npm run build` first.');
  const args = [...SERVE_NODE_ARGS, ...(options.nodeArgs ?? []), BUILT_MAIN, 'serve'];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLines: string[] = [];
  let stderr = '';
  let pending = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // A chunk may end mid-line: keep the tail for the next one.
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      logLines.push(line);
      options.onLine?.(line);
    }
  });
  let result: ProcessExit | null = null;
  const exit = new Promise<ProcessExit>((resolve) =>
    child.once('exit', (code, signal) => {
      result = { code, signal };
      resolve(result);
    }),
  );
  if (child.pid === undefined) throw new Error(`could not start ${process.execPath}`);
  return { child, pid: child.pid, logLines, stderr: () => stderr, exit, exited: () => result };
}

/** Resolves when `url`/readyz answers 200 (migrated, listening); rejects if the process exits first. */
export async function waitReady(url: string, proc: BuiltProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = proc.exited();
    if (gone !== null) {
      throw new Error(
        `the server exited (${gone.code ?? gone.signal}) before it was ready: ${proc.stderr().slice(0, 2000)}` +
          `\n${proc.logLines.slice(-20).join('\n')}`,
      );
    }
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      async (res) => {
        await res.body?.cancel();
        return res.ok;
      },
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`the server at ${url} was not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
