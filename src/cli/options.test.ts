import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { duration } from './options.js';

describe('duration', () => {
  it('reads seconds, minutes and hours into milliseconds', () => {
    assert.equal(duration('45'), 45_000);
    assert.equal(duration('30s'), 30_000);
    assert.equal(duration('10m'), 600_000);
    assert.equal(duration('1h'), 3_600_000);
  });

  it('refuses zero, fractions and other units', () => {
    for (const bad of ['0', '0m', '1.5m', '10d', 'm', '', '-1s'])
      assert.throws(() => duration(bad), InvalidArgumentError, bad);
  });
});
