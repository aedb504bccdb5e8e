/**
 * A small in-process cache whose entries expire: for answers that are asked for on every request and
 * change rarely (who a token belongs to, a user's role in a tenant). Entries live at most `ttlMs` (or
 * less, when the caller knows an earlier end), and the oldest entry makes room when it is full.
 * Each server process has its own: a change made through another process is seen within `ttlMs`.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps `value` until `ttlMs` from now, or until `notAfter` when that is sooner. */
  set(key: string, value: V, notAfter = Infinity, now = Date.now()): void {
    const until = Math.min(now + this.ttlMs, notAfter);
    if (until <= now) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops every entry `match` picks: for a change that touches many keys (a user's credentials). */
  deleteWhere(match: (key: string, value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (match(key, entry.value)) this.entries.delete(key);
  }
}
