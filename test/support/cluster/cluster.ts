/**
 * A Charthouse cluster on loopback: N built servers sharing one PostgreSQL database (each with its own
 * data folder and port) behind Debian's nginx, configured by docs/scale-out/nginx.conf. Clients talk
 * to `url` (nginx); a test reaches one server directly through `nodes[i].url`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { createTestDatabase, type TestDatabase } from '../postgres.js';
import { ADMIN, apiClient, type TestServer } from '../server.js';
import { ClusterNode } from './cluster-node.js';
import { startLoadBalancer } from './load-balancer.js';
import type { NginxProcess } from './nginx-process.js';

export interface ClusterOptions {
  /** How many servers (3). */
  nodes?: number;
  /** Settings for every server, over the harness's defaults. */
  env?: Record<string, string>;
  /**
   * Settings for one server, over `env`; asked on every start, so a restart may change them (e.g.
   * NODE_OPTIONS, a CHARTHOUSE_DATABASE_URL through a TCP proxy, CHARTHOUSE_JOBS_HEARTBEAT_SECONDS).
   */
  nodeEnv?: (index: number) => Record<string, string>;
  /** Node options per server (e.g. --cpu-prof). */
  nodeArgs?: (index: number) => string[];
  /** A database of the caller's (left in place on close); a fresh one by default (dropped on close). */
  databaseUrl?: string;
}

export interface Cluster {
  /** nginx's URL: the URL every server is told is its public one (CHARTHOUSE_PUBLIC_URL). */
  url: string;
  nodes: ClusterNode[];
  balancer: NginxProcess;
  databaseUrl: string;
  /** The key every server shares (CHARTHOUSE_SECRET_KEY): tokens and sealed secrets work on all. */
  secretKey: string;
  /** A session token of the bootstrap system administrator. */
  adminToken: string;
  /** JSON calls through nginx (the admin's token by default). */
  api: TestServer['api'];
  /** Stops every server (SIGTERM, SIGKILL after 15 s) and nginx, drops a database it created. */
  close(): Promise<void>;
}

/** Starts the servers all at once (as after a deploy) and resolves when every one is ready. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  let db: TestDatabase | undefined;
  const databaseUrl = options.databaseUrl ?? (db = await createTestDatabase()).url;
  const secretKey = randomBytes(32).toString('base64');
  const ports: number[] = [];
  const dataDirs: string[] = [];
  for (let i = 0; i < count; i++) {
    ports.push(await freePort());
    dataDirs.push(await mkdtemp(join(tmpdir(), `charthouse-node${i}-`)));
  }
  // First, so the servers can be told its URL; it answers 502 until they are up.
  const balancer = await startLoadBalancer(ports);
  const nodes = ports.map(
    (port, index) =>
      new ClusterNode({
        index,
        port,
        dataDir: dataDirs[index]!,
        ...(options.nodeArgs ? { nodeArgs: options.nodeArgs(index) } : {}),
        env: () => ({
          CHARTHOUSE_HOST: '127.0.0.1',
          CHARTHOUSE_PORT: String(port),
          CHARTHOUSE_DATA_DIR: dataDirs[index]!,
          CHARTHOUSE_DATABASE_URL: databaseUrl,
          CHARTHOUSE_PUBLIC_URL: balancer.url,
          CHARTHOUSE_TRUST_PROXY: 'true',
          CHARTHOUSE_SECRET_KEY: secretKey,
          CHARTHOUSE_ADMIN_PASSWORD: ADMIN.password,
          CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'true',
          CHARTHOUSE_LOG_LEVEL: 'info',
          CHARTHOUSE_LOGIN_RATE_LIMIT: '1000',
          CHARTHOUSE_UPSTREAM_TIMEOUT_MS: '3000',
          CHARTHOUSE_UPSTREAM_IDLE_TIMEOUT_MS: '1500',
          // Due jobs are looked for every second (±20%), so a test waits seconds, not tens of them.
          CHARTHOUSE_JOBS_TICK_SECONDS: '1',
          ...options.env,
          ...options.nodeEnv?.(index),
        }),
      }),
  );
  const cleanUp = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    await balancer.stop();
    await db?.drop();
    await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  const started = await Promise.allSettled(nodes.map((n) => n.start()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await cleanUp();
    throw failed.reason;
  }
  const cluster: Cluster = {
    url: balancer.url,
    nodes,
    balancer,
    databaseUrl,
    secretKey,
    adminToken: '',
    api: apiClient(balancer.url, () => cluster.adminToken),
    close: cleanUp,
  };
  // nginx's own start-up check went through to servers not yet listening, and a refused server is
  // left out for fail_timeout (5 s): until the balancer reaches one again, everything is 502.
  for (let waited = 0; ; waited += 100) {
    const through = await fetch(`${balancer.url}/readyz`).then(
      (res) => res.status,
      () => 0,
    );
    if (through === 200) break;
    if (waited > 30_000) {
      await cleanUp();
      throw new Error(`the balancer did not reach a server within 30 s (last answer ${through})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const login = await cluster.api<{ token: string }>('POST', '/api/v1/auth/login', {
    token: null,
    body: ADMIN,
  });
  if (login.status !== 200) {
    await cleanUp();
    throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
  }
  cluster.adminToken = login.body.token;
  return cluster;
}
