import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { startTestServer, type TestServer } from './server.js';

export interface TwoServers {
  readonly db: TestDatabase;
  readonly one: TestServer;
  readonly two: TestServer;
}

/**
 * Two servers on one fresh PostgreSQL database with the same secret key, as two processes of one
 * installation (SPEC §4), started before the enclosing suite's tests and removed after them.
 */
export function twoServersOnOnePostgres(): TwoServers {
  const state: Partial<{ db: TestDatabase; one: TestServer; two: TestServer }> = {};
  before(async () => {
    state.db = await createTestDatabase();
    const shared = {
      CHARTHOUSE_DATABASE_URL: state.db.url,
      CHARTHOUSE_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    state.one = await startTestServer(shared);
    state.two = await startTestServer(shared);
  });
  after(async () => {
    await state.two?.close();
    await state.one?.close();
    await state.db?.drop();
  });
  const get = <K extends keyof typeof state>(key: K): NonNullable<(typeof state)[K]> => {
    const value = state[key];
    if (value === undefined) throw new Error(`${key} is used before the suite started it`);
    return value as NonNullable<(typeof state)[K]>;
  };
  return {
    get db() {
      return get('db');
    },
    get one() {
      return get('one');
    },
    get two() {
      return get('two');
    },
  };
}
