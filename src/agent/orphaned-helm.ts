import { readdir, readFile } from 'node:fs/promises';
import { helmEnvironment } from './helm-runner.js';

/*
 * An agent killed mid-install (SIGKILL, OOM, a node drained) leaves its helm child running: nothing
 * kills a child with its parent on Linux. That helm may be stuck on a request the cluster never
 * answers, or may wake up later and write the release after the next run has recovered it. So a run
 * first ends every helm still running with this agent's work folder (one agent per work folder), then
 * recovers what it left behind (release-state.ts).
 *
 * A process is ours when its environment names our HELM_CONFIG_HOME: every helm the agent starts gets
 * it (helm-runner.ts), and no other process has it, whatever its binary or command line. Found through
 * /proc (Linux, where the agent runs); without /proc there is nothing to find. A zombie has no
 * environment left, so it is never waited on.
 */

const TERM_GRACE_MS = 10_000;
const KILL_GRACE_MS = 5_000;
const POLL_MS = 50;

/** Ends the helm processes of an earlier run with this state folder; resolves with their pids. */
export async function endOrphanedHelms(stateDir: string): Promise<number[]> {
  const orphans = await findOwnHelms(stateDir);
  await Promise.all(orphans.map((pid) => end(pid, stateDir)));
  return orphans;
}

async function findOwnHelms(stateDir: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number);
  const ours = await Promise.all(pids.map(async (pid) => ((await isOurs(pid, stateDir)) ? pid : 0)));
  return ours.filter((pid) => pid !== 0 && pid !== process.pid);
}

async function isOurs(pid: number, stateDir: string): Promise<boolean> {
  const marker = `HELM_CONFIG_HOME=${helmEnvironment(stateDir)['HELM_CONFIG_HOME']}`;
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').includes(marker);
  } catch {
    // Gone, or another user's process.
    return false;
  }
}

async function end(pid: number, stateDir: string): Promise<void> {
  for (const [signal, graceMs] of [
    ['SIGTERM', TERM_GRACE_MS],
    ['SIGKILL', KILL_GRACE_MS],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    // SIGTERM first: helm cancels and marks the release failed, which the next upgrade takes as is.
    const until = Date.now() + graceMs;
    while (Date.now() < until) {
      if (!(await isOurs(pid, stateDir))) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
