/**
 * CPU time of the servers under load, read from /proc: on a shared 2-core machine the request rate
 * moves with whatever else runs, while the CPU a server spends per request barely does. The processes
 * are found by the TCP port they listen on (the listening socket's inode in /proc/net/tcp, then the
 * processes holding it), which works for any server without its pid: nginx's master and workers,
 * docker-registry, the built Charthouse.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** The processes holding the socket that listens on 127.0.0.1:`port` (or any address). */
export function listeningPids(port: number): number[] {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== '0A') continue; // 0A: LISTEN
      if (Number.parseInt(local.split(':')[1] ?? '', 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode !== undefined && inodes.has(inode)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

/** User + system CPU seconds the processes used so far (all their threads); gone processes count 0. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch {
      // exited
    }
  }
  return ticks / CLOCK_TICKS;
}

/** The CPU seconds the processes listening on `port` spend while `work` runs. */
export async function withCpu<T>(port: number, work: () => Promise<T>): Promise<{ result: T; cpu: number }> {
  const pids = listeningPids(port);
  if (pids.length === 0) throw new Error(`no process listens on port ${port}`);
  const before = cpuSeconds(pids);
  const result = await work();
  return { result, cpu: cpuSeconds(pids) - before };
}

/** CPU seconds of each process, by pid (gone processes left out). */
export function cpuByPid(pids: number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, cpuSeconds([pid])] as const).filter(([, cpu]) => cpu > 0));
}

/**
 * The CPU seconds a changing set of processes spends while `work` runs: those listed before and after
 * (a PostgreSQL server's backends for one database, which its pool may open and close meanwhile). A
 * process that started meanwhile counts whole; one that ended meanwhile counts nothing (so the figure
 * is a lower bound).
 */
export async function withCpuOf<T>(
  pids: () => Promise<number[]>,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: number }> {
  const before = cpuByPid(await pids());
  const result = await work();
  let cpu = 0;
  for (const [pid, now] of cpuByPid(await pids())) cpu += now - (before.get(pid) ?? 0);
  return { result, cpu };
}
