/**
 * One piece of work per key at a time, within this process: callers asking for a key whose work is
 * under way share its promise (the chart archive fetched once for five viewers of its page, the icon
 * fetched once for a page of fifty charts). The key is free again as soon as the work settles, so a
 * failure is not remembered here; callers that want that keep it themselves.
 */
export class SingleFlight<V> {
  private readonly pending = new Map<string, Promise<V>>();

  run(key: string, work: () => Promise<V>): Promise<V> {
    let flight = this.pending.get(key);
    if (!flight) {
      flight = work().finally(() => this.pending.delete(key));
      this.pending.set(key, flight);
    }
    return flight;
  }
}
