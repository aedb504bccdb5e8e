/**
 * The built server (`node dist/cli/main.js serve`, what `npm start` runs) as its own process, for the
 * benchmarks: its timings are production timings (no tsx), and its memory is its own, read from
 * /proc as the kernel's peak resident set (VmHWM), worker threads included.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { ADMIN, apiClient, type TestServer } from '../test/support/server.js';

export interface BuiltServer extends Pick<TestServer, 'url' | 'api' | 'adminToken' | 'logLines'> {
  /** Peak resident memory of the server process so far, in MB. */
  peakRssMb(): number;
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

export async function startBuiltServer(
  database: 'sqlite' | 'postgres',
  env: Record<string, string> = {},
): Promise<BuiltServer> {
  if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does).');
  const dataDir = await mkdtemp(join(tmpdir(), 'charthouse-bench-'));
  const pg: TestDatabase | undefined = database === 'postgres' ? await createTestDatabase() : undefined;
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      CHARTHOUSE_PORT: '0',
      CHARTHOUSE_HOST: '127.0.0.1',
      CHARTHOUSE_DATA_DIR: dataDir,
      CHARTHOUSE_ADMIN_PASSWORD: ADMIN.password,
      CHARTHOUSE_ALLOW_PRIVATE_ENDPOINTS: 'true',
      CHARTHOUSE_SYNC_SCHEDULER: 'false',
      CHARTHOUSE_LOG_LEVEL: 'info',
      ...(pg ? { CHARTHOUSE_DATABASE_URL: pg.url } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        logLines.push(line);
        // Fastify logs the address it listens on once it is ready.
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match) resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${stderr.slice(0, 2000)}`)));
  });
  const server: BuiltServer = {
    url,
    logLines,
    adminToken: '',
    api: apiClient(url, () => server.adminToken),
    peakRssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return kb === undefined ? NaN : Number(kb) / 1024;
    },
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  const login = await server.api<{ token: string }>('POST', '/api/v1/auth/login', {
    token: null,
    body: ADMIN,
  });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status}`);
  server.adminToken = login.body.token;
  return server;
}
