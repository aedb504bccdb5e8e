import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimitedError } from '../shared/errors.js';
import { SignInLimiter } from './sign-in-limiter.js';

describe('SignInLimiter', () => {
  it('counts an attempt before its check finishes, so a burst cannot pass the limit', () => {
    const limiter = new SignInLimiter(3);
    const now = 1_000_000;
    // Three checks in flight at once: the fourth is refused before any of them has an answer.
    for (let i = 0; i < 3; i += 1) limiter.begin('10.0.0.1', now);
    assert.throws(() => limiter.begin('10.0.0.1', now), RateLimitedError);
    // Another address is counted apart.
    limiter.begin('10.0.0.2', now);
  });

  it('gives the slot back when the credentials were right, keeps it when wrong', () => {
    const limiter = new SignInLimiter(2);
    const now = 1_000_000;
    limiter.begin('c', now).succeeded();
    limiter.begin('c', now).succeeded();
    limiter.begin('c', now).succeeded();
    limiter.begin('c', now).failed();
    limiter.begin('c', now).failed();
    const err = (() => {
      try {
        limiter.begin('c', now + 15_000);
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(err instanceof RateLimitedError);
    assert.equal(err.retryAfterSeconds, 45);
  });

  it('forgets failures once the minute is over', () => {
    const limiter = new SignInLimiter(1);
    limiter.begin('c', 0).failed();
    assert.throws(() => limiter.begin('c', 59_999), RateLimitedError);
    limiter.begin('c', 60_000).failed();
  });

  it('settles an attempt once: a second succeeded() does not free another slot', () => {
    const limiter = new SignInLimiter(1);
    const attempt = limiter.begin('c', 0);
    attempt.failed();
    attempt.succeeded();
    assert.throws(() => limiter.begin('c', 1), RateLimitedError);
  });

  it('attempt() counts a null check as a failure, a thrown one as no verdict', async () => {
    const limiter = new SignInLimiter(2);
    for (let i = 0; i < 5; i += 1) {
      await assert.rejects(
        limiter.attempt('c', async () => {
          throw new Error('database down');
        }),
        /database down/,
      );
    }
    assert.equal(await limiter.attempt('c', async () => null), null);
    assert.equal(await limiter.attempt('c', async () => null), null);
    await assert.rejects(
      limiter.attempt('c', async () => 'ok'),
      RateLimitedError,
    );
  });
});
