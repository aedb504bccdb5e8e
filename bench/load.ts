/**
 * The shared load generator of the side-by-side benchmarks (hosted-oci, hosted-index): N concurrent
 * clients, each running one operation back to back until a deadline, over one undici Pool per target
 * (one keep-alive connection per client, no pipelining). Whatever is measured against Charthouse and
 * against the reference server (docker-registry, nginx) goes through this same code, in this process's
 * main thread, so both pay the same client cost.
 */
import { performance } from 'node:perf_hooks';
import { Pool, type Dispatcher } from 'undici';

export interface LoadResult {
  /** Operations that completed without error. */
  ops: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  /** Completed operations per second. */
  rate: number;
  /** Latency of each successful operation, in ms, sorted ascending. */
  latencies: number[];
}

export interface LoadOptions {
  clients: number;
  durationMs: number;
  /**
   * One operation of client `client` (its `iteration`-th); throws on a wrong answer. Returning false
   * means "nothing left to do" and ends that client early (a pre-generated pool ran out).
   */
  op: (client: number, iteration: number) => Promise<unknown>;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const deadline = started + opts.durationMs;
  const client = async (id: number): Promise<void> => {
    for (let i = 0; performance.now() < deadline; i++) {
      const t0 = performance.now();
      try {
        const more = await opts.op(id, i);
        if (more === false) return;
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
        // A failing target must not turn into a busy loop that starves the other processes.
        if (errors > 1000) return;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i)));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, errors, firstError, seconds, rate: latencies.length / seconds, latencies };
}

/** One keep-alive connection per client to `origin`. */
export function pool(origin: string, clients: number): Pool {
  return new Pool(origin, { connections: clients, pipelining: 1, keepAliveTimeout: 60_000 });
}

export interface Answer {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  /** The body's bytes when asked for (`keep`), else empty. */
  body: Buffer;
  /** How many body bytes arrived. */
  bytes: number;
}

/**
 * One request; the body is always read to its end (counted, kept only with `keep`), so both servers
 * send every byte and the connection stays reusable.
 */
export async function send(
  target: Dispatcher,
  method: Dispatcher.HttpMethod,
  path: string,
  headers: Record<string, string>,
  opts: { body?: Buffer; keep?: boolean } = {},
): Promise<Answer> {
  const res = await target.request({ method, path, headers, body: opts.body ?? null });
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (opts.keep) chunks.push(chunk);
  }
  return {
    status: res.statusCode,
    headers: res.headers,
    body: opts.keep ? Buffer.concat(chunks) : Buffer.alloc(0),
    bytes,
  };
}

/** Throws unless the answer has the expected status. */
export function expectStatus(answer: Answer, expected: number, what: string): Answer {
  if (answer.status !== expected) {
    throw new Error(
      `${what}: HTTP ${answer.status} (expected ${expected}) ${answer.body.toString('utf8', 0, 300)}`,
    );
  }
  return answer;
}

export function header(answer: Answer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export const basicAuth = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** The p-th percentile of ascending latencies (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per-round figures of one contender in one scenario. */
export interface RoundFigures {
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  firstError: string | null;
}

export function figures(result: LoadResult): RoundFigures {
  return {
    rate: result.rate,
    p50: percentile(result.latencies, 50),
    p95: percentile(result.latencies, 95),
    p99: percentile(result.latencies, 99),
    errors: result.errors,
    firstError: result.firstError,
  };
}

/** A fixed-width text table; the first column left-aligned, the others right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const fmt = {
  rate: (n: number): string => (Number.isNaN(n) ? '-' : n >= 100 ? n.toFixed(0) : n.toFixed(1)),
  ms: (n: number): string => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1)),
  ratio: (n: number): string => (Number.isNaN(n) ? '-' : `${n.toFixed(2)}x`),
};

/** Rounds in which the contenders take turns, the order flipped every round (no one always goes first). */
export function roundOrder<T>(contenders: T[], round: number): T[] {
  return round % 2 === 0 ? [...contenders] : [...contenders].reverse();
}
