import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, for the failure message: "the sync of argo finished". */
  what: string;
  /** A liveness bound, generous: a slow CI machine must not fail a correct test. */
  timeoutMs?: number;
  /** Pause between two checks. */
  intervalMs?: number;
}

type Found<T> = Exclude<T, false | null | undefined>;

/**
 * Checks `predicate` until it answers something other than false, null or undefined, and returns that
 * answer (so a test can wait for a run and use it). Fails naming `what`, and the last answer, after
 * `timeoutMs`. This is for state that can only be observed by asking (the API, the database); when the
 * code under test can signal (a fixture server receiving a request, a process exiting), await that event
 * instead.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { what, timeoutMs = 60_000, intervalMs = 25 }: WaitOptions,
): Promise<Found<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await predicate();
    if (answer !== false && answer !== null && answer !== undefined) return answer as Found<T>;
    if (Date.now() >= deadline) {
      assert.fail(`${what}: not within ${timeoutMs} ms (last answer: ${JSON.stringify(answer)})`);
    }
    await sleep(intervalMs);
  }
}
