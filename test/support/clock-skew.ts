/**
 * Preload (`node --import tsx --import ./test/support/clock-skew.ts …`) that sets this process's wall
 * clock CHARTHOUSE_TEST_CLOCK_SKEW_MS ahead (negative: behind) of the host's, as a server on a host
 * whose NTP is broken sees it: `Date.now()` and `new Date()` are shifted, the monotonic clocks
 * (`performance.now()`, timers) are not, as on such a host. A child process with its own skew, rather
 * than a clock option in the code, so the code under test reads its time exactly as in production and
 * any `new Date()` that judges other processes' liveness shows up.
 */
const skewMs = Number(process.env.CHARTHOUSE_TEST_CLOCK_SKEW_MS ?? 0);

if (skewMs !== 0) {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(RealDate.now() + skewMs);
      else super(...(args as ConstructorParameters<DateConstructor>));
    }

    static override now(): number {
      return RealDate.now() + skewMs;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
}
