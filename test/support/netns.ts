import { existsSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { ToolRun } from './skopeo.js';

/*
 * A private network for real (issue 14): a Linux network namespace made by the test, joined to the
 * test's own namespace (where the Charthouse server runs) by one veth pair.
 *
 *   root namespace: the test, the server              private namespace chpriv-<pid>-<K>
 *   chp<K>  10.213.K.1/30  <──────── veth ────────>  veth0  10.213.K.2/30
 *   unreachable 10.213.K.128/25                       lo     127.0.0.1, 10.213.K.130/32 (the LAN's services)
 *
 * - The private namespace has no default route: it reaches the host's end of the veth and nothing
 *   else, like a network whose only way out is the server's address.
 * - The LAN's services listen on 10.213.K.130, an address on the private namespace's loopback. The host
 *   has no route to it; the `unreachable` route says so explicitly, so that a connection attempt from
 *   the host fails at once (EHOSTUNREACH) instead of leaving by the host's default route towards another
 *   machine. No packet of these tests ever leaves the namespaces they make.
 * - K is claimed by creating the host link `chp<K>`: link names are unique, so two test processes
 *   (the SQLite and PostgreSQL suites run side by side) never share a subnet.
 * - Everything is removed by close(), and by an exit hook when a test process ends without it. A test
 *   process killed outright (SIGKILL) takes the processes it started inside with it (a parent-death
 *   signal), and the next run removes its namespace, link and route.
 */

export interface PrivateNetwork {
  /** The namespace's name, `chpriv-<pid>-<K>`. */
  name: string;
  /** The host's end of the veth (root namespace): where the server listens for the agent. */
  hostAddress: string;
  /** The private namespace's end of the veth. */
  vethAddress: string;
  /** The private LAN's service address, inside the namespace only; the host has no route to it. */
  lanAddress: string;
  /** Runs a command inside the namespace to its end (never rejects on a non-zero exit). */
  exec(
    command: string,
    args: string[],
    opts?: { env?: Record<string, string>; timeoutMs?: number; cwd?: string },
  ): Promise<ToolRun>;
  /** Starts a long-running process inside the namespace; close() ends it if the caller did not. */
  spawn(command: string, args: string[], opts?: SpawnOptions): ChildProcess;
  /** Ends the processes spawned in it, removes the namespace, its veth pair and the host route. Safe twice. */
  close(): Promise<void>;
}

const IP = 'ip';
/** util-linux's setpriv (Debian: always installed), for a parent-death signal; without it the exit hook must do. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));
const NAME_PREFIX = 'chpriv-';
const SUBNET = (k: number) => `10.213.${k}`;

/**
 * Why private networks cannot be made here, or null when they can: root, iproute2's `ip`, and a
 * namespace with a veth pair actually made and removed (a container without CAP_NET_ADMIN fails there).
 */
export async function privateNetworkUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `network namespaces are Linux only (this is ${process.platform})`;
  const uid = process.getuid?.();
  if (uid !== 0) return `network namespaces need root (running as uid ${uid ?? '?'})`;
  const probe = `chprobe-${process.pid}`;
  let added: ToolRun;
  try {
    added = await run(IP, ['netns', 'add', probe], { env: ipEnv() });
  } catch (err) {
    return `iproute2's \`ip\` cannot run (${(err as Error).message}); apt-get install iproute2`;
  }
  if (added.code !== 0) return `\`ip netns add\` failed: ${added.stderr.trim()}`;
  try {
    const veth = await run(
      IP,
      [
        'link',
        'add',
        `chprb${process.pid % 100000}`,
        'type',
        'veth',
        'peer',
        'name',
        'veth0',
        'netns',
        probe,
      ],
      { env: ipEnv() },
    );
    if (veth.code !== 0) return `a veth pair cannot be made: ${veth.stderr.trim()}`;
    return null;
  } finally {
    // Deleting the namespace deletes the veth's peer inside it, and with it the pair.
    await run(IP, ['netns', 'del', probe], { env: ipEnv() });
  }
}

/** Makes a private namespace joined to this one by a veth pair (see the picture at the top). */
export async function createPrivateNetwork(): Promise<PrivateNetwork> {
  await removeStaleNetworks();
  const start = (process.pid % 250) + 1;
  for (let i = 0; i < 250; i++) {
    const k = ((start + i) % 250) + 1;
    if (await subnetInUse(k)) continue;
    const name = `${NAME_PREFIX}${process.pid}-${k}`;
    await ip(['netns', 'add', name]);
    const claimed = await run(
      IP,
      ['link', 'add', hostLink(k), 'type', 'veth', 'peer', 'name', 'veth0', 'netns', name],
      { env: ipEnv() },
    );
    if (claimed.code !== 0) {
      await run(IP, ['netns', 'del', name], { env: ipEnv() });
      // Another process took this K between the check and the claim; anything else is a real failure.
      if (/exists/i.test(claimed.stderr)) continue;
      throw new Error(`ip link add ${hostLink(k)}: ${claimed.stderr.trim()}`);
    }
    const net = networkFor(name, k);
    try {
      await configure(name, k);
    } catch (err) {
      await net.close();
      throw err;
    }
    return net;
  }
  throw new Error('no free 10.213.K.0/24 subnet for a private network');
}

function networkFor(name: string, k: number): PrivateNetwork {
  const children = new Set<ChildProcess>();
  const onExit = (): void => {
    for (const child of children) child.kill('SIGKILL');
    removeSync(name, k);
  };
  process.once('exit', onExit);
  let closed = false;
  const inNs = (command: string, args: string[]) => ['netns', 'exec', name, command, ...args];
  return {
    name,
    hostAddress: `${SUBNET(k)}.1`,
    vethAddress: `${SUBNET(k)}.2`,
    lanAddress: `${SUBNET(k)}.130`,
    exec: (command, args, opts = {}) =>
      run(IP, inNs(command, args), {
        env: { ...ipEnv(), ...opts.env },
        timeoutMs: opts.timeoutMs ?? 60_000,
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      }),
    spawn(command, args, opts = {}) {
      // `ip netns exec` execs the command after entering the namespace, and setpriv execs it in turn:
      // the child's pid is the command's, and it is killed when this process dies, even by SIGKILL.
      const argv = SETPRIV
        ? inNs(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args])
        : inNs(command, args);
      const child = spawn(IP, argv, { env: ipEnv(), ...opts });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async close() {
      if (closed) return;
      closed = true;
      process.removeListener('exit', onExit);
      await Promise.all([...children].map(stopChild));
      await removeNetwork(name, k);
    },
  };
}

async function configure(name: string, k: number): Promise<void> {
  const inNs = (args: string[]) => ip(['-n', name, ...args]);
  await inNs(['link', 'set', 'lo', 'up']);
  await inNs(['addr', 'add', `${SUBNET(k)}.130/32`, 'dev', 'lo']);
  await inNs(['addr', 'add', `${SUBNET(k)}.2/30`, 'dev', 'veth0']);
  await inNs(['link', 'set', 'veth0', 'up']);
  await ip(['addr', 'add', `${SUBNET(k)}.1/30`, 'dev', hostLink(k)]);
  await ip(['link', 'set', hostLink(k), 'up']);
  await ip(['route', 'add', 'unreachable', `${SUBNET(k)}.128/25`]);
}

const hostLink = (k: number): string => `chp${k}`;

/** Taken when any address or route of this host (or of a namespace made here before) lies in 10.213.K.0/24. */
async function subnetInUse(k: number): Promise<boolean> {
  const routes = await ip(['-o', '-4', 'route', 'list', 'table', 'all', 'root', `${SUBNET(k)}.0/24`]);
  const addrs = await ip(['-o', '-4', 'addr', 'show', 'to', `${SUBNET(k)}.0/24`]);
  return routes.trim() !== '' || addrs.trim() !== '';
}

async function removeNetwork(name: string, k: number): Promise<void> {
  // Each step on its own: a half-made network (configure() failed midway) is removed as far as it exists.
  await run(IP, ['route', 'del', 'unreachable', `${SUBNET(k)}.128/25`], { env: ipEnv() });
  await run(IP, ['netns', 'del', name], { env: ipEnv() });
  // Gone with the namespace unless a process still holds the namespace open.
  await run(IP, ['link', 'del', hostLink(k)], { env: ipEnv() });
}

function removeSync(name: string, k: number): void {
  for (const args of [
    ['route', 'del', 'unreachable', `${SUBNET(k)}.128/25`],
    ['netns', 'del', name],
    ['link', 'del', hostLink(k)],
  ]) {
    try {
      execFileSync(IP, args, { stdio: 'ignore', env: ipEnv() });
    } catch {
      // already gone
    }
  }
}

/** Namespaces of test processes that died without cleaning up (SIGKILL): their pid is no longer alive. */
async function removeStaleNetworks(): Promise<void> {
  const list = await ip(['netns', 'list']);
  for (const line of list.split('\n')) {
    const match = new RegExp(`^${NAME_PREFIX}(\\d+)-(\\d+)\\b`).exec(line);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await removeNetwork(`${NAME_PREFIX}${pid}-${match[2]}`, Number(match[2]));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function ip(args: string[]): Promise<string> {
  const done = await run(IP, args, { env: ipEnv() });
  if (done.code !== 0) throw new Error(`ip ${args.join(' ')} exited ${done.code}: ${done.stderr.trim()}`);
  return done.stdout;
}

/**
 * Runs a command to its end with stdin closed (never rejects on a non-zero exit; a timeout kills it and
 * answers code -1). skopeo.ts's runTool writes an empty stdin, which races a fast `ip` into EPIPE.
 */
function run(
  command: string,
  args: string[],
  opts: { env: Record<string, string>; timeoutMs?: number; cwd?: string },
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? -1 : (code ?? -1),
        stdout,
        stderr: stderr + (timedOut ? '\n(killed: timeout)' : ''),
      });
    });
  });
}

/** PATH with the sbin folders (where Debian puts `ip`), locale, no proxy settings. */
function ipEnv(): Record<string, string> {
  const path = process.env['PATH'] ?? '/usr/bin:/bin';
  return { PATH: `${path}:/usr/sbin:/sbin`, LANG: 'C.UTF-8' };
}
