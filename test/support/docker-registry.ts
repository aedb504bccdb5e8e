import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const execFileAsync = promisify(execFile);

export interface DockerRegistryOptions {
  /** username -> password; when given the registry demands HTTP Basic auth (htpasswd, bcrypt). */
  users?: Record<string, string>;
}

export interface DockerRegistry {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, the form OCI references and skopeo use */
  host: string;
  /** What the registry printed so far (errors only), for assertion messages. */
  output(): string;
  /** Kills the registry and deletes its storage. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

/**
 * Starts Debian's `docker-registry` (distribution 2.8) on a free loopback port with filesystem storage
 * in a temp dir, deletes enabled, and htpasswd auth when users are given.
 */
export async function startDockerRegistry(opts: DockerRegistryOptions = {}): Promise<DockerRegistry> {
  const binary = await findBinary('docker-registry', ['/usr/bin/docker-registry']);
  const dir = await mkdtemp(join(tmpdir(), 'charthouse-registry-'));
  try {
    const users = Object.entries(opts.users ?? {});
    if (users.length > 0) await writeHtpasswd(join(dir, 'htpasswd'), users);
    let lastError: Error | undefined;
    // The port can be taken between freePort() and the registry's bind; try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      await writeFile(join(dir, 'config.yml'), configYaml(dir, port, users.length > 0));
      try {
        return await launch(binary, dir, port);
      } catch (err) {
        lastError = err as Error;
        if (!/address already in use/i.test(lastError.message)) break;
      }
    }
    throw lastError ?? new Error('docker-registry did not start');
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/*
 * Keys checked against distribution 2.8 (configuration/configuration.go). Quirks:
 * - `log.level` takes error|warn|info|debug; access logs are separate (`log.accesslog.disabled`).
 * - htpasswd accepts bcrypt entries only (`htpasswd -B`); a missing file would be created with a
 *   random `docker` user, so the file is always written before start.
 * - the storage health check and upload purging start background goroutines that log and touch the
 *   disk; both are switched off.
 * - without `http.secret` every start logs a warning about a random secret.
 * - unknown keys are ignored silently, so a typo here only shows as a behaviour change.
 */
function configYaml(dir: string, port: number, withAuth: boolean): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(join(dir, 'storage'))}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: charthouse-test-secret',
    'health:',
    '  storagedriver:',
    '    enabled: false',
  ];
  if (withAuth) {
    lines.push(
      'auth:',
      '  htpasswd:',
      '    realm: charthouse-test',
      `    path: ${JSON.stringify(join(dir, 'htpasswd'))}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** An htpasswd file of bcrypt entries (the only kind distribution accepts). */
export async function writeHtpasswd(path: string, users: [string, string][]): Promise<void> {
  const htpasswd = await findBinary('htpasswd', ['/usr/bin/htpasswd'], 'apache2-utils');
  const entries: string[] = [];
  for (const [user, password] of users) {
    // -C 4: the lowest bcrypt cost, so every authenticated request is not a 100 ms hash.
    const { stdout } = await execFileAsync(htpasswd, ['-nbB', '-C', '4', user, password]);
    entries.push(stdout.trim());
  }
  await writeFile(path, entries.join('\n') + '\n', { mode: 0o600 });
}

async function launch(binary: string, dir: string, port: number): Promise<DockerRegistry> {
  // REGISTRY_* variables override config.yml keys (distribution's env overlay); a stray one in the
  // caller's environment must not change the test registry.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('REGISTRY_')));
  // Output goes to a file, not a pipe: an open pipe would keep a test process alive whose test
  // forgot stop(); with unref() and the exit hook below such a process still ends, and so does the registry.
  const logPath = join(dir, 'registry.log');
  const logFd = openSync(logPath, 'w');
  let child: ChildProcess;
  try {
    child = spawn(binary, ['serve', join(dir, 'config.yml')], {
      cwd: dir,
      env,
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  const output = (): string => {
    try {
      return readFileSync(logPath, 'utf8').slice(-20_000);
    } catch {
      return '';
    }
  };
  const onExit = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    await kill(child, exited);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await Promise.race([
      waitUntilAnswering(`${url}/v2/`, () => child.exitCode !== null || child.signalCode !== null),
      spawnError,
    ]);
  } catch (err) {
    process.removeListener('exit', onExit);
    await kill(child, exited);
    throw new Error(`docker-registry did not start on ${url}: ${(err as Error).message}\n${output()}`, {
      cause: err,
    });
  }
  return { url, host: `127.0.0.1:${port}`, output, stop };
}

async function waitUntilAnswering(url: string, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (hasExited()) throw new Error('the process exited');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url} within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function findBinary(name: string, candidates: string[], debianPackage = name): Promise<string> {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const path of [...candidates, ...dirs.map((d) => join(d, name))]) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `${name} not found: run \`npm run test:all\` (it installs it) or \`apt-get install ${debianPackage}\``,
  );
}
