/**
 * Debian's nginx run unprivileged in a temp folder of its own (pid file, error log and every temp
 * path there), on a free loopback port, in the foreground: the static-file benchmarks and the cluster
 * tests' load balancer both start it this way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';

const NGINX = '/usr/sbin/nginx';

export interface NginxProcess {
  url: string;
  port: number;
  /** nginx's own folder (configuration, logs, temp files); removed by stop(). */
  dir: string;
  /** The error log so far (for failure messages). */
  errorLog(): string;
  stop(): Promise<void>;
}

export interface NginxProcessOptions {
  /** Fills the folder before nginx starts (files to serve, included snippets). */
  prepare?: (dir: string) => Promise<void>;
  /** The `http { ... }` block's contents, listening on `port`; {@link tempPaths} is prepended. */
  http: (dir: string, port: number) => string;
}

export async function startNginxProcess(options: NginxProcessOptions): Promise<NginxProcess> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} not found: apt-get install nginx-light`);
  const dir = await mkdtemp(join(tmpdir(), 'charthouse-nginx-'));
  // Run as root, nginx's workers switch to `nobody`: they must be able to read the folder.
  await chmod(dir, 0o755);
  try {
    await options.prepare?.(dir);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const errorLog = join(dir, 'error.log');
  // freePort's port may be taken before nginx binds it: a few tries.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, mainConfig(dir, options.http(dir, port)));
    const child = spawn(NGINX, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const url = `http://127.0.0.1:${port}`;
    if (await answers(url, child)) {
      return {
        url,
        port,
        dir,
        errorLog: () => readLog(errorLog),
        async stop() {
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    const log = readLog(errorLog) + stderr;
    if (attempt >= 2 || !/address already in use/i.test(log)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start on ${url}: ${log.slice(-2000)}`);
    }
  }
}

function mainConfig(dir: string, http: string): string {
  return `daemon off;
worker_processes 2;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
${http}
}
`;
}

/** nginx listens when it answers anything at all (a 502 from an empty upstream included). */
async function answers(url: string, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) return false;
    const ok = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) }).then(
      async (res) => {
        await res.body?.cancel();
        return true;
      },
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM'); // fast shutdown: the master stops its workers first
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
