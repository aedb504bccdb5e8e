import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, writeHtpasswd } from './docker-registry.js';
import type { PrivateNetwork } from './netns.js';

/*
 * Protected registries inside a private network (netns.ts): Debian's `docker-registry` with htpasswd,
 * and a classic repository (basic-auth-file-server.ts), both on the namespace's LAN address, both
 * demanding Basic credentials, both logging every request with the address it came from, so a test
 * can tell who reached them.
 */

/** One request a private service received. */
export interface ServedRequest {
  /** The peer's address: an address inside the namespace, or the host's veth end if the host got in. */
  remote: string;
  method: string;
  path: string;
  status: number;
  userAgent: string;
}

export interface PrivateService {
  /** `http://<lan address>:<port>` */
  url: string;
  /** `<lan address>:<port>`, the form OCI references use. */
  host: string;
  /** Every request so far, oldest first. */
  requests(): ServedRequest[];
  /** What it wrote that is not a request line (errors), for assertion messages. */
  output(): string;
  /** Ends the process and removes its files. Safe twice. */
  stop(): Promise<void>;
}

const FILE_SERVER = fileURLToPath(new URL('./basic-auth-file-server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 15_000;

/** Debian's docker-registry inside `net` on its LAN address, with htpasswd users and an access log. */
export async function startPrivateDockerRegistry(
  net: PrivateNetwork,
  opts: { port: number; users: Record<string, string> },
): Promise<PrivateService> {
  const binary = await findBinary('docker-registry', ['/usr/bin/docker-registry']);
  const dir = await mkdtemp(join(tmpdir(), 'charthouse-private-registry-'));
  await writeHtpasswd(join(dir, 'htpasswd'), Object.entries(opts.users));
  const host = `${net.lanAddress}:${opts.port}`;
  // As test/support/docker-registry.ts's configuration, with the access log on (stdout, combined format).
  await writeFile(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: false',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(join(dir, 'storage'))}`,
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: ${host}`,
      '  secret: charthouse-test-secret',
      'health:',
      '  storagedriver:',
      '    enabled: false',
      'auth:',
      '  htpasswd:',
      '    realm: charthouse-private',
      `    path: ${JSON.stringify(join(dir, 'htpasswd'))}`,
      '',
    ].join('\n'),
  );
  // PATH only: a REGISTRY_* variable of the caller's would override config.yml keys.
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
  const child = net.spawn(binary, ['serve', join(dir, 'config.yml')], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(child, dir, `http://${host}`, host, parseAccessLog, /"GET \/v2\/ HTTP[^"]*" 401/, net);
}

/**
 * A classic repository inside `net` on its LAN address, serving the files of `folder` (`repo/index.yaml`,
 * `repo/charts/x.tgz`, …) to `user`:`password` only. The folder is the caller's and stays.
 */
export async function startPrivateChartRepo(
  net: PrivateNetwork,
  opts: { port: number; folder: string; user: string; password: string },
): Promise<PrivateService> {
  const child = net.spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      FILE_SERVER,
      net.lanAddress,
      String(opts.port),
      opts.folder,
      opts.user,
      opts.password,
    ],
    { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const host = `${net.lanAddress}:${opts.port}`;
  return watch(child, null, `http://${host}`, host, parseJsonLine, /"listening"/, net);
}

type LineParser = (line: string) => ServedRequest | null;

/** docker-registry's access log: `<remote> - - [date] "GET /v2/ HTTP/1.1" 401 87 "<referer>" "<agent>"`. */
const parseAccessLog: LineParser = (line) => {
  const m = /^(\S+) \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ "[^"]*" "([^"]*)"/.exec(line);
  if (!m) return null;
  return { remote: m[1]!, method: m[2]!, path: m[3]!, status: Number(m[4]), userAgent: m[5]! };
};

const parseJsonLine: LineParser = (line) => {
  try {
    const entry = JSON.parse(line) as Partial<ServedRequest> & { userAgent?: string | null };
    if (typeof entry.remote !== 'string' || typeof entry.path !== 'string') return null;
    return {
      remote: entry.remote,
      method: entry.method ?? '',
      path: entry.path,
      status: entry.status ?? 0,
      userAgent: entry.userAgent ?? '',
    };
  } catch {
    return null;
  }
};

/**
 * Collects a service's request lines and other output, and waits until it is ready: the file server
 * says so; docker-registry is asked from inside the namespace (the host cannot reach it) until its
 * access log shows the answer.
 */
async function watch(
  child: ChildProcess,
  dir: string | null,
  url: string,
  host: string,
  parse: LineParser,
  ready: RegExp,
  net: PrivateNetwork,
): Promise<PrivateService> {
  const requests: ServedRequest[] = [];
  const other: string[] = [];
  let isReady = false;
  let readyResolve: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));
  let partial = '';
  const onData = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!isReady && ready.test(line)) {
        isReady = true;
        readyResolve();
        if (line.includes('"listening"')) continue;
      }
      const request = parse(line);
      if (request) requests.push(request);
      else if (line.trim()) other.push(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', (chunk: Buffer) => other.push(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const service: PrivateService = {
    url,
    host,
    requests: () => [...requests],
    output: () => other.join('\n').slice(-20_000),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const probe = async (): Promise<void> => {
    // Only docker-registry needs asking: an unauthenticated GET /v2/ answers 401 once it listens.
    while (!isReady && dir !== null && Date.now() < deadline && child.exitCode === null) {
      await net.exec('curl', ['-s', '-o', '/dev/null', '--max-time', '1', `${url}/v2/`]);
      await Promise.race([readyPromise, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
  };
  void probe();
  const timeout = new Promise<'timeout'>((resolve) =>
    setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS).unref(),
  );
  const outcome = await Promise.race([
    readyPromise.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    timeout,
  ]);
  if (outcome !== 'ready') {
    await service.stop();
    throw new Error(`${url} did not start (${outcome}):\n${service.output()}`);
  }
  return service;
}
