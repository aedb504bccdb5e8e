import type { IncomingMessage, ServerResponse } from 'node:http';
import { startFixtureServer, type FixtureServer } from './fixture-servers.js';

/** A classic repository of one chart version. */
export const ONE_VERSION_INDEX = `apiVersion: v1
entries:
  tiny:
  - apiVersion: v2
    name: tiny
    version: 1.0.0
    digest: ${'a'.repeat(64)}
    urls: [charts/tiny-1.0.0.tgz]
`;

/**
 * An upstream whose `/repo/index.yaml` answers at once, or, while `hold` is set, starts its answer and
 * keeps the rest until `release()`: a sync then sits in its fetch holding its lease for as long as the
 * test wants, and finishes normally once released.
 */
export interface HeldIndex {
  url: string;
  /** Requests of index.yaml so far. */
  requests: number;
  hold: boolean;
  /**
   * Resolves when a request is being held (the n-th held one, counting from 1); rejects after
   * `timeoutMs`, so a request that never comes fails the test instead of hanging it.
   */
  held(n: number, timeoutMs?: number): Promise<void>;
  /** Ends every held answer with the whole index. */
  release(): void;
  close(): Promise<void>;
}

export async function startHeldIndex(): Promise<HeldIndex> {
  const waiting: ServerResponse[] = [];
  const heldWaiters: Array<{ n: number; resolve: () => void }> = [];
  let heldCount = 0;
  const state = {
    requests: 0,
    hold: false,
  };
  const server: FixtureServer = await startFixtureServer({
    '/repo/index.yaml': (_req: IncomingMessage, res: ServerResponse) => {
      state.requests += 1;
      if (!state.hold) {
        res.writeHead(200, { 'content-type': 'text/yaml' }).end(ONE_VERSION_INDEX);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/yaml' });
      res.write(ONE_VERSION_INDEX.slice(0, 15));
      waiting.push(res);
      heldCount += 1;
      for (const w of heldWaiters.filter((x) => x.n <= heldCount)) w.resolve();
    },
  });
  return {
    url: `${server.url}/repo`,
    get requests() {
      return state.requests;
    },
    get hold() {
      return state.hold;
    },
    set hold(v: boolean) {
      state.hold = v;
    },
    held(n: number, timeoutMs = 60_000) {
      if (heldCount >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`held request ${n} did not come within ${timeoutMs} ms (${heldCount} held)`)),
          timeoutMs,
        );
        heldWaiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    release() {
      for (const res of waiting.splice(0)) res.end(ONE_VERSION_INDEX.slice(15));
    },
    close: () => server.close(),
  };
}
