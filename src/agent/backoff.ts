/**
 * How long the agent waits before trying the server again: exponential from `baseMs`, capped at
 * `maxMs`, with full jitter (a random wait between 0 and the bound), so a thousand agents that lost
 * the server together do not come back together (the AWS architecture blog's "full jitter").
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const bound = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(random() * bound);
}

/** The polling interval with ±10 % jitter, so agents started together spread out. */
export function jitteredInterval(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random()));
}
