import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, escapeIdentifier } from 'pg';
import { freePort } from './free-port.js';

export interface TestDatabase {
  /** postgres:// URL of a fresh, empty database that only the caller uses. */
  url: string;
  /** Ends every connection to the database and drops it. Safe to call twice. */
  drop(): Promise<void>;
}

const ENV = 'CHARTHOUSE_TEST_DATABASE_URL';

/**
 * Creates a database `charthouse_t_<random>` on the server named by CHARTHOUSE_TEST_DATABASE_URL.
 * One per test file or server under test, so parallel runs never see each other's rows.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env[ENV];
  if (!adminUrl) {
    throw new Error(
      `${ENV} is not set. Run the tests through \`npm run test:all\` (it starts a throwaway PostgreSQL), ` +
        `or point ${ENV} at a server whose user may CREATE DATABASE, ` +
        `e.g. postgres://postgres@127.0.0.1:5432/postgres`,
    );
  }
  const name = `charthouse_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, async (client) => {
    await client.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, async (client) => {
        const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
        if (Number(version.rows[0]?.server_version_num) >= 130000) {
          // FORCE terminates sessions and drops in one step, so a pool reconnecting in between cannot win.
          await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
        } else {
          await client.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [name],
          );
          await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)}`);
        }
      });
    },
  };
}

async function withAdmin(adminUrl: string, fn: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to ${redact(adminUrl)} (${ENV}): ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** A PostgreSQL cluster of the test's own, which it may stop and start at will. */
export interface PostgresCluster {
  /** postgres:// URL of the cluster's `postgres` database (user postgres, trust auth). */
  url: string;
  /** `pg_ctl stop -m fast`: connected backends are terminated, new connections refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster (whatever its state) and removes its files. Safe to call twice. */
  destroy(): Promise<void>;
}

/**
 * Where Debian's postgresql package puts initdb and pg_ctl (/usr/lib/postgresql/<major>/bin, off PATH),
 * newest major first; as scripts/test-all.sh `find_pg_bindir`.
 */
function findPgBindir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const dir = path.join(root, major, 'bin');
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: install the postgresql package');
}

/**
 * initdb + pg_ctl on a free port in a temp folder, as scripts/test-all.sh `start_throwaway_postgres`.
 * initdb refuses to run as root, so as root the cluster belongs to `postgres` (or `nobody`).
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bindir = findPgBindir();
  const dir = await mkdtemp(path.join(tmpdir(), 'charthouse-pg-'));
  const port = await freePort();
  const asOwner: string[] = [];
  if (process.getuid?.() === 0) {
    const owner = spawnSync('id', ['postgres']).status === 0 ? 'postgres' : 'nobody';
    await mkdir(path.join(dir, 'socket'));
    spawnSync('chown', ['-R', owner, dir]);
    asOwner.push('runuser', '-u', owner, '--');
  } else {
    await mkdir(path.join(dir, 'socket'));
  }
  // cwd: initdb and postgres complain when they cannot read the caller's working directory.
  const run = async (tool: string, args: string[]): Promise<void> => {
    const [command, ...rest] = [...asOwner, path.join(bindir, tool), ...args];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(command!, rest, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (c) => resolve({ code: c, output }));
    });
    if (code !== 0) {
      const log = await readFile(path.join(dir, 'server.log'), 'utf8').catch(() => '');
      throw new Error(`${tool} ${args.join(' ')} failed (${code}): ${output}\n${log}`);
    }
  };
  const data = path.join(dir, 'data');
  const start = (): Promise<void> =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      // Durability off: the cluster lives only for this test.
      `-p ${port} -k ${path.join(dir, 'socket')} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      'start',
    ]);
  let destroyed = false;
  try {
    await run('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (existsSync(path.join(data, 'postmaster.pid'))) {
        await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
