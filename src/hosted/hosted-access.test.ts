import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, mock } from 'node:test';
import { AccessChanges } from '../identity/access-changes.js';
import type { AuthService } from '../identity/auth.service.js';
import { SignInLimiter } from '../identity/sign-in-limiter.js';
import { parseScopes } from '../protocol/oci/token-scope.js';
import type { Principal } from '../shared/context.js';
import { AuthenticationError, RateLimitedError } from '../shared/errors.js';
import type { TenantRepository } from '../tenants/tenant.repository.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { HostedAccess } from './hosted-access.js';
import type { HostedRepository } from './hosted.repository.js';

const ALICE: Principal = { userId: 'u1', username: 'alice', isSystemAdmin: false };
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** HostedAccess over a fake password check that takes `delayMs` (scrypt takes ~250 ms here). */
function access(delayMs = 20, failuresPerMinute = 100) {
  const checks = { count: 0 };
  const changes = new AccessChanges();
  const auth = {
    limiter: new SignInLimiter(failuresPerMinute),
    verifyCredentials: async (username: string, password: string) => {
      checks.count += 1;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return username === 'alice' && password === 'right-password' ? ALICE : null;
    },
    authenticate: async () => {
      throw new AuthenticationError('no');
    },
  } as unknown as AuthService;
  const hosted = new HostedAccess(
    auth,
    {} as TenantService,
    {} as TenantRepository,
    {} as HostedRepository,
    randomBytes(32),
    changes,
  );
  return { hosted, checks, changes };
}

describe('HostedAccess credentials', () => {
  it('checks a password once for many concurrent requests, then serves them from the cache', async () => {
    const { hosted, checks } = access();
    const callers = await Promise.all(
      Array.from({ length: 16 }, () => hosted.caller(basic('alice', 'right-password'), '10.0.0.1')),
    );
    assert.ok(callers.every((p) => p?.userId === 'u1'));
    assert.equal(checks.count, 1);
    await hosted.caller(basic('alice', 'right-password'), '10.0.0.1');
    assert.equal(checks.count, 1);
  });

  it('re-checks shortly before expiry in the background, never making a request wait', async () => {
    const { hosted, checks } = access(50);
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    try {
      await hosted.caller(basic('alice', 'right-password'), 'a');
      mock.timers.tick(4_500);
      const started = performance.now();
      assert.equal((await hosted.caller(basic('alice', 'right-password'), 'a'))?.userId, 'u1');
      assert.ok(performance.now() - started < 40, 'served from the cache, not after the 50 ms check');
      assert.equal(checks.count, 2, 'a refresh started');
    } finally {
      mock.timers.reset();
    }
  });

  it('refuses a wrong password, and limits a client that keeps failing', async () => {
    const { hosted } = access(1, 2);
    await assert.rejects(hosted.caller(basic('alice', 'wrong'), 'b'), AuthenticationError);
    await assert.rejects(hosted.caller(basic('alice', 'wrong'), 'b'), AuthenticationError);
    await assert.rejects(hosted.caller(basic('alice', 'right-password'), 'b'), RateLimitedError);
    assert.equal((await hosted.caller(basic('alice', 'right-password'), 'c'))?.userId, 'u1');
  });

  it('counts a burst of wrong credentials before checking them: the excess is 429, unhashed', async () => {
    const { hosted, checks } = access(30, 10);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => hosted.caller(basic('alice', `wrong-${i}`), '10.9.9.9')),
    );
    const limited = results.filter((r) => r.status === 'rejected' && r.reason instanceof RateLimitedError);
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof AuthenticationError);
    assert.equal(checks.count, 10, 'only the first ten passwords were checked');
    assert.equal(refused.length, 10);
    assert.equal(limited.length, 90);
  });

  it('forgets a cached credential of a user whose token was revoked', async () => {
    const { hosted, checks, changes } = access(1);
    await hosted.caller(basic('alice', 'right-password'), 'e');
    changes.publish({ kind: 'tokens-revoked', userId: 'u1', tokenHashes: [] });
    await hosted.caller(basic('alice', 'right-password'), 'e');
    assert.equal(checks.count, 2, 'checked again after the revocation');
  });

  it('issues OCI tokens that name the user and their access, and refuses forged or expired ones', async () => {
    const { hosted } = access();
    const granted = parseScopes(['repository:acme/x:pull']);
    const { token } = hosted.issueToken(ALICE, granted);
    assert.deepEqual(await hosted.ociCaller(`Bearer ${token}`, 'd'), { principal: ALICE, access: granted });
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    await assert.rejects(hosted.ociCaller(`Bearer ${forged}`, 'd'), AuthenticationError);
    const old = hosted.issueToken(ALICE, granted, Date.now() - 301_000).token;
    await assert.rejects(hosted.ociCaller(`Bearer ${old}`, 'd'), /expired/);
    assert.deepEqual(await hosted.ociCaller(`Bearer ${hosted.issueToken(null, []).token}`, 'd'), {
      principal: null,
      access: [],
    });
  });

  it('gives other credentials full rights on /v2, and refuses OCI tokens everywhere else', async () => {
    const { hosted } = access();
    assert.deepEqual(await hosted.ociCaller(basic('alice', 'right-password'), 'e'), {
      principal: ALICE,
      access: null,
    });
    assert.deepEqual(await hosted.ociCaller(undefined, 'e'), { principal: null, access: null });
    const { token } = hosted.issueToken(ALICE, parseScopes(['repository:acme/x:pull']));
    await assert.rejects(hosted.caller(`Bearer ${token}`, 'e'), /only opens the OCI API/);
  });
});
