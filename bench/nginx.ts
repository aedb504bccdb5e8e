/**
 * Debian's nginx serving a folder of static files on a free loopback port, unprivileged (pid file,
 * logs and temp paths in a temp dir), for side-by-side benchmarks. `.gz` siblings are served to
 * clients that accept gzip (gzip_static), so nginx never compresses on the fly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/free-port.js';

const NGINX = '/usr/sbin/nginx';

export interface Nginx {
  url: string;
  port: number;
  /** The served folder: write files here. */
  root: string;
  stop(): Promise<void>;
}

export async function startNginx(): Promise<Nginx> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} not found: apt-get install nginx-light`);
  const dir = await mkdtemp(join(tmpdir(), 'charthouse-nginx-'));
  const root = join(dir, 'root');
  await mkdir(root, { mode: 0o755 });
  // Run as root, nginx's workers switch to `nobody`: they must be able to read the files.
  await chmod(dir, 0o755);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, config(dir, root, port));
    const child = spawn(NGINX, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const url = `http://127.0.0.1:${port}`;
    if (await answers(url, child)) {
      return {
        url,
        port,
        root,
        async stop() {
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    const log = readLog(join(dir, 'error.log')) + stderr;
    if (attempt >= 2 || !/address already in use/i.test(log)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start on ${url}: ${log.slice(-2000)}`);
    }
  }
}

function config(dir: string, root: string, port: number): string {
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
  types { application/x-yaml yaml; }
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  gzip off;
  gzip_static on;
  gzip_vary on;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
}

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
