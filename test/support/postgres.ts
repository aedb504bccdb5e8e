import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';

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
