import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, jitteredInterval } from './backoff.js';

describe('agent backoff', () => {
  it('grows exponentially up to the cap, with the jitter spanning zero to the bound', () => {
    assert.equal(
      backoffMs(0, 1000, 60_000, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(3, 1000, 60_000, () => 1),
      8000,
    );
    assert.equal(
      backoffMs(10, 1000, 60_000, () => 1),
      60_000,
    );
    assert.equal(
      backoffMs(100, 1000, 60_000, () => 1),
      60_000,
    );
    assert.equal(
      backoffMs(3, 1000, 60_000, () => 0),
      0,
    );
    assert.equal(
      backoffMs(3, 1000, 60_000, () => 0.5),
      4000,
    );
  });

  it('spreads the polling interval by ten per cent either way', () => {
    assert.equal(
      jitteredInterval(30_000, () => 0),
      27_000,
    );
    assert.equal(
      jitteredInterval(30_000, () => 1),
      33_000,
    );
  });
});
