import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDatabaseUnavailable, isUniqueViolation } from './errors.js';

/** An error shaped like the drivers' own: node-postgres DatabaseError, Node socket errors, SqliteError. */
function driverError(message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), fields);
}

describe('isDatabaseUnavailable', () => {
  it('recognises PostgreSQL connection exceptions (class 08) and the shutdown codes', () => {
    for (const code of [
      '08000',
      '08003',
      '08006',
      '08001',
      '08004',
      '08P01',
      '57P01',
      '57P02',
      '57P03',
      '53300',
    ]) {
      assert.equal(isDatabaseUnavailable(driverError('x', { code })), true, code);
    }
  });

  it('recognises socket errors on the way to the server', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN']) {
      assert.equal(isDatabaseUnavailable(driverError(`connect ${code} 127.0.0.1:5432`, { code })), true);
    }
  });

  it("recognises node-postgres's lost-connection and pool-timeout messages, which carry no code", () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
      'Client was closed and is not queryable',
    ]) {
      assert.equal(isDatabaseUnavailable(new Error(message)), true, message);
    }
  });

  it('looks through causes and AggregateErrors (localhost resolving to ::1 and 127.0.0.1)', () => {
    const refused = driverError('connect ECONNREFUSED ::1:5432', { code: 'ECONNREFUSED' });
    assert.equal(isDatabaseUnavailable(new Error('wrapped', { cause: refused })), true);
    assert.equal(isDatabaseUnavailable(new AggregateError([refused, refused])), true);
    // A cycle of causes ends.
    const looped = new Error('loop');
    looped.cause = looped;
    assert.equal(isDatabaseUnavailable(looped), false);
  });

  it('recognises SQLite busy and locked errors, with their extended codes', () => {
    for (const code of [
      'SQLITE_BUSY',
      'SQLITE_BUSY_SNAPSHOT',
      'SQLITE_LOCKED',
      'SQLITE_LOCKED_SHAREDCACHE',
    ]) {
      assert.equal(isDatabaseUnavailable(driverError('database is locked', { code })), true, code);
    }
    assert.equal(isDatabaseUnavailable(driverError('x', { code: 'SQLITE_BUSYNESS' })), false);
  });

  it('leaves errors of the query itself alone', () => {
    for (const code of [
      '23505',
      '42P01',
      '42703',
      '57014',
      '40001',
      'SQLITE_CONSTRAINT_UNIQUE',
      'SQLITE_ERROR',
    ]) {
      assert.equal(isDatabaseUnavailable(driverError('x', { code })), false, code);
    }
    assert.equal(isDatabaseUnavailable(new Error('relation "x" does not exist')), false);
    assert.equal(isDatabaseUnavailable(null), false);
    assert.equal(
      isDatabaseUnavailable('Connection terminated'),
      false,
      'a bare string is not a driver error',
    );
  });

  it('does not count a constraint violation as an outage, nor an outage as a violation', () => {
    const unique = driverError('duplicate key', { code: '23505' });
    assert.equal(isUniqueViolation(unique), true);
    assert.equal(isDatabaseUnavailable(unique), false);
    assert.equal(isUniqueViolation(driverError('x', { code: '57P01' })), false);
  });
});
