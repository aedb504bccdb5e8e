import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  it('runs the work once for callers that overlap, and again once it settled', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const work = async () => {
      runs++;
      await gate;
      return runs;
    };
    const both = Promise.all([flights.run('a', work), flights.run('a', work)]);
    assert.equal(runs, 1);
    release();
    assert.deepEqual(await both, [1, 1]);
    assert.equal(await flights.run('a', work), 2);
  });

  it('keeps keys apart and frees a key after a failure', async () => {
    const flights = new SingleFlight<string>();
    await assert.rejects(
      flights.run('x', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await flights.run('x', () => Promise.resolve('ok')), 'ok');
    assert.equal(await flights.run('y', () => Promise.resolve('y')), 'y');
  });
});
