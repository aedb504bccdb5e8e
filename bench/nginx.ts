/**
 * Debian's nginx serving a folder of static files on a free loopback port, unprivileged, for
 * side-by-side benchmarks. `.gz` siblings are served to clients that accept gzip (gzip_static), so
 * nginx never compresses on the fly.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startNginxProcess } from '../test/support/cluster/nginx-process.js';

export interface Nginx {
  url: string;
  port: number;
  /** The served folder: write files here. */
  root: string;
  stop(): Promise<void>;
}

export async function startNginx(): Promise<Nginx> {
  let root = '';
  const nginx = await startNginxProcess({
    prepare: async (dir) => {
      root = join(dir, 'root');
      await mkdir(root, { mode: 0o755 });
    },
    http: (_dir, port) => `  types { application/x-yaml yaml; }
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
  }`,
  });
  return { url: nginx.url, port: nginx.port, root, stop: () => nginx.stop() };
}
