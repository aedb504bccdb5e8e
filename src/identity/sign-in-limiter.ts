import { RateLimitedError } from '../shared/errors.js';

const WINDOW_MS = 60_000;
/** Past this many tracked addresses the expired windows are swept; the map stays as small as the callers. */
const SWEEP_AT = 10_000;

/** One password check admitted by {@link SignInLimiter.begin}: say how it ended. */
export interface SignInAttempt {
  /** The credentials were right (or no verdict was reached): the attempt stops counting. */
  succeeded(): void;
  /** The credentials were wrong (or the check failed): the attempt keeps counting for the window. */
  failed(): void;
}

/**
 * Password checks per client address, for every way in (the login route, Basic credentials on /helm
 * and /v2, the OCI token endpoint). An attempt is counted *before* its password is hashed, so a burst
 * of concurrent wrong credentials cannot all slip past the limit while the first ones are still being
 * checked (scrypt takes ~90 ms each: 100 of them at once were 9 s of CPU). A successful check gives
 * its slot back, so a client that signs in correctly is never limited by its own sign-ins; what the
 * limit counts is failures plus checks still running, `perMinute` of them per address and window.
 *
 * In process memory: with several servers each counts on its own, so the ceiling is servers x limit.
 */
export class SignInLimiter {
  private readonly windows = new Map<string, { count: number; until: number }>();

  constructor(private readonly perMinute: number) {}

  /** Admits one password check from `client`, or throws 429 saying when to come back. */
  begin(client: string, now = Date.now()): SignInAttempt {
    let window = this.windows.get(client);
    if (window === undefined || window.until <= now) {
      if (this.windows.size >= SWEEP_AT) this.sweep(now);
      window = { count: 0, until: now + WINDOW_MS };
      this.windows.set(client, window);
    }
    if (window.count >= this.perMinute) {
      const seconds = Math.max(1, Math.ceil((window.until - now) / 1000));
      throw new RateLimitedError(
        `Too many sign-in attempts from your address: wait ${seconds} s, then check the username and password.`,
        seconds,
      );
    }
    window.count += 1;
    const counted = window;
    let settled = false;
    return {
      succeeded: () => {
        if (settled) return;
        settled = true;
        // Only the window it was counted in: a newer window never pays for an older attempt.
        if (this.windows.get(client) === counted && counted.count > 0) counted.count -= 1;
      },
      failed: () => {
        settled = true;
      },
    };
  }

  /**
   * Runs `check` as one counted attempt: null (wrong credentials) is a failure. A check that throws
   * (the database is away) reached no verdict and gives its slot back, so an outage does not leave
   * every client locked out for a minute after it.
   */
  async attempt<T>(client: string, check: () => Promise<T | null>): Promise<T | null> {
    const attempt = this.begin(client);
    try {
      const result = await check();
      if (result === null) attempt.failed();
      else attempt.succeeded();
      return result;
    } catch (err) {
      attempt.succeeded();
      throw err;
    }
  }

  private sweep(now: number): void {
    for (const [client, window] of this.windows) if (window.until <= now) this.windows.delete(client);
    // Still full of live windows (an address flood): start over rather than grow without bound.
    if (this.windows.size >= SWEEP_AT) this.windows.clear();
  }
}
