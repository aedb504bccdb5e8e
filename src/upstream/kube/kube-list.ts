import type { KubeApi } from './kube-connection.js';
import { KubeGoneError, KubeResponseError, KubeTooLargeError, KubeUnavailableError } from './kube-errors.js';

/*
 * A paginated Kubernetes list (`limit` + `continue`), as an async generator of pages, that ends:
 * - 410 Gone (the continue token expired: the server compacted): the list starts again from the
 *   beginning, and the first page after that says `restarted`, so the caller forgets what it gathered
 *   from this list. At most `maxRestarts` times, then KubeGoneError.
 * - 429 / 5xx: retried `retries` times with exponential backoff and jitter (Retry-After honoured up to
 *   10 s), then the KubeUnavailableError.
 * - A page too large for the body limit: asked again with half the limit (a continue token does not
 *   depend on it), down to one object per page.
 * - A server that pages forever (a continue token seen before, more than maxPages pages or maxObjects
 *   objects): stopped with KubeResponseError.
 * - A hanging server: each request is bounded by the connection's idle and overall timeouts.
 */

export interface KubeListOptions {
  /** Objects per page (`limit`); default 100 (a release Secret may be up to 1 MiB). */
  pageSize?: number;
  maxObjects?: number;
  maxPages?: number;
  maxRestarts?: number;
  /** Retries of a 429/5xx answer. */
  retries?: number;
  /** First backoff delay; doubled on each retry. */
  retryDelayMs?: number;
  signal?: AbortSignal;
}

export interface KubeListPage {
  items: Record<string, unknown>[];
  /** True on the first page after a 410 restart: what came before from this list is to be forgotten. */
  restarted: boolean;
}

export const DEFAULT_KUBE_LIST_OPTIONS = Object.freeze({
  pageSize: 100,
  maxObjects: 200_000,
  maxPages: 20_000,
  maxRestarts: 3,
  retries: 2,
  retryDelayMs: 250,
});

const MAX_RETRY_AFTER_MS = 10_000;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export async function* listPages(
  api: KubeApi,
  path: string,
  query: Record<string, string>,
  options: KubeListOptions = {},
): AsyncGenerator<KubeListPage> {
  const opts = { ...DEFAULT_KUBE_LIST_OPTIONS, ...options };
  let restarts = 0;
  let limit = opts.pageSize;
  let restarted = false;
  restart: for (;;) {
    let token: string | undefined;
    const seen = new Set<string>();
    let pages = 0;
    let objects = 0;
    for (;;) {
      let body: unknown;
      for (let attempt = 0; ; attempt++) {
        try {
          body = await api.getJson(
            path,
            { ...query, limit: String(limit), ...(token !== undefined ? { continue: token } : {}) },
            opts.signal,
          );
          break;
        } catch (error) {
          if (error instanceof KubeGoneError) {
            if (++restarts > opts.maxRestarts) {
              throw new KubeGoneError(
                `${error.message} The list was restarted ${opts.maxRestarts} times and expired again each time: the cluster changes faster than it can be read; try again later or with a larger page size.`,
                410,
              );
            }
            restarted = true;
            continue restart;
          }
          if (error instanceof KubeTooLargeError && limit > 1) {
            limit = Math.max(1, Math.floor(limit / 2));
            attempt--;
            continue;
          }
          if (error instanceof KubeUnavailableError && attempt < opts.retries) {
            const backoff = opts.retryDelayMs * 2 ** attempt * (0.5 + Math.random());
            const hinted = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
            await sleep(Math.min(Math.max(backoff, hinted), MAX_RETRY_AFTER_MS), opts.signal);
            continue;
          }
          throw error;
        }
      }
      if (!isObject(body) || !Array.isArray(body['items'])) {
        throw new KubeResponseError(
          `The Kubernetes API server at ${api.server} answered ${path} with something that is not a list.`,
        );
      }
      const items = (body['items'] as unknown[]).filter(isObject);
      pages += 1;
      objects += items.length;
      if (objects > opts.maxObjects || pages > opts.maxPages) {
        throw new KubeResponseError(
          `The Kubernetes API server at ${api.server} kept paging ${path} past ${objects > opts.maxObjects ? `${opts.maxObjects} objects` : `${opts.maxPages} pages`}; Charthouse stopped reading.`,
        );
      }
      yield { items, restarted };
      restarted = false;
      const metadata = isObject(body['metadata']) ? body['metadata'] : {};
      const next = metadata['continue'];
      if (typeof next !== 'string' || next === '') return;
      if (seen.has(next) || next === token) {
        throw new KubeResponseError(
          `The Kubernetes API server at ${api.server} returned a continue token for ${path} that it had returned before: it would page forever; Charthouse stopped reading.`,
        );
      }
      seen.add(next);
      token = next;
    }
  }
}
